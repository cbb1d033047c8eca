import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { eventually } from '@hgtrace/testing';
import { PLANTED, PLANTED_MIRROR_GAP } from '../../apps/cli/src/demo/demo-seeder.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

/** demo:seed, then the worker's checks: the flags raised are exactly the planted ones. */
describe('demo dataset', () => {
  let t: TestApp;
  let worker: ChildProcess;
  const cli = (...args: string[]) => spawnSync(process.execPath, ['dist/apps/cli/src/main.js', ...args], { env: { ...process.env, ...t.env }, encoding: 'utf8', timeout: 120_000 });

  beforeAll(async () => {
    t = await startTestApp();
    // As on a fresh machine: npm start seeds the demo before the api has ever run.
    await t.db.query(`TRUNCATE users CASCADE`);
    const seeded = cli('demo:seed');
    expect(seeded.status).toBe(0);
    expect(seeded.stdout).toContain('demo dataset loaded');
    worker = spawn(process.execPath, ['dist/apps/worker/src/main.js'], { env: { ...process.env, ...t.env, OUTBOX_POLL_MS: '200', WORKER_CONCURRENCY: '16' }, stdio: 'ignore' });
    await eventually(async () => {
      const { rows } = await t.db.query(`SELECT count(*)::int AS n FROM declarations WHERE check_status <> 'checked' OR checked_version <> version`);
      const pending = await t.db.query(`SELECT count(*)::int AS n FROM outbox WHERE published_at IS NULL`);
      const runs = await t.db.query(`SELECT count(*)::int AS n FROM crosscheck_runs WHERE status <> 'completed'`);
      return rows[0].n === 0 && pending.rows[0].n === 0 && runs.rows[0].n === 0;
    }, 240_000, 'the demo to be checked and its cross-check run to complete');
  }, 300_000);
  afterAll(async () => {
    worker.kill('SIGTERM');
    await new Promise((resolve) => worker.once('exit', resolve));
    await t.close();
  });

  it('raises exactly the planted anomalies', async () => {
    const { rows } = await t.db.query(`SELECT d.number, array_agg(f.code ORDER BY f.code) AS codes FROM flags f JOIN declarations d ON d.id = f.declaration_ids[1] WHERE f.holds GROUP BY d.number`);
    const raised = Object.fromEntries(rows.map((r) => [r.number, r.codes]));
    expect(raised).toEqual(Object.fromEntries(Object.entries(PLANTED).map(([number, codes]) => [number, [...codes].sort()])));
    const { rows: mirror } = await t.db.query(`SELECT subject, summary FROM flags WHERE holds AND cardinality(declaration_ids) = 0`);
    expect(mirror).toEqual([{ subject: PLANTED_MIRROR_GAP(new Date().toISOString().slice(0, 10)), summary: expect.stringContaining('EC reports 2,415 kg imported') }]);
  });

  it('has two years of shipments and the logins the README names', async () => {
    const { rows } = await t.db.query(`SELECT count(*)::int AS n, max(date) - min(date) AS days FROM declarations`);
    expect(rows[0].n).toBeGreaterThan(300);
    expect(rows[0].days).toBeGreaterThan(600);
    const login = await t.http.post('/api/v1/auth/login').send({ email: 'analyst@demo.hgtrace', password: 'hgtrace-demo-2026' }).expect(200);
    const flags = await t.http.get('/api/v1/flags').auth(login.body.accessToken, { type: 'bearer' }).expect(200);
    expect(flags.body.items.length).toBe(Object.values(PLANTED).flat().length + 1);
  });

  it('keeps the first admin from the environment', async () => {
    await t.http.post('/api/v1/auth/login').send({ email: t.env.HGTRACE_ADMIN_EMAIL, password: t.env.HGTRACE_ADMIN_PASSWORD }).expect(200);
  });

  it('seeds once: a second run changes nothing', () => {
    const again = cli('demo:seed');
    expect(again.status).toBe(0);
    expect(again.stdout).toContain('already loaded');
  });
});
