import { DataSource } from 'typeorm';
import { PairCheckService } from '@hgtrace/crosscheck';
import { exportDeclaration } from '../support/factories.js';
import { type Method, type TestApp, type TestUser, createUser, requestAs, startTestApp } from '../support/test-app.js';

/**
 * The pair check writes only what changed in an export's matches: the stored matches it no longer
 * finds must go, and one it finds again on another basis or with another score must be updated.
 */
describe('the matches a pair check stores', () => {
  let t: TestApp;
  const u: Record<string, TestUser> = {};
  const as = (user: TestUser | string, method: Method, path: string, body?: object) => requestAs(t, user, method, path, body);
  const importOf = (overrides: Record<string, unknown>) => ({
    ...exportDeclaration({ country: 'BO', flow: 'import', partnerCountry: 'MX', date: '2026-03-15', licenceNumber: undefined, consentReference: undefined }),
    trader: { nationalId: 'BOI-0001', name: 'Importadora Andina SRL' },
    counterparty: { name: 'Minera del Norte SA de CV', country: 'MX' },
    ...overrides,
  });
  const file = async (user: TestUser, body: Record<string, unknown>) => ({ body, ...(await as(user, 'post', '/api/v1/declarations', body).expect(201)).body });
  const check = (...ids: string[]) => t.app.get(DataSource).transaction((manager) => t.app.get(PairCheckService).checkExports(manager, ids));
  const stored = async (exportId: string) =>
    (await t.db.query(`SELECT import_id, basis, score::text FROM matches WHERE export_id = $1 ORDER BY import_id`, [exportId])).rows;

  beforeAll(async () => {
    t = await startTestApp();
    u.systemMX = await createUser(t, 'system', ['MX']);
    u.systemBO = await createUser(t, 'system', ['BO']);
  });
  afterAll(async () => {
    await t.close();
  });

  it('deletes the matches it no longer finds and updates those it finds with another score', async () => {
    const documented = await file(u.systemMX, exportDeclaration({ transportDocument: 'MSCU7000001', containers: [] }));
    const itsImport = await file(u.systemBO, importOf({ transportDocument: 'MSCU7000001', containers: [] }));
    const loose = await file(u.systemMX, exportDeclaration({ transportDocument: undefined, containers: [], date: '2026-03-02', items: [{ hsCode: '280540', netMassKg: 690, valueUsd: 37260 }] }));
    // Undocumented too, the consignor's name unlike the exporter's: only the importer's name can make it alike.
    const looseImport = await file(u.systemBO, importOf({ transportDocument: undefined, containers: [], counterparty: { name: 'Proveedora Central', country: 'MX' }, items: [{ hsCode: '280540', netMassKg: 690, valueUsd: 38000 }] }));

    await check(documented.id, loose.id);
    expect(await stored(documented.id)).toEqual([{ import_id: itsImport.id, basis: 'transport_document', score: '1.000' }]);
    expect(await stored(loose.id)).toEqual([{ import_id: looseImport.id, basis: 'attributes', score: '1.000' }]);

    await as(u.systemBO, 'post', `/api/v1/declarations/${itsImport.id}/cancel`, { reason: 'filed in error' }).expect(200);
    // Another spelling of the importer, alike by trigrams only (0.600 against 'Importadora Andina SRL').
    await as(u.systemBO, 'put', `/api/v1/declarations/${looseImport.id}`, { ...looseImport.body, trader: { nationalId: 'BOI-0001', name: 'Impor. Andina' }, version: looseImport.version }).expect(200);
    // One at a time: the one has only a match to delete, the other only one to update.
    await check(documented.id);
    expect(await stored(documented.id)).toEqual([]);
    await check(loose.id);
    expect(await stored(loose.id)).toEqual([{ import_id: looseImport.id, basis: 'attributes', score: '0.600' }]);
  });
});
