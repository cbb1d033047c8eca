import { spawnSync } from 'node:child_process';
import pg from 'pg';
import { CHECKOUT, dropTestDatabase } from '@hgtrace/testing';
import { startTestApp, type TestApp } from '../support/test-app.js';

/** Operators' commands, run as operators run them: the compiled CLI in its own process. */
describe('CLI', () => {
  let t: TestApp;
  const run = (env: Record<string, string>, ...args: string[]) =>
    spawnSync(process.execPath, ['dist/apps/cli/src/main.js', ...args], { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 60_000 });

  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('migrate creates a database that does not exist, applies the migrations and loads the reference data', async () => {
    const url = `postgres://postgres@127.0.0.1:5432/hgtrace_test_${CHECKOUT}_cli_fresh_${process.env.JEST_WORKER_ID ?? 1}`;
    await dropTestDatabase(url);
    try {
      const result = run({ ...t.env, DATABASE_URL: url }, 'migrate');
      expect(result.stderr).not.toMatch(/error/i);
      expect(result.status).toBe(0);
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      const { rows } = await client.query(`SELECT (SELECT count(*)::int FROM countries) AS countries, (SELECT count(*)::int FROM migrations) AS migrations`);
      await client.end();
      expect(rows[0].countries).toBeGreaterThanOrEqual(249);
      expect(rows[0].migrations).toBeGreaterThanOrEqual(5);
    } finally {
      await dropTestDatabase(url);
    }
  });

  it('creates users and API tokens, and refuses bad input with a clear message and a non-zero exit', async () => {
    const created = run(t.env, 'users:create', '--email', 'feed.mx@hgtrace.test', '--password', 'a-long-password', '--role', 'system', '--countries', 'MX');
    expect(created.status).toBe(0);
    expect(JSON.parse(created.stdout)).toMatchObject({ email: 'feed.mx@hgtrace.test', role: 'system', countries: ['MX'] });
    const token = run(t.env, 'tokens:create', '--email', 'feed.mx@hgtrace.test', '--name', 'VUCEM feed');
    expect(token.status).toBe(0);
    await t.http.get('/api/v1/declarations').auth(token.stdout.trim(), { type: 'bearer' }).expect(200);

    const bad = run(t.env, 'users:create', '--email', 'nope', '--password', 'short', '--role', 'king', '--countries', 'MX');
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/email: must be an email/);
    expect(bad.stderr).toMatch(/role: must be one of/);
    const missing = run(t.env, 'tokens:create', '--email', 'nobody@hgtrace.test', '--name', 'x');
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/nobody@hgtrace.test was not found/);
    const help = run(t.env, 'users:create', '--help');
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/--countries/);
  });
});
