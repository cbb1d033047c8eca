import { type ChildProcess, spawn } from 'node:child_process';
import { eventually } from '@hgtrace/testing';
import { exportDeclaration } from '../support/factories.js';
import { type Method, type TestApp, type TestUser, createUser, requestAs, startTestApp } from '../support/test-app.js';

/** Cross-check runs and the sweep: NO_MATCHING_IMPORT and NO_MATCHING_EXPORT once windows have passed. */
describe('cross-check runs', () => {
  let t: TestApp;
  let worker: ChildProcess;
  const u: Record<string, TestUser> = {};
  const as = (user: TestUser | string, method: Method, path: string, body?: object) => requestAs(t, user, method, path, body);
  const run = async (body: object = {}) => {
    const { id } = (await as(u.analyst, 'post', '/api/v1/crosscheck/runs', body).expect(202)).body;
    return eventually(async () => {
      const res = await as(u.analyst, 'get', `/api/v1/crosscheck/runs/${id}`).expect(200);
      return res.body.status === 'completed' ? res.body : undefined;
    }, 60_000, `run ${id}`);
  };
  const flag = async (code: string, number: string) => {
    const { rows } = await t.db.query(`SELECT f.holds, f.status, f.summary FROM flags f JOIN declarations d ON d.id = f.declaration_ids[1] WHERE f.code = $1 AND d.number = $2`, [code, number]);
    return rows[0];
  };

  beforeAll(async () => {
    t = await startTestApp();
    worker = spawn(process.execPath, ['dist/apps/worker/src/main.js'], { env: { ...process.env, ...t.env, OUTBOX_POLL_MS: '200' }, stdio: 'ignore' });
    u.officerMx = await createUser(t, 'customs_officer', ['MX']);
    u.officerBo = await createUser(t, 'customs_officer', ['BO']);
    u.analyst = await createUser(t, 'analyst', ['MX', 'BO']);
    u.analystPe = await createUser(t, 'analyst', ['PE']);
  });
  afterAll(async () => {
    worker.kill('SIGTERM');
    await new Promise((resolve) => worker.once('exit', resolve));
    await t.close();
  });

  it('raises NO_MATCHING_IMPORT once the window has passed, and closes it when the import arrives', async () => {
    await as(u.officerMx, 'post', '/api/v1/declarations', exportDeclaration({ number: 'MX-LOST-1', date: '2026-03-01', transportDocument: 'MSCU5550001' })).expect(201);
    await as(u.officerMx, 'post', '/api/v1/declarations', exportDeclaration({ number: 'MX-LOST-2', date: '2026-03-02', transportDocument: 'MSCU5550002' })).expect(201);
    // Judged the day before its window passes, nothing yet; after it, the flag.
    await run({ asOf: '2026-06-28' });
    expect(await flag('NO_MATCHING_IMPORT', 'MX-LOST-1')).toBeUndefined();
    const done = await run({ asOf: '2026-06-29' });
    // Two declarations for the compliance rules, then the two exports for matching.
    expect(done).toMatchObject({ status: 'completed', total: 4, done: 4, flagsRaised: 1 });
    expect(await flag('NO_MATCHING_IMPORT', 'MX-LOST-1')).toMatchObject({ holds: true, status: 'open', summary: expect.stringMatching(/MX-LOST-1 of 3,450 kg to BO dated 2026-03-01: no import was declared in BO within 120 days/) });
    expect(await flag('NO_MATCHING_IMPORT', 'MX-LOST-2')).toBeUndefined();

    await as(u.officerBo, 'post', '/api/v1/declarations', exportDeclaration({
      country: 'BO', flow: 'import', number: 'BO-FOUND-1', date: '2026-04-02', partnerCountry: 'MX', transportDocument: 'MSCU 555 0001',
      trader: { nationalId: 'BOI-1', name: 'Importadora Andina SRL' }, counterparty: { name: 'Minera del Norte', country: 'MX' }, licenceNumber: undefined, consentReference: undefined,
    })).expect(201);
    await eventually(async () => (await t.db.query(`SELECT count(*)::int AS n FROM matches`)).rows[0].n === 1, 30_000, 'the match');
    await run({ asOf: '2026-11-01' });
    expect(await flag('NO_MATCHING_IMPORT', 'MX-LOST-1')).toMatchObject({ holds: false, status: 'dismissed' });
    expect(await flag('NO_MATCHING_IMPORT', 'MX-LOST-2')).toMatchObject({ holds: true });
  });

  it('raises NO_MATCHING_EXPORT for an import from a reporting country with no export behind it', async () => {
    await as(u.officerBo, 'post', '/api/v1/declarations', exportDeclaration({
      country: 'BO', flow: 'import', number: 'BO-ORPHAN-1', date: '2026-03-20', partnerCountry: 'MX', transportDocument: 'HLCU0000001',
      trader: { nationalId: 'BOI-1', name: 'Importadora Andina SRL' }, counterparty: { name: 'Proveedor Desconocido SA', country: 'MX' }, licenceNumber: undefined, consentReference: undefined,
    })).expect(201);
    await run({ asOf: '2026-11-01' });
    expect(await flag('NO_MATCHING_EXPORT', 'BO-ORPHAN-1')).toMatchObject({ holds: true, summary: expect.stringContaining('MX declared no matching export') });
  });

  it('keeps runs within the analyst\'s countries and refuses bad input', async () => {
    await as(u.analyst, 'post', '/api/v1/crosscheck/runs', { countries: ['PE'] }).expect(403);
    await as(u.analyst, 'post', '/api/v1/crosscheck/runs', { from: '2026-05-01', to: '2026-04-01' }).expect(400);
    await as(u.analyst, 'post', '/api/v1/crosscheck/runs', { asOf: 'yesterday' }).expect(400);
    await as(u.officerMx, 'post', '/api/v1/crosscheck/runs', {}).expect(403);
    const { id } = (await as(u.analyst, 'post', '/api/v1/crosscheck/runs', { countries: ['MX'] }).expect(202)).body;
    await as(u.analystPe, 'get', `/api/v1/crosscheck/runs/${id}`).expect(404);
  });
});
