import jwt from 'jsonwebtoken';
import { ADMIN, createUser, requestAs, startTestApp, type TestApp } from '../support/test-app.js';
import { exportDeclaration } from '../support/factories.js';

const SECRET = 'hgtrace-development-secret-not-for-production-use';

describe('authentication', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ LOGIN_RATE_LIMIT_PER_MINUTE: '5' });
  });
  afterAll(() => t.close());

  it('refuses every protected endpoint without a token', async () => {
    for (const [method, path] of [
      ['get', '/api/v1/users'],
      ['post', '/api/v1/users'],
      ['get', '/api/v1/audit'],
      ['get', '/api/v1/audit/verify'],
    ] as const) {
      const res = await t.http[method](path).expect(401);
      expect(res.body).toMatchObject({ statusCode: 401, code: 'UNAUTHENTICATED', details: [] });
    }
  });

  it('logs in and returns a short-lived token with the user', async () => {
    const res = await t.http.post('/api/v1/auth/login').send({ email: 'ADMIN@hgtrace.test', password: ADMIN.password }).expect(200);
    expect(res.body).toEqual({
      accessToken: expect.any(String),
      expiresIn: 900,
      user: { id: expect.any(String), email: ADMIN.email, role: 'admin', countries: ['*'], createdAt: expect.any(String) },
    });
    await t.http.get('/api/v1/users').auth(res.body.accessToken, { type: 'bearer' }).expect(200);
  });

  it('gives the same answer for an unknown email and a wrong password', async () => {
    const unknown = await t.http.post('/api/v1/auth/login').send({ email: 'nobody@hgtrace.test', password: 'whatever-password' }).expect(401);
    const wrong = await t.http.post('/api/v1/auth/login').send({ email: ADMIN.email, password: 'wrong-password-1' }).expect(401);
    expect(unknown.body.message).toBe(wrong.body.message);
    expect(unknown.body.code).toBe('UNAUTHENTICATED');
  });

  it('refuses tampered, expired, foreign and malformed tokens', async () => {
    const [header, payload] = t.adminToken.split('.');
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    const tampered = `${header}.${Buffer.from(JSON.stringify({ ...claims, role: 'admin', sub: '00000000-0000-0000-0000-000000000000' })).toString('base64url')}.${t.adminToken.split('.')[2]}`;
    const expired = jwt.sign({ sub: claims.sub, role: 'admin' }, SECRET, { issuer: 'hgtrace', expiresIn: -10 });
    const foreign = jwt.sign({ sub: claims.sub, role: 'admin' }, 'another-secret-of-enough-length-000000', { issuer: 'hgtrace', expiresIn: 600 });
    const unsigned = jwt.sign({ sub: claims.sub, role: 'admin' }, '', { algorithm: 'none', issuer: 'hgtrace' });
    for (const token of [tampered, expired, foreign, unsigned, 'not-a-token', 'hgt_not-a-real-api-token']) {
      await t.http.get('/api/v1/users').auth(token, { type: 'bearer' }).expect(401);
    }
    await t.http.get('/api/v1/users').set('Authorization', `Basic ${Buffer.from('a:b').toString('base64')}`).expect(401);
  });

  it('stops accepting the tokens of a deleted user at once', async () => {
    const analyst = await createUser(t, 'analyst', ['MX']);
    const system = await createUser(t, 'system', ['MX']);
    await t.http.get('/api/v1/audit').auth(analyst.token, { type: 'bearer' }).expect(200);
    for (const user of [analyst, system]) {
      await t.http.delete(`/api/v1/users/${user.id}`).auth(t.adminToken, { type: 'bearer' }).expect(204);
    }
    await t.http.get('/api/v1/audit').auth(analyst.token, { type: 'bearer' }).expect(401);
    await t.http.get('/api/v1/users').auth(system.token, { type: 'bearer' }).expect(401);
  });

  // The api keeps the users behind tokens in memory and forgets them on PostgreSQL's notice of a
  // change, which arrives a moment after the change commits: these changes are made outside the api,
  // as the CLI, another replica or an operator's SQL would make them, and must show within that moment.
  const soon = async (send: () => Promise<{ status: number; body: { message?: string } }>, status: number, message?: string) => {
    const deadline = Date.now() + 2000;
    for (;;) {
      const response = await send();
      if ((response.status === status && (message === undefined || response.body.message === message)) || Date.now() > deadline) return response;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  };

  it('refuses a token revoked, and sees a user changed, by another session', async () => {
    const system = await createUser(t, 'system', ['MX']);
    const officer = await createUser(t, 'customs_officer', ['MX']);
    const verify = (token: string) => requestAs(t, token, 'post', '/api/v1/declarations/verify', exportDeclaration());
    await verify(system.token).expect(200);
    await verify(system.token).expect(200);
    await t.db.query(`UPDATE api_tokens SET revoked_at = now() WHERE user_id = $1`, [system.id]);
    const revoked = await soon(() => verify(system.token), 401);
    expect(revoked).toMatchObject({ status: 401, body: { message: 'The API token is invalid or has been revoked' } });

    await verify(officer.token).expect(200);
    await t.db.query(`UPDATE users SET countries = '{BO}' WHERE id = $1`, [officer.id]);
    expect((await soon(() => verify(officer.token), 403)).status).toBe(403);
    await t.db.query(`UPDATE users SET role = 'focal_point', countries = '{MX}' WHERE id = $1`, [officer.id]);
    const role = 'Your role (focal_point) does not allow this';
    expect((await soon(() => verify(officer.token), 403, role)).body.message).toBe(role);
    await t.db.query(`UPDATE users SET deleted_at = now() WHERE id = $1`, [officer.id]);
    expect((await soon(() => verify(officer.token), 401)).status).toBe(401);
  });

  it('reads users and tokens from the database while it cannot listen for changes, and listens again', async () => {
    const system = await createUser(t, 'system', ['MX']);
    const get = () => requestAs(t, system.token, 'get', '/api/v1/reference/countries');
    await get().expect(200);
    const listeners = async () =>
      (await t.db.query(`SELECT pid FROM pg_stat_activity WHERE application_name = 'hgtrace-auth-listener' AND datname = current_database()`)).rows.map((r) => r.pid as number);
    const [first] = await listeners();
    expect(first).toEqual(expect.any(Number));
    await t.db.query(`SELECT pg_terminate_backend($1)`, [first]);
    // Requests go on being answered; the next lookup after a second listens again, on a new connection.
    let again: number | undefined;
    for (let i = 0; i < 100 && again === undefined; i++) {
      await get().expect(200);
      again = (await listeners()).find((pid) => pid !== first);
      if (again === undefined) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(again).toEqual(expect.any(Number));
    await get().expect(200);
    await get().expect(200);
    await t.db.query(`UPDATE api_tokens SET revoked_at = now() WHERE user_id = $1`, [system.id]);
    expect((await soon(get, 401)).status).toBe(401);
  });

  it('rate-limits login attempts per address and email', async () => {
    const attempt = () => t.http.post('/api/v1/auth/login').send({ email: 'target@hgtrace.test', password: 'guessing-password' });
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) statuses.push((await attempt()).status);
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(statuses.slice(5)).toEqual([429, 429]);
    const limited = await attempt().expect(429);
    expect(limited.body.code).toBe('RATE_LIMITED');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    // Another account from the same address is not locked out by it.
    await t.http.post('/api/v1/auth/login').send(ADMIN).expect(200);
  });
});
