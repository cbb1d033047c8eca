import { Validator } from '@seriousme/openapi-schema-validator';
import { spawnSync } from 'node:child_process';
import { DataSource } from 'typeorm';
import { startTestApp, type TestApp } from '../support/test-app.js';

describe('platform', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ BODY_LIMIT_BYTES: String(64 * 1024) });
  });
  afterAll(() => t.close());

  it('is live and ready when Postgres and Redis answer', async () => {
    await t.http.get('/health/live').expect(200, { status: 'ok' });
    const ready = await t.http.get('/health/ready').expect(200);
    expect(ready.body.info).toEqual({ postgres: expect.objectContaining({ status: 'up' }), redis: expect.objectContaining({ status: 'up' }) });
  });

  it('talks to PostgreSQL without JIT, on every connection of the pool', async () => {
    const dataSource = t.app.get(DataSource);
    // Several at once, so that they take different connections.
    const settings = await Promise.all(Array.from({ length: 4 }, () => dataSource.query(`SELECT current_setting('jit') AS jit, pg_sleep(0.05)`)));
    expect(settings.map(([row]) => row.jit)).toEqual(['off', 'off', 'off', 'off']);
  });

  it('serves a valid OpenAPI document describing the endpoints', async () => {
    const res = await t.http.get('/api/docs-json').expect(200);
    const validation = await new Validator().validate(structuredClone(res.body));
    expect(validation.errors ?? []).toEqual([]);
    expect(validation.valid).toBe(true);
    expect(res.body.info.title).toBe('hgtrace');
    for (const path of ['/api/v1/auth/login', '/api/v1/users', '/api/v1/users/{id}/tokens', '/api/v1/audit', '/api/v1/audit/verify', '/health/ready', '/metrics']) {
      expect(Object.keys(res.body.paths)).toContain(path);
    }
    await t.http.get('/api/docs').expect(200).expect('content-type', /html/);
  });

  it('exposes Prometheus metrics', async () => {
    await t.http.get('/health/live');
    const res = await t.http.get('/metrics').expect(200);
    expect(res.text).toContain('hgtrace_http_request_duration_seconds');
    expect(res.text).toContain('process_resident_memory_bytes');
  });

  it('answers unknown routes, bad JSON and oversize bodies with the error body', async () => {
    const notFound = await t.http.get('/api/v1/nothing-here').expect(404);
    expect(notFound.body).toEqual({ statusCode: 404, code: 'NOT_FOUND', message: expect.any(String), details: [], requestId: expect.any(String) });

    const badJson = await t.http.post('/api/v1/auth/login').set('content-type', 'application/json').send('{"email": ').expect(400);
    expect(badJson.body).toMatchObject({ statusCode: 400, code: 'VALIDATION_FAILED' });

    const big = await t.http.post('/api/v1/auth/login').send({ email: 'a@b.c', password: 'x'.repeat(100 * 1024) }).expect(413);
    expect(big.body).toMatchObject({ statusCode: 413, code: 'PAYLOAD_TOO_LARGE', requestId: expect.any(String) });
  });

  it('keeps a sane X-Request-Id and puts it in the error body', async () => {
    const res = await t.http.get('/api/v1/users').set('X-Request-Id', 'req-abc.123').expect(401);
    expect(res.headers['x-request-id']).toBe('req-abc.123');
    expect(res.body.requestId).toBe('req-abc.123');
    const replaced = await t.http.get('/api/v1/users').set('X-Request-Id', 'bad id with spaces').expect(401);
    expect(replaced.body.requestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('sends security headers', async () => {
    const res = await t.http.get('/health/live');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['strict-transport-security']).toBeDefined();
    expect(res.headers['content-security-policy']).toBeDefined();
    expect(res.headers['x-powered-by']).toBeUndefined();
  });
});

describe('configuration', () => {
  const api = 'dist/apps/api/src/main.js';
  const run = (env: Record<string, string>) =>
    spawnSync(process.execPath, [api], { env: { PATH: process.env.PATH ?? '', ...env }, encoding: 'utf8', timeout: 20_000 });

  it.each([
    [{ PORT: 'eighty' }, 'PORT'],
    [{ REDIS_URL: 'localhost:6379' }, 'REDIS_URL'],
    [{ DATABASE_URL: 'mysql://root@localhost/hgtrace' }, 'DATABASE_URL'],
    [{ QUANTITY_TOLERANCE_PCT: '-3' }, 'QUANTITY_TOLERANCE_PCT'],
    [{ NODE_ENV: 'production' }, 'JWT_SECRET'],
  ])('refuses to start on %j and names %s', (env, variable) => {
    const result = run(env as Record<string, string>);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('Invalid configuration');
    expect(result.stderr).toContain(variable);
  });
});
