import { createUser, startTestApp, type TestApp, type TestUser } from '../support/test-app.js';

describe('audit log', () => {
  let t: TestApp;
  let analystMx: TestUser;
  let analystBo: TestUser;
  let analystAll: TestUser;
  let mxUserId: string;
  let boUserId: string;

  beforeAll(async () => {
    t = await startTestApp();
    analystMx = await createUser(t, 'analyst', ['MX']);
    analystBo = await createUser(t, 'analyst', ['BO']);
    analystAll = await createUser(t, 'analyst', ['*']);
    mxUserId = (await createUser(t, 'customs_officer', ['MX'], 'officer.mx@hgtrace.test')).id;
    boUserId = (await createUser(t, 'customs_officer', ['BO'], 'officer.bo@hgtrace.test')).id;
  });
  afterAll(() => t.close());

  const events = async (token: string, query: Record<string, string> = {}) =>
    (await t.http.get('/api/v1/audit').query(query).auth(token, { type: 'bearer' }).expect(200)).body;

  it('records every write with actor, before and after, and the request id', async () => {
    const res = await t.http
      .post('/api/v1/users')
      .auth(t.adminToken, { type: 'bearer' })
      .set('X-Request-Id', 'audit-test-1')
      .send({ email: 'audited@hgtrace.test', password: 'a-long-password', role: 'focal_point', countries: ['PE'] })
      .expect(201);
    await t.http.delete(`/api/v1/users/${res.body.id}`).auth(t.adminToken, { type: 'bearer' }).expect(204);
    const page = await events(t.adminToken, { entity: 'user', entityId: res.body.id });
    expect(page.items.map((e: { action: string }) => e.action)).toEqual(['user.delete', 'user.create']);
    const [deletion, creation] = page.items;
    expect(creation).toMatchObject({ actor: 'admin@hgtrace.test', requestId: 'audit-test-1', countries: ['PE'], before: null, after: { email: 'audited@hgtrace.test', role: 'focal_point' } });
    expect(creation.after).not.toHaveProperty('passwordHash');
    expect(deletion).toMatchObject({ before: { id: res.body.id }, after: null });
    expect(new Date(deletion.occurredAt).getTime()).toBeGreaterThanOrEqual(new Date(creation.occurredAt).getTime());
  });

  it.each([
    ['analyst of MX', () => analystMx, { mx: true, bo: false }],
    ['analyst of BO', () => analystBo, { mx: false, bo: true }],
    ['analyst of all countries', () => analystAll, { mx: true, bo: true }],
  ])('shows the %s only the events of records in their countries', async (_, who, expected) => {
    const token = who().token;
    const mx = await events(token, { entityId: mxUserId });
    const bo = await events(token, { entityId: boUserId });
    expect(mx.items.length > 0).toBe(expected.mx);
    expect(bo.items.length > 0).toBe(expected.bo);
  });

  it.each(['focal_point', 'customs_officer', 'system'])('forbids a %s to read the audit log', async (role) => {
    const user = await createUser(t, role, ['MX']);
    await t.http.get('/api/v1/audit').auth(user.token, { type: 'bearer' }).expect(403);
    await t.http.get('/api/v1/audit/verify').auth(user.token, { type: 'bearer' }).expect(403);
  });

  it('pages through events with a cursor', async () => {
    const first = await events(t.adminToken, { limit: '2' });
    expect(first.items).toHaveLength(2);
    const second = await events(t.adminToken, { limit: '2', cursor: first.nextCursor });
    expect(Number(second.items[0].id)).toBeLessThan(Number(first.items[1].id));
    await t.http.get('/api/v1/audit').query({ cursor: 'garbage' }).auth(t.adminToken, { type: 'bearer' }).expect(400);
    await t.http.get('/api/v1/audit').query({ limit: '501' }).auth(t.adminToken, { type: 'bearer' }).expect(400);
  });

  it('refuses changes to the log through the database', async () => {
    await expect(t.db.query(`UPDATE audit_events SET actor = 'someone else'`)).rejects.toThrow(/append-only/);
    await expect(t.db.query(`DELETE FROM audit_events`)).rejects.toThrow(/append-only/);
  });

  describe('verification', () => {
    // Tampering "behind the application's back": a superuser bypasses the append-only triggers.
    const tamper = async (sql: string) => {
      const client = await t.db.connect();
      try {
        await client.query(`SET session_replication_role = replica`);
        await client.query(sql);
      } finally {
        await client.query(`SET session_replication_role = origin`);
        client.release();
      }
    };
    const verify = async () => (await t.http.get('/api/v1/audit/verify').auth(analystAll.token, { type: 'bearer' }).expect(200)).body;
    const ids = async () => (await t.db.query(`SELECT id::text FROM audit_events ORDER BY audit_events.id`)).rows.map((r) => r.id as string);

    it('finds an intact chain intact', async () => {
      const result = await verify();
      expect(result).toEqual({ ok: true, events: (await ids()).length, firstBrokenId: null });
    });

    it('keeps the chain and its head across statements, a savepoint rolled back and an insert of no rows', async () => {
      const client = await t.db.connect();
      const insert = (n: number, action: string) =>
        client.query(
          `INSERT INTO audit_events (actor, action, entity, entity_id, countries, after)
           SELECT 'chain@hgtrace.test', $2, 'test', 'e' || g, '{MX}', jsonb_build_object('n', g) FROM generate_series(1, $1::int) g`,
          [n, action],
        );
      try {
        await client.query('BEGIN');
        await insert(2, 'test.first');
        await client.query('SAVEPOINT s');
        await insert(3, 'test.undone');
        await client.query('ROLLBACK TO SAVEPOINT s');
        await insert(0, 'test.none');
        await insert(4, 'test.last');
        await client.query('COMMIT');
      } finally {
        client.release();
      }
      const [head] = (await t.db.query(`SELECT last_id::text, last_hash, events::int FROM audit_head`)).rows;
      const [last] = (await t.db.query(`SELECT id::text, hash FROM audit_events ORDER BY audit_events.id DESC LIMIT 1`)).rows;
      const [{ count }] = (await t.db.query(`SELECT count(*)::int AS count FROM audit_events`)).rows;
      expect(head).toEqual({ last_id: last.id, last_hash: last.hash, events: count });
      expect((await t.db.query(`SELECT count(*)::int AS n FROM audit_events WHERE action = 'test.undone'`)).rows[0].n).toBe(0);
      expect(await verify()).toEqual({ ok: true, events: count, firstBrokenId: null });
    });

    it('finds a changed row', async () => {
      const [, second] = await ids();
      await tamper(`UPDATE audit_events SET after = jsonb_set(after, '{role}', '"admin"') WHERE id = ${second}`);
      expect(await verify()).toMatchObject({ ok: false, firstBrokenId: second });
      await tamper(`UPDATE audit_events SET after = jsonb_set(after, '{role}', '"analyst"') WHERE id = ${second}`);
      expect(await verify()).toMatchObject({ ok: true });
    });

    it('finds a row removed from the middle', async () => {
      const all = await ids();
      await tamper(`CREATE TABLE removed AS SELECT * FROM audit_events WHERE id = ${all[3]}`);
      await tamper(`DELETE FROM audit_events WHERE id = ${all[3]}`);
      expect(await verify()).toMatchObject({ ok: false, firstBrokenId: all[4] });
      // Put back exactly as it was, the chain holds again.
      await tamper(`INSERT INTO audit_events SELECT * FROM removed; DROP TABLE removed`);
      expect(await verify()).toMatchObject({ ok: true });
    });

    it('finds the last row removed', async () => {
      const last = (await ids()).at(-1)!;
      await tamper(`DELETE FROM audit_events WHERE id = ${last}`);
      expect(await verify()).toMatchObject({ ok: false, firstBrokenId: last });
    });
  });
});
