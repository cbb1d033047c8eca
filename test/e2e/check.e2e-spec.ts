import { type ChildProcess, spawn } from 'node:child_process';
import { CheckService } from '@hgtrace/crosscheck';
import { eventually } from '@hgtrace/testing';
import { exportDeclaration } from '../support/factories.js';
import { type Method, type TestApp, type TestUser, createUser, requestAs, startTestApp } from '../support/test-app.js';

/** The background check of declarations: compliance flags raised, shared, closed and reopened, idempotently. */
describe('background check', () => {
  let t: TestApp;
  let worker: ChildProcess;
  const u: Record<string, TestUser> = {};

  const as = (user: TestUser | string, method: Method, path: string, body?: object) => requestAs(t, user, method, path, body);
  const checked = (id: string, version: number) =>
    eventually(async () => {
      const res = await as(u.officerMx, 'get', `/api/v1/declarations/${id}`).expect(200);
      return res.body.checkStatus === 'checked' && res.body.version === version ? res.body : undefined;
    }, 30_000, `declaration ${id} v${version} to be checked`);

  beforeAll(async () => {
    t = await startTestApp();
    worker = spawn(process.execPath, ['dist/apps/worker/src/main.js'], { env: { ...process.env, ...t.env, OUTBOX_POLL_MS: '200' }, stdio: 'ignore' });
    u.focalMx = await createUser(t, 'focal_point', ['MX']);
    u.focalBo = await createUser(t, 'focal_point', ['BO']);
    u.officerMx = await createUser(t, 'customs_officer', ['MX']);
    u.officerBo = await createUser(t, 'customs_officer', ['BO']);
    u.analystPe = await createUser(t, 'analyst', ['PE']);
    u.analystAll = await createUser(t, 'analyst', ['*']);
    const trader = (await as(u.focalMx, 'post', '/api/v1/traders', { country: 'MX', nationalId: 'MXA-0001', name: 'Minera del Norte SA de CV' }).expect(201)).body;
    await as(u.focalMx, 'post', '/api/v1/licences', { traderId: trader.id, number: 'MX-EXP-0042', type: 'export', hsCodes: ['2805'], validFrom: '2026-01-01', validTo: '2026-12-31' }).expect(201);
    await as(u.focalBo, 'post', '/api/v1/consents', { reference: 'BO-PIC-2026-007', type: 'written_consent', exportingCountry: 'MX', importingCountry: 'BO', hsCodes: ['280540'], quantityKg: 50000, purpose: 'allowed_use', validFrom: '2026-01-01', validTo: '2026-12-31' }).expect(201);
  });
  afterAll(async () => {
    worker.kill('SIGTERM');
    await new Promise((resolve) => worker.once('exit', resolve));
    await t.close();
  });

  it('checks a compliant declaration within seconds and raises nothing', async () => {
    const created = (await as(u.officerMx, 'post', '/api/v1/declarations', exportDeclaration({ number: 'MX-OK-1' })).expect(201)).body;
    const done = await checked(created.id, 1);
    expect(done.flags).toEqual([]);
  });

  it('raises a flag both countries see, closes it when an amendment cures it, reopens it when it returns, and closes it on cancellation', async () => {
    // To PE, where no consent exists: CONSENT_MISSING, a case for MX and PE.
    const body = exportDeclaration({ number: 'MX-FLAG-1', partnerCountry: 'PE', counterparty: { name: 'Quimica Lima SAC', country: 'PE' }, consentReference: undefined });
    const created = (await as(u.officerMx, 'post', '/api/v1/declarations', body).expect(201)).body;
    const first = await checked(created.id, 1);
    expect(first.flags.map((f: { code: string }) => f.code)).toEqual(['CONSENT_MISSING']);
    const flag = first.flags[0];
    expect(flag).toMatchObject({ severity: 'high', status: 'open', holds: true, countries: ['MX', 'PE'], declarationIds: [created.id] });
    expect(flag.summary).toMatch(/^Export MX-FLAG-1 of 3,450 kg to PE: /);
    // The same case file for both countries, and for no third one.
    await as(u.analystPe, 'get', `/api/v1/flags/${flag.id}`).expect(200);
    await as(u.officerBo, 'get', `/api/v1/flags/${flag.id}`).expect(404);
    const listed = await as(u.analystPe, 'get', '/api/v1/flags?code=CONSENT_MISSING&status=open').expect(200);
    expect(listed.body.items.map((f: { id: string }) => f.id)).toContain(flag.id);
    expect((await as(u.officerBo, 'get', '/api/v1/flags').expect(200)).body.items.map((f: { id: string }) => f.id)).not.toContain(flag.id);

    // Amended to go to BO under its consent: the finding no longer holds.
    const toBolivia = { ...body, partnerCountry: 'BO', counterparty: { name: 'Importadora Andina SRL', country: 'BO' }, consentReference: 'BO-PIC-2026-007', version: 1 };
    await as(u.officerMx, 'put', `/api/v1/declarations/${created.id}`, toBolivia).expect(200);
    await checked(created.id, 2);
    const closed = (await as(u.analystAll, 'get', `/api/v1/flags/${flag.id}`).expect(200)).body;
    expect(closed).toMatchObject({ holds: false, status: 'dismissed' });
    expect(closed.history.map((h: { action: string }) => h.action)).toEqual(['raised', 'no_longer_holds']);

    // Amended back: the same flag holds again, reopened, not a second one.
    await as(u.officerMx, 'put', `/api/v1/declarations/${created.id}`, { ...body, version: 2 }).expect(200);
    const third = await checked(created.id, 3);
    expect(third.flags.map((f: { id: string; holds: boolean; status: string }) => [f.id, f.holds, f.status])).toEqual([[flag.id, true, 'open']]);
    const reopened = (await as(u.analystAll, 'get', `/api/v1/flags/${flag.id}`).expect(200)).body;
    expect(reopened.history.map((h: { action: string }) => h.action)).toEqual(['raised', 'no_longer_holds', 'holds_again']);

    // Cancelled: closed again.
    await as(u.officerMx, 'post', `/api/v1/declarations/${created.id}/cancel`, { reason: 'Shipment withdrawn' }).expect(200);
    await checked(created.id, 4);
    expect((await as(u.analystAll, 'get', `/api/v1/flags/${flag.id}`).expect(200)).body).toMatchObject({ holds: false, status: 'dismissed' });
  });

  it('changes nothing when a check runs again', async () => {
    const created = (await as(u.officerMx, 'post', '/api/v1/declarations', exportDeclaration({ number: 'MX-TWICE', licenceNumber: 'MX-EXP-9999' })).expect(201)).body;
    await checked(created.id, 1);
    const snapshot = async () =>
      (await t.db.query(`SELECT f.id, f.version, f.updated_at, f.summary, (SELECT count(*) FROM flag_history h WHERE h.flag_id = f.id) AS history FROM flags f WHERE $1 = ANY (f.declaration_ids) ORDER BY f.id`, [created.id])).rows;
    const before = await snapshot();
    expect(before.length).toBeGreaterThan(0);
    const checks = t.app.get(CheckService);
    await checks.check(created.id, 1);
    await Promise.all([checks.check(created.id, 1), checks.check(created.id, 1)]);
    expect(await snapshot()).toEqual(before);
    expect(await checks.check(created.id, 7)).toBe('superseded');
  });
});
