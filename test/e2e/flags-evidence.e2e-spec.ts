import { exportDeclaration } from '../support/factories.js';
import { createUser, type Method, requestAs, startTestApp, type TestApp, type TestUser } from '../support/test-app.js';

/**
 * GET /flags/{id} `related`: the flag's declarations side by side with the licence and consent each
 * cites, and the other cases of their traders still being worked, as far as the caller may see them.
 */
describe('flag evidence', () => {
  let t: TestApp;
  const u: Record<string, TestUser> = {};
  const d: Record<string, { id: string }> = {};
  const f: Record<string, string> = {};
  const as = (user: TestUser | string, method: Method, path: string, body?: object) => requestAs(t, user, method, path, body);

  /** A flag stored as a check would store it, at a given time, so that "newest first" is known. */
  const flag = async (code: string, declarations: { id: string }[], countries: string[], at: string, more: { status?: string; holds?: boolean } = {}) =>
    (
      await t.db.query(
        `INSERT INTO flags (code, subject, severity, score, summary, countries, declaration_ids, status, holds, created_at)
         VALUES ($1, $2, 'high', 0.9, $3, $4, $5, $6, $7, $8) RETURNING id`,
        [code, `${code}:${declarations.map((x) => x.id).join(':')}`, `${code} about ${declarations.length} declaration(s)`, countries, declarations.map((x) => x.id),
          more.status ?? 'open', more.holds ?? true, at],
      )
    ).rows[0].id as string;

  beforeAll(async () => {
    t = await startTestApp();
    u.focalMx = await createUser(t, 'focal_point', ['MX']);
    u.focalBo = await createUser(t, 'focal_point', ['BO']);
    u.officerMx = await createUser(t, 'customs_officer', ['MX']);
    u.officerBo = await createUser(t, 'customs_officer', ['BO']);
    u.officerPe = await createUser(t, 'customs_officer', ['PE']);
    u.analystMx = await createUser(t, 'analyst', ['MX']);
    u.analystBo = await createUser(t, 'analyst', ['BO']);

    const trader = (await as(u.focalMx, 'post', '/api/v1/traders', { country: 'MX', nationalId: 'MXA-0001', name: 'Minera del Norte SA de CV' }).expect(201)).body;
    await as(u.focalMx, 'post', '/api/v1/licences', { traderId: trader.id, number: 'MX-EXP-0042', type: 'export', hsCodes: ['2805'], maxQuantityKg: 10000, validFrom: '2026-01-01', validTo: '2026-12-31' }).expect(201);
    await as(u.focalBo, 'post', '/api/v1/consents', {
      reference: 'BO-PIC-2026-007', type: 'written_consent', exportingCountry: 'MX', importingCountry: 'BO', hsCodes: ['280540'], quantityKg: 5000,
      purpose: 'allowed_use', validFrom: '2026-01-01', validTo: '2026-12-31',
    }).expect(201);

    d.export = (await as(u.officerMx, 'post', '/api/v1/declarations', exportDeclaration({ number: 'MX-EV-1' })).expect(201)).body;
    d.import = (await as(u.officerBo, 'post', '/api/v1/declarations', exportDeclaration({
      country: 'BO', flow: 'import', number: 'BO-EV-1', date: '2026-03-20', partnerCountry: 'MX', trader: { nationalId: 'BOI-1', name: 'Importadora Andina SRL' },
      counterparty: { name: 'Minera del Norte', country: 'MX' }, licenceNumber: undefined,
      items: [{ hsCode: '280540', netMassKg: 3000, valueUsd: 162000 }, { hsCode: '251710', netMassKg: 20, valueUsd: 10 }],
    })).expect(201)).body;
    d.otherExport = (await as(u.officerMx, 'post', '/api/v1/declarations', exportDeclaration({
      number: 'MX-EV-2', partnerCountry: 'PE', counterparty: { name: 'Quimica Lima SAC', country: 'PE' }, licenceNumber: undefined, consentReference: undefined,
      items: [{ hsCode: '280540', netMassKg: 500, valueUsd: 27000 }],
    })).expect(201)).body;
    // Another country's trader that happens to carry the same national id: not the same trader.
    d.namesake = (await as(u.officerPe, 'post', '/api/v1/declarations', exportDeclaration({
      country: 'PE', number: 'PE-EV-1', partnerCountry: 'MX', originCountry: 'PE', trader: { nationalId: 'MXA-0001', name: 'Homonimo SAC' },
      counterparty: { name: 'Minera del Norte', country: 'MX' }, licenceNumber: undefined, consentReference: undefined,
    })).expect(201)).body;

    f.main = await flag('QUANTITY_MISMATCH', [d.export, d.import], ['BO', 'MX'], '2026-03-21T10:00:00Z');
    f.licence = await flag('LICENCE_MISSING', [d.export], ['MX'], '2026-03-02T10:00:00Z', { status: 'in_review' });
    f.consent = await flag('CONSENT_MISSING', [d.otherExport], ['MX', 'PE'], '2026-03-05T10:00:00Z');
    f.dismissed = await flag('DATE_ANOMALY', [d.export], ['BO', 'MX'], '2026-03-06T10:00:00Z', { status: 'dismissed' });
    f.gone = await flag('VALUE_ANOMALY', [d.otherExport], ['MX'], '2026-03-07T10:00:00Z', { status: 'in_review', holds: false });
    f.importer = await flag('LICENCE_MISSING', [d.import], ['BO'], '2026-03-22T10:00:00Z');
    f.namesake = await flag('LICENCE_MISSING', [d.namesake], ['MX', 'PE'], '2026-03-08T10:00:00Z');
    f.mirror = await flag('MIRROR_GAP', [], ['BO', 'MX'], '2026-03-09T10:00:00Z');
  });
  afterAll(() => t.close());

  it('puts the declarations side by side with the licence and consent each cites', async () => {
    const { body } = await as(u.analystMx, 'get', `/api/v1/flags/${f.main}`).expect(200);
    // The fields of API.md stay as they are.
    expect(Object.keys(body)).toEqual(expect.arrayContaining(['id', 'code', 'severity', 'score', 'status', 'summary', 'countries', 'declarationIds', 'evidence', 'assigneeId', 'version', 'comments', 'history', 'createdAt']));
    const [exported, imported] = body.related.declarations;
    expect(exported).toEqual({
      id: d.export.id, number: 'MX-EV-1', country: 'MX', flow: 'export', status: 'received', version: 1, date: '2026-03-01',
      trader: { nationalId: 'MXA-0001', name: 'Minera del Norte SA de CV' }, counterparty: { name: 'Importadora Andina SRL', country: 'BO' },
      partnerCountry: 'BO', originCountry: 'MX', transportDocument: 'MSCU1234567', totalNetMassKg: 3450, totalValueUsd: 186300, hsCodes: ['280540'],
      licenceNumber: 'MX-EXP-0042', consentReference: 'BO-PIC-2026-007',
      // MX-EV-2 counts against the same licence (the trader's only one): 3,450 + 500 kg.
      licence: { id: expect.any(String), number: 'MX-EXP-0042', type: 'export', status: 'active', validFrom: '2026-01-01', validTo: '2026-12-31', maxQuantityKg: 10000, usedQuantityKg: 3950 },
      consent: {
        id: expect.any(String), reference: 'BO-PIC-2026-007', type: 'written_consent', status: 'active', exportingCountry: 'MX', importingCountry: 'BO',
        validFrom: '2026-01-01', validTo: '2026-12-31', quantityKg: 5000, usedQuantityKg: 3450, remainingQuantityKg: 1550,
      },
    });
    // The import cites the same consent (found by reference for the pair MX → BO) and no licence.
    expect(imported).toMatchObject({
      id: d.import.id, number: 'BO-EV-1', country: 'BO', flow: 'import', date: '2026-03-20', trader: { nationalId: 'BOI-1', name: 'Importadora Andina SRL' },
      totalNetMassKg: 3020, hsCodes: ['251710', '280540'], licenceNumber: null, licence: null,
      consent: { id: exported.consent.id, reference: 'BO-PIC-2026-007', usedQuantityKg: 3450 },
    });
  });

  it('lists the other open or in-review flags of each trader (same national id in the same country) that the caller can see, newest first', async () => {
    const mx = (await as(u.analystMx, 'get', `/api/v1/flags/${f.main}`).expect(200)).body.related.traders;
    expect(mx).toEqual([
      { country: 'BO', nationalId: 'BOI-1', name: 'Importadora Andina SRL', openFlags: [] },
      {
        country: 'MX', nationalId: 'MXA-0001', name: 'Minera del Norte SA de CV',
        openFlags: [
          { id: f.consent, code: 'CONSENT_MISSING', severity: 'high', status: 'open', summary: 'CONSENT_MISSING about 1 declaration(s)', createdAt: '2026-03-05T10:00:00.000000Z' },
          { id: f.licence, code: 'LICENCE_MISSING', severity: 'high', status: 'in_review', summary: 'LICENCE_MISSING about 1 declaration(s)', createdAt: '2026-03-02T10:00:00.000000Z' },
        ],
      },
    ]);
    // BO sees its importer's case, and none of the MX-only or MX-PE ones.
    const bo = (await as(u.analystBo, 'get', `/api/v1/flags/${f.main}`).expect(200)).body.related.traders;
    expect(bo.map((x: { nationalId: string; openFlags: { id: string }[] }) => [x.nationalId, x.openFlags.map((o) => o.id)])).toEqual([['BOI-1', [f.importer]], ['MXA-0001', []]]);
    // Seen from another case of the trader, the flag itself is not among "the others"; the main case is.
    const fromLicence = (await as(u.analystMx, 'get', `/api/v1/flags/${f.licence}`).expect(200)).body.related;
    expect(fromLicence.declarations.map((x: { number: string }) => x.number)).toEqual(['MX-EV-1']);
    expect(fromLicence.traders[0].openFlags.map((o: { id: string }) => o.id)).toEqual([f.main, f.consent]);
  });

  it('has nothing related for a flag about no declaration, and goes with the flag in PATCH answers', async () => {
    expect((await as(u.analystMx, 'get', `/api/v1/flags/${f.mirror}`).expect(200)).body.related).toEqual({ declarations: [], traders: [] });
    const patched = await as(u.analystMx, 'patch', `/api/v1/flags/${f.consent}`, { version: 1, status: 'in_review' }).expect(200);
    expect(patched.body.related.declarations.map((x: { number: string }) => x.number)).toEqual(['MX-EV-2']);
  });
});
