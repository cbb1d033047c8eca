import { DataSource } from 'typeorm';
import { PairCheckService } from '@hgtrace/crosscheck';
import { exportDeclaration } from '../support/factories.js';
import { type Method, type TestApp, type TestUser, createUser, requestAs, startTestApp } from '../support/test-app.js';

/**
 * The exports a new undocumented import affects are those of its route and window that may match it
 * by attributes: names compared first (on the route's distinct names), the rest (HS heading,
 * documents, status) looked up only for the exports whose names are alike. Each exclusion and each
 * of the two ways names can be alike is here, at the window's edges.
 */
describe('exports affected by an undocumented import', () => {
  let t: TestApp;
  const u: Record<string, TestUser> = {};
  const as = (user: TestUser | string, method: Method, path: string, body?: object) => requestAs(t, user, method, path, body);
  const file = async (user: TestUser, body: object) => (await as(user, 'post', '/api/v1/declarations', body).expect(201)).body as { id: string; number: string };
  const importer = 'Importadora Andina SRL';
  const exporter = 'Minera del Norte SA de CV';

  beforeAll(async () => {
    t = await startTestApp();
    u.officerMX = await createUser(t, 'customs_officer', ['MX']);
    u.officerBO = await createUser(t, 'customs_officer', ['BO']);
  });
  afterAll(async () => {
    await t.close();
  });

  it('takes the exports alike by counterparty or by trader, within the window, of a shared heading, not tied elsewhere', async () => {
    const exported = async (number: string, overrides: Record<string, unknown> = {}) =>
      file(
        u.officerMX,
        exportDeclaration({
          number, date: '2026-06-01', transportDocument: undefined, containers: [], trader: { nationalId: 'MXA-1', name: exporter },
          counterparty: { name: importer, country: 'BO' }, items: [{ hsCode: '280540', netMassKg: 1000, valueUsd: 50000 }], ...overrides,
        }),
      );
    const imported = async (number: string, overrides: Record<string, unknown> = {}) =>
      file(
        u.officerBO,
        exportDeclaration({
          country: 'BO', flow: 'import', partnerCountry: 'MX', number, date: '2026-07-01', trader: { nationalId: 'BOI-1', name: importer },
          counterparty: { name: exporter, country: 'MX' }, transportDocument: undefined, containers: [], licenceNumber: undefined, consentReference: undefined,
          items: [{ hsCode: '280540', netMassKg: 1000, valueUsd: 52000 }], ...overrides,
        }),
      );
    const expected = [
      // Alike by the counterparty (the importer as the exporter wrote it) alone, and by the trader (the exporter as the importer wrote it) alone.
      await exported('MX-BY-COUNTERPARTY', { trader: { nationalId: 'MXZ-1', name: 'Zeta Metales Industriales' }, counterparty: { name: 'IMPORTADORA ANDINA S.R.L.', country: 'BO' } }),
      await exported('MX-BY-TRADER', { trader: { nationalId: 'MXA-1', name: 'MINERA DEL NORTE S.A. DE C.V.' }, counterparty: { name: 'Quimica Lima SAC', country: 'BO' } }),
      // The window's edges: the window's length before the import, the date tolerance after it.
      await exported('MX-FIRST-DAY', { date: '2026-03-03' }),
      await exported('MX-LAST-DAY', { date: '2026-07-02' }),
      // A document that ties it to no import at its destination: still a rival of an undocumented import.
      await exported('MX-LOOSE-DOCUMENT', { transportDocument: 'LOOSE0000001' }),
      // Two items, one of them of the import's heading.
      await exported('MX-TWO-ITEMS', { items: [{ hsCode: '251710', netMassKg: 10, valueUsd: 10 }, { hsCode: '280540', netMassKg: 990, valueUsd: 49000 }] }),
    ];
    // Neither name alike; out of the window on either side; another heading; cancelled; tied by its document to an import at its destination; another route.
    await exported('MX-UNALIKE', { trader: { nationalId: 'MXZ-1', name: 'Zeta Metales Industriales' }, counterparty: { name: 'Quimica Lima SAC', country: 'BO' } });
    await exported('MX-TOO-EARLY', { date: '2026-03-02' });
    await exported('MX-TOO-LATE', { date: '2026-07-03' });
    await exported('MX-OTHER-HEADING', { items: [{ hsCode: '251710', netMassKg: 1000, valueUsd: 50000 }] });
    const cancelled = await exported('MX-CANCELLED');
    await as(u.officerMX, 'post', `/api/v1/declarations/${cancelled.id}/cancel`, { reason: 'Filed twice' }).expect(200);
    await exported('MX-TIED', { transportDocument: 'TIED0000001' });
    await imported('BO-TIED', { transportDocument: 'TIED0000001', date: '2026-06-10', items: [{ hsCode: '280540', netMassKg: 5, valueUsd: 300 }] });
    await exported('MX-TO-PERU', { partnerCountry: 'PE', counterparty: { name: importer, country: 'PE' } });

    const contested = await imported('BO-UNDOCUMENTED');
    const pairs = t.app.get(PairCheckService);
    const affected = await t.app.get(DataSource).transaction((manager) => pairs.exportsAffectedBy(manager, [contested.id]));
    expect(affected).toEqual(expected.map((e) => e.id).sort());

    // With a transport document of its own, the import can only be matched by attributes to exports without one.
    const documented = await imported('BO-DOCUMENTED', { transportDocument: 'NOEXPORT0001' });
    const affectedByDocumented = await t.app.get(DataSource).transaction((manager) => pairs.exportsAffectedBy(manager, [documented.id]));
    expect(affectedByDocumented).toEqual(expected.filter((e) => e.number !== 'MX-LOOSE-DOCUMENT').map((e) => e.id).sort());
  });
});
