import { type Method, type TestApp, type TestUser, createUser, requestAs, startTestApp } from '../support/test-app.js';
import { ComplianceFactsService, type DeclarationContent } from '@hgtrace/crosscheck';
import { exportDeclaration } from '../support/factories.js';

/** The instant verdict through the API: each compliance rule on both sides of its boundary. */
describe('POST /declarations/verify', () => {
  let t: TestApp;
  const u: Record<string, TestUser> = {};
  const today = new Date().toISOString().slice(0, 10);
  const yesterday = new Date(Date.now() - 86400_000).toISOString().slice(0, 10);

  const as = (user: TestUser | string, method: Method, path: string, body?: object) => requestAs(t, user, method, path, body);
  const focal = async (country: string) => (u[`focal${country}`] ??= await createUser(t, 'focal_point', [country]));
  const trader = async (nationalId: string, name: string) =>
    (await as(await focal('MX'), 'post', '/api/v1/traders', { country: 'MX', nationalId, name }).expect(201)).body;
  const licence = async (traderId: string, number: string, change: object = {}) =>
    (await as(await focal('MX'), 'post', '/api/v1/licences', { traderId, number, type: 'export', hsCodes: ['2805'], validFrom: '2026-01-01', validTo: '2026-12-31', ...change }).expect(201)).body;
  const consent = async (importing: string, reference: string, change: object = {}) =>
    (await as(await focal(importing), 'post', '/api/v1/consents', {
      reference, type: 'written_consent', exportingCountry: 'MX', importingCountry: importing, hsCodes: ['280540'], purpose: 'allowed_use', validFrom: '2026-01-01', validTo: '2026-12-31', ...change,
    }).expect(201)).body;

  /** A declaration by trader `nationalId` to `partner`, citing nothing unless told. */
  const declaration = (nationalId: string, partner: string, change: Record<string, unknown> = {}) =>
    exportDeclaration({ trader: { nationalId, name: 'Trader' }, partnerCountry: partner, counterparty: { name: 'Buyer SA', country: partner }, licenceNumber: undefined, consentReference: undefined, ...change });
  const verify = async (body: object) => (await as(u.officerMx, 'post', '/api/v1/declarations/verify', body).expect(200)).body;
  const codes = async (body: object) => (await verify(body)).findings.map((f: { code: string }) => f.code);
  const kg = (netMassKg: number) => ({ items: [{ hsCode: '280540', netMassKg, valueUsd: Math.round(netMassKg * 50) }] });

  beforeAll(async () => {
    t = await startTestApp();
    u.officerMx = await createUser(t, 'customs_officer', ['MX']);
    u.officerBo = await createUser(t, 'customs_officer', ['BO']);
    // A: licence without ceiling; consent from BO of 8,000 kg, of which 6,000 kg already drawn.
    const a = await trader('A-1', 'Mercurio Azteca SA');
    await licence(a.id, 'LIC-A');
    await consent('BO', 'BO-8000', { quantityKg: 8000 });
    await as(u.officerMx, 'post', '/api/v1/declarations', declaration('A-1', 'BO', { ...kg(6000), number: 'MX-A-1', date: '2026-02-01' })).expect(201);
    // B: licence of 10,000 kg valid to 2026-06-30, with 6,000 kg used; a large consent from PE.
    const b = await trader('B-1', 'Metales del Golfo SA');
    await licence(b.id, 'LIC-B', { maxQuantityKg: 10000, validTo: '2026-06-30' });
    await consent('PE', 'PE-BIG', { quantityKg: 1000000 });
    await as(u.officerMx, 'post', '/api/v1/declarations', declaration('B-1', 'PE', { ...kg(6000), number: 'MX-B-1', date: '2026-02-01' })).expect(201);
    // C: licence suspended today; D: licence for compounds only (2852).
    const c = await trader('C-1', 'Quimica Suspendida SA');
    const lc = await licence(c.id, 'LIC-C');
    await as(await focal('MX'), 'post', `/api/v1/licences/${lc.id}/suspend`, { reason: 'Storage inspection failed' }).expect(200);
    const d = await trader('D-1', 'Compuestos SA');
    await licence(d.id, 'LIC-D', { hsCodes: ['2852'] });
    // E: trades with PL (a Party from 2021-12-29) under a 2021-2022 licence and consent.
    const e = await trader('E-1', 'Exportadora Historica SA');
    await licence(e.id, 'LIC-E', { validFrom: '2021-01-01', validTo: '2022-12-31' });
    await consent('PL', 'PL-2021', { validFrom: '2021-01-01', validTo: '2022-12-31' });
    // CD is not a Party: one consent with the non-Party certification, one (to AO, also assumed) without.
    await consent('CD', 'CD-CERT', { nonPartyCertification: true });
    // A consent from EC withdrawn today.
    const ec = await consent('EC', 'EC-WITHDRAWN');
    await as(await focal('EC'), 'post', `/api/v1/consents/${ec.id}/withdraw`, { reason: 'Importer closed' }).expect(200);
  });
  afterAll(() => t.close());

  it('gives a compliant declaration the green lane, with the licence and consent it would use', async () => {
    const verdict = await verify(declaration('A-1', 'BO', kg(1000)));
    expect(verdict).toMatchObject({ lane: 'green', findings: [], licence: { number: 'LIC-A', status: 'active' }, consent: { reference: 'BO-8000', quantityKg: 8000, remainingKg: 2000 } });
    // Nothing was stored.
    expect((await t.db.query(`SELECT count(*)::int AS n FROM declarations WHERE number = $1`, [(declaration('A-1', 'BO') as { number: string }).number])).rows[0].n).toBe(0);
  });

  it('CONSENT_QUANTITY_EXCEEDED: exactly enough left is fine, one kg more is not', async () => {
    expect(await codes(declaration('A-1', 'BO', kg(2000)))).toEqual([]);
    const verdict = await verify(declaration('A-1', 'BO', kg(2001)));
    expect(verdict.lane).toBe('red');
    expect(verdict.findings).toEqual([
      expect.objectContaining({ code: 'CONSENT_QUANTITY_EXCEEDED', severity: 'high', message: expect.stringMatching(/BO-8000.*8,000 kg.*6,000 kg.*2,001 kg.*1 kg over/) }),
    ]);
  });

  it('LICENCE_QUANTITY_EXCEEDED: the ceiling reached exactly is fine, a gram over is not', async () => {
    expect(await codes(declaration('B-1', 'PE', kg(4000)))).toEqual([]);
    const verdict = await verify(declaration('B-1', 'PE', kg(4000.001)));
    expect(verdict.findings.map((f: { code: string }) => f.code)).toEqual(['LICENCE_QUANTITY_EXCEEDED']);
    expect(verdict.findings[0].message).toContain('LIC-B');
  });

  it('counts against a licence only what is dated within its validity, and every usage in its total, as filings, amendments and cancellations change them', async () => {
    const f = await trader('F-1', 'Contador de Cupos SA');
    await licence(f.id, 'LIC-F', { maxQuantityKg: 1000, validTo: '2026-06-30' });
    const used = async () => (await verify(declaration('F-1', 'PE', { ...kg(1), date: '2026-03-01' }))).licence.usedByOthersKg;
    const inDb = async () => (await t.db.query(
      `SELECT l.used_in_validity_kg::float AS kept,
              (SELECT coalesce(sum(u.quantity_kg), 0) FROM licence_usages u JOIN declarations d ON d.id = u.declaration_id
                WHERE u.licence_id = l.id AND d.date BETWEEN l.valid_from AND l.valid_to)::float AS summed,
              l.used_quantity_kg::float AS total,
              (SELECT coalesce(sum(u.quantity_kg), 0) FROM licence_usages u WHERE u.licence_id = l.id)::float AS "totalSummed"
         FROM licences l WHERE l.number = 'LIC-F'`,
    )).rows[0];
    const file = async (number: string, netMassKg: number, date: string) =>
      (await as(u.officerMx, 'post', '/api/v1/declarations', declaration('F-1', 'PE', { ...kg(netMassKg), number, date, licenceNumber: 'LIC-F' })).expect(201)).body;
    expect(await used()).toBe(0);
    const inside = await file('MX-F-1', 300, '2026-02-01');
    // Cited, but dated after the validity: counted against the licence's usages, not its ceiling.
    const after = await file('MX-F-2', 200, '2026-08-01');
    expect(await used()).toBe(300);
    expect(await inDb()).toEqual({ kept: 300, summed: 300, total: 500, totalSummed: 500 });
    // An amendment moves the second into the validity; the first is cancelled.
    await as(u.officerMx, 'put', `/api/v1/declarations/${after.id}`, { ...declaration('F-1', 'PE', { ...kg(250), number: 'MX-F-2', date: '2026-05-01', licenceNumber: 'LIC-F' }), version: 1 }).expect(200);
    expect(await used()).toBe(550);
    await as(u.officerMx, 'post', `/api/v1/declarations/${inside.id}/cancel`, { reason: 'Filed twice' }).expect(200);
    expect(await used()).toBe(250);
    expect(await inDb()).toEqual({ kept: 250, summed: 250, total: 250, totalSummed: 250 });
    // A usage is never changed in place.
    await expect(t.db.query(`UPDATE licence_usages SET quantity_kg = 1 WHERE declaration_id = $1`, [after.id])).rejects.toThrow(/never updated/);
  });

  it('LICENCE_INACTIVE: usable on its last valid day, expired the day after', async () => {
    expect(await codes(declaration('B-1', 'PE', { ...kg(10), date: '2026-06-30' }))).toEqual([]);
    const verdict = await verify(declaration('B-1', 'PE', { ...kg(10), date: '2026-07-01' }));
    expect(verdict.findings.map((f: { code: string }) => f.code)).toEqual(['LICENCE_INACTIVE']);
    expect(verdict.findings[0].message).toMatch(/LIC-B.*2026-06-30.*2026-07-01/);
  });

  it('LICENCE_INACTIVE: a licence suspended today was usable yesterday', async () => {
    expect(await codes(declaration('C-1', 'PE', { ...kg(10), date: yesterday }))).not.toContain('LICENCE_INACTIVE');
    const verdict = await verify(declaration('C-1', 'PE', { ...kg(10), date: today }));
    expect(verdict.findings.find((f: { code: string }) => f.code === 'LICENCE_INACTIVE').message).toMatch(/LIC-C.*suspended.*Storage inspection failed/);
  });

  it('LICENCE_MISSING: a licence for compounds does not cover mercury; an unregistered trader holds none', async () => {
    expect(await codes(declaration('D-1', 'PE', { items: [{ hsCode: '285210', netMassKg: 5, valueUsd: 100 }] }))).toEqual([]);
    expect(await codes(declaration('D-1', 'PE', kg(5)))).toEqual(['LICENCE_MISSING']);
    expect(await codes(declaration('NOBODY-9', 'PE', kg(5)))).toContain('LICENCE_MISSING');
    expect(await codes(declaration('A-1', 'BO', { ...kg(5), licenceNumber: 'LIC-NONE' }))).toContain('LICENCE_MISSING');
  });

  it('CONSENT_MISSING: no consent from the destination, or a cited reference that does not exist', async () => {
    expect(await codes(declaration('A-1', 'CO', kg(5)))).toEqual(['CONSENT_MISSING']);
    expect(await codes(declaration('A-1', 'BO', { ...kg(5), consentReference: 'BO-NONE' }))).toContain('CONSENT_MISSING');
    // Goods that are not mercury need no consent.
    expect(await codes(declaration('A-1', 'CO', { items: [{ hsCode: '251710', netMassKg: 5, valueUsd: 1 }] }))).toEqual([]);
  });

  it('CONSENT_MISMATCH: a consent for another destination, or withdrawn on or before the date', async () => {
    expect(await codes(declaration('A-1', 'BO', { ...kg(5), consentReference: 'BO-8000' }))).toEqual([]);
    expect(await codes(declaration('A-1', 'BO', { ...kg(5), consentReference: 'PE-BIG' }))).toContain('CONSENT_MISMATCH');
    expect(await codes(declaration('A-1', 'EC', { ...kg(5), consentReference: 'EC-WITHDRAWN', date: yesterday }))).toEqual([]);
    const verdict = await verify(declaration('A-1', 'EC', { ...kg(5), consentReference: 'EC-WITHDRAWN', date: today }));
    expect(verdict.findings.map((f: { code: string }) => f.code)).toEqual(expect.arrayContaining(['CONSENT_MISMATCH']));
    expect(verdict.findings.find((f: { code: string }) => f.code === 'CONSENT_MISMATCH').message).toContain('withdrawn');
  });

  it('NON_PARTY_UNCERTIFIED: a Party from the declaration date is fine, the day before is not; a certified consent covers a non-Party', async () => {
    expect(await codes(declaration('E-1', 'PL', { ...kg(5), date: '2021-12-29' }))).toEqual([]);
    expect(await codes(declaration('E-1', 'PL', { ...kg(5), date: '2021-12-28' }))).toEqual(['NON_PARTY_UNCERTIFIED']);
    expect(await codes(declaration('A-1', 'CD', kg(5)))).toEqual([]);
  });

  // Verify and single checks gather facts with a statement of their own (scalar parameters); runs
  // gather a chunk's with another (arrays). Both must find the same.
  it('gathers the same facts for a declaration alone as within a chunk', async () => {
    const facts = t.app.get(ComplianceFactsService);
    const [stored] = (await t.db.query(`SELECT id FROM declarations WHERE number = 'MX-A-1'`)).rows;
    const contents = [
      declaration('A-1', 'BO', { ...kg(6000), number: 'MX-A-1', date: '2026-02-01' }),
      declaration('A-1', 'BO', { ...kg(2000), consentReference: 'BO-8000' }),
      declaration('B-1', 'PE', { ...kg(4000), licenceNumber: 'LIC-B' }),
      declaration('B-1', 'PE', { ...kg(5), date: '2026-07-01', licenceNumber: 'LIC-A', consentReference: 'PE-BIG' }),
      declaration('C-1', 'BO', { licenceNumber: 'LIC-C', date: yesterday }),
      declaration('D-1', 'BO', { licenceNumber: 'LIC-NONE', consentReference: 'NONE' }),
      declaration('X-9', 'CD', { consentReference: 'CD-CERT' }),
      declaration('E-1', 'PL', { ...kg(5), date: '2021-12-28', licenceNumber: 'LIC-E', consentReference: 'PL-2021' }),
      declaration('A-1', 'EC', { consentReference: 'EC-WITHDRAWN', date: today }),
      // (A chunk also hands a trader the licences of another type that its other declarations ask for; the rules look at the type.)
      declaration('F-1', 'PE', { flow: 'import', partnerCountry: 'PE', counterparty: { name: 'Seller SA', country: 'PE' }, items: [{ hsCode: '285210', netMassKg: 10, valueUsd: 500 }] }),
    ] as unknown as DeclarationContent[];
    const requests = contents.map((content, i) => ({ content, declarationId: i === 0 ? (stored.id as string) : null }));
    const alone = [];
    for (const { content, declarationId } of requests) alone.push(await facts.gather(content, declarationId));
    expect(alone[0].traderLicences[0].usedByOthersKg).toBe(0);
    expect(await facts.gatherMany(requests)).toEqual(alone);
  });

  it('is refused for another country, and for roles that do not file declarations', async () => {
    await as(u.officerBo, 'post', '/api/v1/declarations/verify', declaration('A-1', 'BO')).expect(403);
    await as(await focal('MX'), 'post', '/api/v1/declarations/verify', declaration('A-1', 'BO')).expect(403);
    await as(u.officerMx, 'post', '/api/v1/declarations/verify', { ...declaration('A-1', 'BO'), items: [] }).expect(400);
  });
});
