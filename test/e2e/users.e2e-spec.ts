import { createHash } from 'node:crypto';
import { createUser, startTestApp, type TestApp, type TestUser } from '../support/test-app.js';

describe('users and API tokens', () => {
  let t: TestApp;
  const users: Record<string, TestUser> = {};
  beforeAll(async () => {
    t = await startTestApp();
    users.focal_point = await createUser(t, 'focal_point', ['MX']);
    users.customs_officer = await createUser(t, 'customs_officer', ['MX']);
    users.analyst = await createUser(t, 'analyst', ['MX', 'BO']);
    users.system = await createUser(t, 'system', ['MX']);
  });
  afterAll(() => t.close());

  const valid = { email: 'new.user@hgtrace.test', password: 'a-long-password', role: 'customs_officer', countries: ['BO'] };

  it('lets the admin create a user, and shows no password hash', async () => {
    const res = await t.http.post('/api/v1/users').auth(t.adminToken, { type: 'bearer' }).send({ ...valid, email: 'Someone@HGtrace.test' }).expect(201);
    expect(res.body).toEqual({ id: expect.any(String), email: 'someone@hgtrace.test', role: 'customs_officer', countries: ['BO'], createdAt: expect.any(String) });
    const one = await t.http.get(`/api/v1/users/${res.body.id}`).auth(t.adminToken, { type: 'bearer' }).expect(200);
    expect(one.body).not.toHaveProperty('passwordHash');
    const [row] = (await t.db.query('SELECT password_hash FROM users WHERE id = $1', [res.body.id])).rows;
    expect(row.password_hash).toMatch(/^\$argon2id\$/);
  });

  it.each([
    ['a bad email', { email: 'not-an-email' }, 'email'],
    // Not Unicode text: the e-mail check URI-encodes an address and threw on it (a 500, found by the fuzz suite).
    ['an email with an unpaired surrogate', { email: 'officer.\ud800@aduanas.example' }, 'email'],
    ['an email that is an unpaired surrogate', { email: '\udc00' }, 'email'],
    ['a short password', { password: 'short' }, 'password'],
    ['an unknown role', { role: 'superuser' }, 'role'],
    ['no countries', { countries: [] }, 'countries'],
    ['a malformed country', { countries: ['Mexico'] }, 'countries'],
    ['"*" for a customs officer', { countries: ['*'] }, 'countries'],
    ['two countries for a customs officer', { countries: ['MX', 'BO'] }, 'countries'],
    ['"*" mixed with a country', { role: 'analyst', countries: ['*', 'MX'] }, 'countries'],
    ['an extra field (mass assignment)', { id: '00000000-0000-0000-0000-000000000000' }, 'id'],
    ['a wrong type', { countries: 'MX' }, 'countries'],
  ])('refuses %s with 400 and the field path', async (_, change, path) => {
    const res = await t.http.post('/api/v1/users').auth(t.adminToken, { type: 'bearer' }).send({ ...valid, ...change }).expect(400);
    expect(res.body.code).toBe('VALIDATION_FAILED');
    expect(res.body.details.map((d: { path: string }) => d.path)).toContain(path);
    const { rows } = await t.db.query('SELECT count(*)::int AS n FROM users WHERE email = $1', [valid.email]);
    expect(rows[0].n).toBe(0);
  });

  it('refuses a duplicate email with 409', async () => {
    await t.http.post('/api/v1/users').auth(t.adminToken, { type: 'bearer' }).send({ ...valid, email: 'dup@hgtrace.test' }).expect(201);
    const res = await t.http.post('/api/v1/users').auth(t.adminToken, { type: 'bearer' }).send({ ...valid, email: 'DUP@hgtrace.test' }).expect(409);
    expect(res.body.details).toEqual([{ path: 'email', message: 'is taken' }]);
  });

  it('stores one user when the same creation arrives many times at once', async () => {
    const body = { ...valid, email: 'parallel@hgtrace.test' };
    const results = await Promise.all(Array.from({ length: 10 }, () => t.http.post('/api/v1/users').auth(t.adminToken, { type: 'bearer' }).send(body)));
    expect(results.map((r) => r.status).sort()).toEqual([201, ...Array(9).fill(409)]);
  });

  it.each(['focal_point', 'customs_officer', 'analyst', 'system'])('forbids a %s to manage users', async (role) => {
    const token = users[role].token;
    await t.http.post('/api/v1/users').auth(token, { type: 'bearer' }).send(valid).expect(403);
    await t.http.get('/api/v1/users').auth(token, { type: 'bearer' }).expect(403);
    await t.http.get(`/api/v1/users/${users.analyst.id}`).auth(token, { type: 'bearer' }).expect(403);
    await t.http.delete(`/api/v1/users/${users.analyst.id}`).auth(token, { type: 'bearer' }).expect(403);
    await t.http.post(`/api/v1/users/${users.system.id}/tokens`).auth(token, { type: 'bearer' }).send({ name: 'x' }).expect(403);
  });

  it('answers 400 for a malformed id and 404 for an unknown one', async () => {
    const bad = await t.http.get('/api/v1/users/not-a-uuid').auth(t.adminToken, { type: 'bearer' }).expect(400);
    expect(bad.body.details).toEqual([{ path: 'id', message: 'must be a UUID' }]);
    await t.http.get('/api/v1/users/7d9f3c3e-0000-4000-8000-000000000000').auth(t.adminToken, { type: 'bearer' }).expect(404);
  });

  it('issues API tokens only to system users, stores them hashed, and accepts them as bearer tokens', async () => {
    const res = await t.http.post(`/api/v1/users/${users.system.id}/tokens`).auth(t.adminToken, { type: 'bearer' }).send({ name: 'feed' }).expect(201);
    expect(res.body.token).toMatch(/^hgt_/);
    const { rows } = await t.db.query('SELECT token_hash FROM api_tokens WHERE id = $1', [res.body.id]);
    expect(rows[0].token_hash.equals(createHash('sha256').update(res.body.token).digest())).toBe(true);
    expect(JSON.stringify(rows)).not.toContain(res.body.token);
    await t.http.post(`/api/v1/users/${users.system.id}/tokens`).auth(t.adminToken, { type: 'bearer' }).send({ name: 'feed' }).expect(409);
    const refused = await t.http.post(`/api/v1/users/${users.customs_officer.id}/tokens`).auth(t.adminToken, { type: 'bearer' }).send({ name: 'x' }).expect(422);
    expect(refused.body.code).toBe('BUSINESS_RULE');
    // An authenticated system user is still held to its role.
    await t.http.get('/api/v1/users').auth(res.body.token, { type: 'bearer' }).expect(403);
  });

  it('keeps an admin from deleting their own account', async () => {
    const me = (await t.http.get('/api/v1/users').auth(t.adminToken, { type: 'bearer' })).body.find((u: { role: string }) => u.role === 'admin');
    await t.http.delete(`/api/v1/users/${me.id}`).auth(t.adminToken, { type: 'bearer' }).expect(422);
  });
});
