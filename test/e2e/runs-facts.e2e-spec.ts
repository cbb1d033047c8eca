import { CheckService, ComplianceFactsService, type DeclarationContent, RunsService } from '@hgtrace/crosscheck';
import { exportDeclaration } from '../support/factories.js';
import { type Method, type TestApp, type TestUser, createUser, requestAs, startTestApp } from '../support/test-app.js';

/**
 * A run judges its chunks against the registries it read once at its start (registrySnapshot), where
 * a check reads them with each batch (gatherMany). Both must give every declaration exactly the same
 * facts, whatever the chunk holds: the run's flags, evidence and history rest on it.
 */
describe('cross-check runs: compliance facts from the registry snapshot', () => {
  let t: TestApp;
  const u: Record<string, TestUser> = {};
  const as = (user: TestUser | string, method: Method, path: string, body?: object) => requestAs(t, user, method, path, body);

  beforeAll(async () => {
    t = await startTestApp();
    for (const c of ['MX', 'BO', 'PE']) {
      u[`focal${c}`] = await createUser(t, 'focal_point', [c]);
      u[`officer${c}`] = await createUser(t, 'customs_officer', [c]);
    }
    const trader = async (country: string, nationalId: string, name: string) => (await as(u[`focal${country}`], 'post', '/api/v1/traders', { country, nationalId, name }).expect(201)).body;
    const licence = async (country: string, traderId: string, number: string, type: string, extra: object = {}) =>
      (await as(u[`focal${country}`], 'post', '/api/v1/licences', { traderId, number, type, hsCodes: ['2805', '2852'], validFrom: '2026-01-01', validTo: '2026-12-31', ...extra }).expect(201)).body;
    const mxa = await trader('MX', 'MXA-1', 'Minera del Norte SA de CV');
    const mxb = await trader('MX', 'MXB-1', 'Metales Azteca SA');
    const boi = await trader('BO', 'BOI-1', 'Importadora Andina SRL');
    // A trader with both types, a ceiling, last year's licence, and one suspended then reinstated.
    await licence('MX', mxa.id, 'MX-EXP-1', 'export', { maxQuantityKg: 5000 });
    await licence('MX', mxa.id, 'MX-EXP-0', 'export', { validFrom: '2025-01-01', validTo: '2025-12-31' });
    await licence('MX', mxa.id, 'MX-IMP-1', 'import');
    const suspended = await licence('MX', mxb.id, 'MX-EXP-2', 'export');
    await as(u.focalMX, 'post', `/api/v1/licences/${suspended.id}/suspend`, { reason: 'Storage inspection failed' }).expect(200);
    await licence('BO', boi.id, 'BO-IMP-1', 'import', { hsCodes: ['280540'] });
    const consent = (country: string, reference: string, quantityKg: number, extra: object = {}) =>
      as(u[`focal${country}`], 'post', '/api/v1/consents', {
        reference, type: 'written_consent', exportingCountry: 'MX', importingCountry: country, hsCodes: ['280540'], quantityKg, purpose: 'allowed_use', validFrom: '2026-01-01', validTo: '2026-12-31', ...extra,
      }).expect(201);
    await consent('BO', 'PIC-1', 6000);
    await consent('PE', 'PIC-1', 6000);
    await consent('PE', 'PE-PIC-2', 1000);

    const file = (country: string, body: object) => as(u[`officer${country}`], 'post', '/api/v1/declarations', body).expect(201);
    const mercury = (kg: number) => [{ hsCode: '280540', netMassKg: kg, valueUsd: kg * 54 }];
    let n = 0;
    const exp = (overrides: object) => file('MX', exportDeclaration({ number: `MX-F-${++n}`, trader: { nationalId: 'MXA-1', name: 'Minera del Norte SA de CV' }, licenceNumber: 'MX-EXP-1', consentReference: 'PIC-1', ...overrides }));
    await exp({ items: mercury(3000) });
    await exp({ items: mercury(2500), date: '2026-04-01' });
    await exp({ partnerCountry: 'PE', counterparty: { name: 'Quimica Lima SAC', country: 'PE' }, items: mercury(1200) });
    await exp({ partnerCountry: 'PE', counterparty: { name: 'Quimica Lima SAC', country: 'PE' }, consentReference: 'PE-PIC-2', items: mercury(1500) });
    await exp({ licenceNumber: 'MX-EXP-2', items: mercury(100) });
    await exp({ trader: { nationalId: 'MXB-1', name: 'Metales Azteca SA' }, licenceNumber: undefined, items: mercury(200), date: '2026-02-01' });
    await exp({ licenceNumber: 'MX-IMP-1', consentReference: 'NO-SUCH', items: mercury(50) });
    await exp({ licenceNumber: 'MX-NONE', consentReference: undefined, items: [{ hsCode: '285210', netMassKg: 20, valueUsd: 900 }] });
    await exp({ licenceNumber: undefined, consentReference: undefined, items: [{ hsCode: '853931', netMassKg: 300, valueUsd: 4000 }] });
    await exp({ trader: { nationalId: 'MXZ-9', name: 'Fantasma SA' }, licenceNumber: undefined, items: mercury(600) });
    await exp({ date: '2025-06-01', licenceNumber: undefined, items: mercury(400) });
    await exp({ licenceNumber: 'MX-EXP-0', items: mercury(10) });
    await file('MX', exportDeclaration({ number: 'MX-F-IMP', flow: 'import', partnerCountry: 'BO', counterparty: { name: 'Importadora Andina SRL', country: 'BO' },
      trader: { nationalId: 'MXA-1', name: 'Minera del Norte SA de CV' }, licenceNumber: undefined, consentReference: undefined, items: mercury(70) }));
    await file('BO', exportDeclaration({ country: 'BO', flow: 'import', number: 'BO-F-1', partnerCountry: 'MX', trader: { nationalId: 'BOI-1', name: 'Importadora Andina SRL' },
      counterparty: { name: 'Minera del Norte', country: 'MX' }, licenceNumber: 'BO-IMP-1', consentReference: 'PIC-1', items: mercury(3000) }));
  }, 120_000);
  afterAll(() => t.close());

  it('gives every declaration the facts a check gathers, in chunks of every size', async () => {
    const { rows } = await t.db.query(`
      SELECT d.id, d.country, d.flow, d.number, to_char(d.date, 'YYYY-MM-DD') AS date, d.trader_national_id, d.trader_name, d.counterparty_name, d.counterparty_country,
             d.partner_country, d.origin_country, d.licence_number, d.consent_reference,
             (SELECT json_agg(json_build_object('hsCode', i.hs_code, 'netMassKg', i.net_mass_kg, 'valueUsd', i.value_usd, 'description', i.description) ORDER BY i.line)
                FROM declaration_items i WHERE i.declaration_id = d.id) AS items,
             (SELECT coalesce(json_agg(json_build_object('licenceId', u.licence_id, 'kg', u.quantity_kg::text)), '[]') FROM licence_usages u JOIN licences l ON l.id = u.licence_id
               WHERE u.declaration_id = d.id AND u.declaration_date BETWEEN l.valid_from AND l.valid_to) AS own_licences,
             (SELECT coalesce(json_agg(json_build_object('consentId', w.consent_id, 'kg', w.drawn_kg::text)), '[]') FROM consent_drawdowns w WHERE w.declaration_id = d.id) AS own_consents
        FROM declarations d ORDER BY d.number`);
    expect(rows.length).toBe(14);
    // What they count themselves: usage under licences and drawdowns from consents.
    expect(rows.some((r) => r.own_licences.length > 0) && rows.some((r) => r.own_consents.length > 0)).toBe(true);
    const content = (r: Record<string, any>): DeclarationContent => ({
      country: r.country, flow: r.flow, number: r.number, date: r.date, trader: { nationalId: r.trader_national_id, name: r.trader_name },
      counterparty: { name: r.counterparty_name, country: r.counterparty_country }, partnerCountry: r.partner_country, originCountry: r.origin_country,
      licenceNumber: r.licence_number, consentReference: r.consent_reference,
      items: r.items.map((i: Record<string, any>) => ({ hsCode: i.hsCode, netMassKg: Number(i.netMassKg), valueUsd: Number(i.valueUsd), description: i.description })),
    });
    const facts = t.app.get(ComplianceFactsService);
    const snapshot = await facts.registrySnapshot();
    // Every declaration alone (the single-declaration statement), in twos and threes, and all at once.
    for (const size of [1, 2, 3, rows.length]) {
      for (let i = 0; i < rows.length; i += size) {
        const chunk = rows.slice(i, i + size);
        const gathered = await facts.gatherMany(chunk.map((r) => ({ content: content(r), declarationId: r.id })));
        const fromSnapshot = facts.factsFromSnapshot(snapshot, chunk.map((r) => ({ content: content(r), declarationId: r.id, own: { licences: r.own_licences, consents: r.own_consents } })));
        expect(fromSnapshot).toEqual(gathered);
      }
    }
    const all = await facts.gatherMany(rows.map((r) => ({ content: content(r), declarationId: r.id })));
    expect(all.some((f) => f.traderLicences.some((l) => l.usedByOthersKg > 0))).toBe(true);
    expect(all.some((f) => f.citedConsent !== null && f.pairConsents.length > 0)).toBe(true);
  });

  it('raises through a run exactly the compliance flags that checks raise', async () => {
    const flags = async () =>
      (await t.db.query(`SELECT code, subject, severity, score, summary, countries, declaration_ids, evidence, holds, status, version FROM flags ORDER BY code, subject`)).rows;
    const history = async () =>
      (await t.db.query(`SELECT f.code, f.subject, h.action, h.from_status, h.to_status, h.reason, h.actor FROM flag_history h JOIN flags f ON f.id = h.flag_id ORDER BY 1, 2, 3, 6`)).rows;
    const { rows: declarations } = await t.db.query(`SELECT id, version FROM declarations ORDER BY id`);
    await t.app.get(CheckService).checkMany(declarations.map((d) => ({ declarationId: d.id, version: d.version })));
    const checked = { flags: await flags(), history: await history() };
    expect(checked.flags.map((f) => f.code)).toEqual(expect.arrayContaining(['LICENCE_MISSING', 'LICENCE_INACTIVE', 'LICENCE_QUANTITY_EXCEEDED', 'CONSENT_MISMATCH']));
    // A run over the same declarations from scratch: the same flags and history lines.
    await t.db.query(`TRUNCATE flags CASCADE; UPDATE declarations SET check_status = 'pending', checked_version = NULL`);
    const analyst = await createUser(t, 'analyst', ['*']);
    const run = (await as(analyst, 'post', '/api/v1/crosscheck/runs', { asOf: '2026-03-01' }).expect(202)).body;
    await t.app.get(RunsService).execute(run.id);
    const compliance = (rows: Record<string, any>[]) => rows.filter((r) => r.subject.startsWith('declaration:'));
    expect(compliance(await flags())).toEqual(compliance(checked.flags));
    expect(compliance(await history())).toEqual(compliance(checked.history));
    const { rows: marks } = await t.db.query(`SELECT count(*)::int AS n FROM declarations WHERE check_status = 'checked' AND checked_version = version`);
    expect(marks[0].n).toBe(declarations.length);
  });
});
