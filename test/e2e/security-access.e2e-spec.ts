import { JwtService } from '@nestjs/jwt';
import type { FastifyInstance } from 'fastify';
import jwt from 'jsonwebtoken';
import {
  buildWorld, type Endpoint, ENDPOINTS, expectedStatus, routeKey, seesEverything, send, verdict, type World,
} from '../support/endpoints.js';
import { createUser, startTestApp, type TestApp } from '../support/test-app.js';

/**
 * The access policy, endpoint by endpoint: every role (scoped to one country, and with every country
 * where the role may have it) against a record of its own country, of another country and, where
 * there is one, of a country pair it belongs to. The expected answer of each cell is derived from the
 * PERMISSIONS table and the endpoint's scope rule (test/support/endpoints.ts), not written by hand.
 */
describe('access control', () => {
  let t: TestApp;
  let w: World;
  const auditCount = async () => (await t.db.query(`SELECT count(*)::int AS n FROM audit_events`)).rows[0].n as number;

  beforeAll(async () => {
    t = await startTestApp({ LOGIN_RATE_LIMIT_PER_MINUTE: '20' });
    // Listening once spares supertest a listen per request.
    await t.app.listen(0, '127.0.0.1');
    w = await buildWorld(t);
  }, 120_000);
  afterAll(() => t.close());

  it('has a row for every route the api serves and documents, and none for a route that is gone', async () => {
    const served = servedRoutes(t.app.getHttpAdapter().getInstance() as FastifyInstance).filter((route) => !route.split(' ')[1].startsWith('/api/docs'));
    const doc = (await t.http.get('/api/docs-json').expect(200)).body as { paths: Record<string, Record<string, unknown>> };
    const documented = Object.entries(doc.paths).flatMap(([path, operations]) => Object.keys(operations).map((m) => `${m.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`));
    const rows = ENDPOINTS.map(routeKey);
    expect(new Set(rows).size).toBe(rows.length);
    const routes = [...new Set([...served, ...documented])].sort();
    expect({ routesWithoutRow: routes.filter((r) => !rows.includes(r)), rowsWithoutRoute: rows.filter((r) => !routes.includes(r)) }).toEqual({ routesWithoutRow: [], rowsWithoutRoute: [] });
    expect(documented.sort()).toEqual(served.sort());
  });

  it.each(ENDPOINTS.map((e) => [routeKey(e), e] as const))('%s answers every role and scope as the policy says', async (_, e: Endpoint) => {
    const mismatches: string[] = [];
    const callers = [null, ...w.actors];
    for (const scope of e.scopes) {
      for (const actor of callers) {
        const spec = await e.request(w, scope);
        const v = verdict(e, actor, scope);
        const expected = expectedStatus(e, v);
        const auditBefore = await auditCount();
        const res = await send(t, e, spec, actor?.token ?? null);
        const who = `${actor?.label ?? 'anonymous'}, ${scope} record`;
        if (res.status !== expected) {
          mismatches.push(`${who}: expected ${expected} (${v}), got ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`);
          continue;
        }
        if (res.status >= 400 && res.body.statusCode !== res.status) mismatches.push(`${who}: error body says ${res.body.statusCode}`);
        if (v === 'ok' && spec.probe && actor) {
          const sees = scope === 'own' || seesEverything(e, actor);
          if ((res.type === 'text/csv' ? res.text : JSON.stringify(res.body)).includes(spec.probe) !== sees) mismatches.push(`${who}: the record ${sees ? 'is missing from' : 'leaks into'} the answer`);
        }
        if (e.perItem && res.status === e.success) {
          const item = res.body.results[0].status;
          if (item !== (v === 'ok' ? 'created' : 'rejected')) mismatches.push(`${who}: the declaration was ${item}`);
        }
        if (e.method !== 'get' && !e.notAudited) {
          const events = (await auditCount()) - auditBefore;
          const wrote = v === 'ok';
          if (wrote ? events === 0 : events !== 0) mismatches.push(`${who}: ${events} audit events for a ${wrote ? 'write' : 'refused request'}`);
        }
      }
    }
    expect(mismatches).toEqual([]);
  });

  describe('tokens', () => {
    const tokens: Record<string, string> = {};

    beforeAll(async () => {
      const live = w.actors.find((a) => a.countries.includes('*') && a.role === 'analyst')!;
      const jwtService = t.app.get(JwtService);
      const [header, payload, signature] = live.token.split('.');
      const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
      const adminId = w.actors.find((a) => a.role === 'admin')!.id;
      const forged = (change: object) => Buffer.from(JSON.stringify({ ...claims, ...change })).toString('base64url');
      const officer = await createUser(t, 'customs_officer', ['MX']);
      const system = await createUser(t, 'system', ['MX']);
      for (const user of [officer, system]) await t.http.delete(`/api/v1/users/${user.id}`).auth(t.adminToken, { type: 'bearer' }).expect(204);
      Object.assign(tokens, {
        'an expired access token': jwtService.sign({ sub: live.id, role: live.role }, { expiresIn: -10 }),
        'a token not yet valid': jwtService.sign({ sub: live.id, role: live.role }, { notBefore: 3600 }),
        'a token of another issuer': jwtService.sign({ sub: live.id, role: live.role }, { issuer: 'someone-else' }),
        'a token with its signature changed': `${header}.${payload}.${signature.slice(0, -4)}${signature.endsWith('AAAA') ? 'BBBB' : 'AAAA'}`,
        'a token whose payload names the admin': `${header}.${forged({ sub: adminId, role: 'admin' })}.${signature}`,
        'a token whose expiry was pushed back': `${header}.${forged({ exp: claims.exp + 86400 * 365 })}.${signature}`,
        'a token signed with another secret': jwt.sign({ sub: live.id, role: 'admin' }, 'another-secret-of-sufficient-length-0000', { issuer: 'hgtrace', expiresIn: 600 }),
        'an unsigned token (alg none)': jwt.sign({ sub: live.id, role: 'admin' }, '', { algorithm: 'none', issuer: 'hgtrace' }),
        'a token of a user id that does not exist': jwtService.sign({ sub: '00000000-0000-4000-8000-000000000000', role: 'admin' }),
        'a token whose subject is not a user id': jwtService.sign({ sub: "' OR 1=1 --", role: 'admin' }),
        'the access token of a deleted user': officer.token,
        'the API token of a deleted system user': system.token,
        'an API token that was never issued': `hgt_${'A'.repeat(43)}`,
        'a malformed token': 'not.a.token',
      });
    });

    it('refuses a missing, expired, tampered or foreign token, and the tokens of deleted users, on every protected endpoint', async () => {
      const protectedEndpoints = ENDPOINTS.filter((e) => e.permission !== 'public');
      const mismatches: string[] = [];
      for (const e of protectedEndpoints) {
        const spec = await e.request(w, 'own');
        const auditBefore = await auditCount();
        for (const [label, token] of [['no token', null], ...Object.entries(tokens)] as [string, string | null][]) {
          const res = await send(t, e, spec, token);
          if (res.status !== 401 || res.body.code !== 'UNAUTHENTICATED') mismatches.push(`${routeKey(e)} with ${label}: ${res.status} ${JSON.stringify(res.body).slice(0, 120)}`);
        }
        for (const header of ['Basic YWRtaW46YWRtaW4=', 'Bearer', `Bearer  ${'x'.repeat(5000)}`, `Token ${w.actors[0].token}`]) {
          const res = await send(t, e, spec, null).set('Authorization', header);
          if (res.status !== 401) mismatches.push(`${routeKey(e)} with Authorization "${header.slice(0, 20)}": ${res.status}`);
        }
        if ((await auditCount()) !== auditBefore) mismatches.push(`${routeKey(e)}: an unauthenticated request left an audit event`);
      }
      expect(mismatches).toEqual([]);
    });
  });

  describe('mass assignment', () => {
    /** Fields a caller might try to set to escalate or rewrite what the server owns. */
    const PRIVILEGED = ['id', 'role', 'countries', 'status', 'version', 'userId', 'createdBy', 'createdAt', 'updatedAt', 'deletedAt', 'passwordHash', 'issuingCountry',
      'usedQuantityKg', 'holds', 'assigneeId', 'source', 'checkStatus', 'licenceId', 'consentId', 'isAdmin', 'permissions'];

    it('refuses, with the field named, every server-owned field in every request body, and stores nothing', async () => {
      const doc = (await t.http.get('/api/docs-json').expect(200)).body;
      const accepted = (e: Endpoint): string[] => {
        const operation = doc.paths[e.path.replace(/:(\w+)/g, '{$1}')]?.[e.method];
        const ref: string | undefined = operation?.requestBody?.content?.['application/json']?.schema?.$ref;
        return ref ? Object.keys(doc.components.schemas[ref.split('/').pop()!].properties ?? {}) : [];
      };
      const mismatches: string[] = [];
      let tried = 0;
      for (const e of ENDPOINTS.filter((x) => x.method !== 'get' && x.permission !== 'public')) {
        const actor = w.actors.find((a) => verdict(e, a, 'own') === 'ok' && !a.countries.includes('*'))!;
        const spec = await e.request(w, 'own');
        if (!spec.body || typeof spec.body !== 'object') continue;
        for (const field of PRIVILEGED.filter((f) => !accepted(e).includes(f))) {
          tried += 1;
          const auditBefore = await auditCount();
          const res = await send(t, e, { ...spec, body: { ...(spec.body as object), [field]: field === 'countries' ? ['*'] : field === 'role' ? 'admin' : 'injected' } }, actor.token);
          const named = res.body.details?.some((d: { path: string; message: string }) => d.path === field && d.message === 'is not allowed');
          if (res.status !== 400 || !named) mismatches.push(`${routeKey(e)} with ${field}: ${res.status} ${JSON.stringify(res.body.details)}`);
          if ((await auditCount()) !== auditBefore) mismatches.push(`${routeKey(e)} with ${field}: something was stored`);
        }
      }
      expect(tried).toBeGreaterThan(200);
      expect(mismatches).toEqual([]);
    });

    it('refuses server-owned fields nested in a declaration, and the login body', async () => {
      const officer = w.actors.find((a) => a.role === 'customs_officer')!;
      const base = (await ENDPOINTS.find((e) => routeKey(e) === 'POST /api/v1/declarations')!.request(w, 'own')).body as Record<string, unknown>;
      const nested = await send(t, { method: 'post' }, {
        path: '/api/v1/declarations',
        body: { ...base, trader: { ...(base.trader as object), id: w.records.trader.other }, items: [{ ...(base.items as object[])[0], mercuryClass: 'other', line: 7 }] },
      }, officer.token).expect(400);
      expect(nested.body.details).toEqual(expect.arrayContaining([
        { path: 'trader.id', message: 'is not allowed' }, { path: 'items[0].mercuryClass', message: 'is not allowed' }, { path: 'items[0].line', message: 'is not allowed' },
      ]));
      const login = await t.http.post('/api/v1/auth/login').send({ email: w.makers.officerMx.email, password: 'a-password-for-tests', role: 'admin' }).expect(400);
      expect(login.body.details).toEqual([{ path: 'role', message: 'is not allowed' }]);
    });

    it('cannot rewrite a version: a made-up one is a conflict and the record keeps its own', async () => {
      const analyst = w.actors.find((a) => a.role === 'analyst' && !a.countries.includes('*'))!;
      const patch = await send(t, { method: 'patch' }, { path: `/api/v1/flags/${w.records.flag.own}`, body: { version: 99, status: 'in_review' } }, analyst.token).expect(409);
      expect(patch.body.code).toBe('STALE_VERSION');
      const officer = w.actors.find((a) => a.role === 'customs_officer')!;
      const put = ENDPOINTS.find((e) => routeKey(e) === 'PUT /api/v1/declarations/:id')!;
      const spec = await put.request(w, 'own');
      await send(t, put, { ...spec, body: { ...(spec.body as object), version: 99 } }, officer.token).expect(409);
      expect((await send(t, { method: 'get' }, { path: spec.path }, officer.token).expect(200)).body.version).toBe(1);
      expect((await t.db.query(`SELECT version FROM flags WHERE id = $1`, [w.records.flag.own])).rows[0].version).toBe(1);
    });

    it('does not let a __proto__ or constructor key change what the server sees', async () => {
      const focal = w.actors.find((a) => a.role === 'focal_point')!;
      const auditBefore = await auditCount();
      // JSON.parse keeps "__proto__" as an own key; it must not turn into the prototype of the DTO.
      // Both keys are refused as any field the DTO does not have (http-edges.e2e-spec.ts has more).
      const raw = JSON.stringify({ nationalId: 'PROTO-1', name: 'Proto SA' }).replace('{', `{"__proto__": {"country": "${'PE'}"}, "constructor": {"prototype": {"role": "admin"}}, `);
      const res = await t.http.post('/api/v1/traders').auth(focal.token, { type: 'bearer' }).set('Content-Type', 'application/json').send(raw);
      expect(res.status).toBe(400);
      expect(res.body.details).toEqual([{ path: '__proto__', message: 'is not allowed' }, { path: 'constructor', message: 'is not allowed' }]);
      expect(await auditCount()).toBe(auditBefore);
      expect(({} as Record<string, unknown>).country).toBeUndefined();
      expect(({} as Record<string, unknown>).role).toBeUndefined();
    });
  });

  describe('login rate limit', () => {
    it('answers 429 after the allowed failures, however the email is written, even to the right password', async () => {
      const victim = await createUser(t, 'analyst', ['MX']);
      const spellings = [victim.email, victim.email.toUpperCase(), ` ${victim.email} `, victim.email.replace(/^./, (c) => c.toUpperCase())];
      const statuses: number[] = [];
      // createUser logged in once already: 19 more attempts are allowed this minute.
      for (let i = 0; i < 19; i++) statuses.push((await t.http.post('/api/v1/auth/login').send({ email: spellings[i % spellings.length], password: `guess-${i}-password` })).status);
      expect(statuses).toEqual(Array(19).fill(401));
      for (const email of spellings) {
        const limited = await t.http.post('/api/v1/auth/login').send({ email, password: 'a-password-for-tests' }).expect(429);
        expect(limited.body).toEqual({ statusCode: 429, code: 'RATE_LIMITED', message: expect.any(String), details: [], requestId: limited.headers['x-request-id'] });
        expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
      }
      // Tokens issued before keep working: the limit is on guessing passwords, not on the account.
      await t.http.get('/api/v1/audit/verify').auth(victim.token, { type: 'bearer' }).expect(200);
    });
  });

  describe('security headers', () => {
    it.each([
      ['a success', '/api/v1/reference/countries', true, 200],
      ['an unauthenticated request', '/api/v1/reference/countries', false, 401],
      ['an unknown path', '/api/v1/nothing-here', true, 404],
      ['a health probe', '/health/live', false, 200],
    ])('sets them on %s', async (_, path, auth, status) => {
      const request = t.http.get(path);
      const res = await (auth ? request.auth(t.adminToken, { type: 'bearer' }) : request).expect(status);
      expect(res.headers).toMatchObject({
        'x-content-type-options': 'nosniff',
        'x-frame-options': 'SAMEORIGIN',
        'strict-transport-security': expect.stringContaining('max-age='),
        'content-security-policy': expect.stringContaining("default-src 'self'"),
        'referrer-policy': 'no-referrer',
        'cross-origin-opener-policy': 'same-origin',
        'cross-origin-resource-policy': 'same-origin',
        'x-dns-prefetch-control': 'off',
        'x-request-id': expect.any(String),
      });
      expect(res.headers['x-powered-by']).toBeUndefined();
    });
  });
});

/**
 * Every route Fastify serves, as "METHOD /path", read from its printed route tree (Fastify lists its
 * routes nowhere else): each line is a path segment under the line above it, four characters deeper.
 * The HEAD routes Fastify adds for every GET are left out.
 */
function servedRoutes(fastify: FastifyInstance): string[] {
  const parents: string[] = [];
  const routes: string[] = [];
  for (const line of fastify.printRoutes({ commonPrefix: false }).split('\n')) {
    const match = /^((?:[│ ] {3})*)[├└]── (\S+)(?: \(([A-Z, ]+)\))?$/.exec(line);
    if (!match) continue;
    const depth = match[1].length / 4;
    parents.length = depth;
    const path = (parents[depth - 1] ?? '') + match[2];
    parents.push(path);
    for (const method of match[3]?.split(', ') ?? []) if (method !== 'HEAD') routes.push(`${method} ${path}`);
  }
  return routes;
}
