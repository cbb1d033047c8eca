import { type Method, type TestApp, type TestUser, createUser, requestAs, startTestApp } from '../support/test-app.js';


describe('registry: reference data, traders and licences', () => {
  let t: TestApp;
  const u: Record<string, TestUser> = {};
  let mxTrader: { id: string };
  let boTrader: { id: string };

  const as = (user: TestUser | string, method: Method, path: string, body?: object) => requestAs(t, user, method, path, body);

  beforeAll(async () => {
    t = await startTestApp();
    u.focalMx = await createUser(t, 'focal_point', ['MX']);
    u.focalBo = await createUser(t, 'focal_point', ['BO']);
    u.officerMx = await createUser(t, 'customs_officer', ['MX']);
    u.officerBo = await createUser(t, 'customs_officer', ['BO']);
    u.analystMx = await createUser(t, 'analyst', ['MX']);
    u.analystAll = await createUser(t, 'analyst', ['*']);
    u.systemMx = await createUser(t, 'system', ['MX']);
    mxTrader = (await as(u.focalMx, 'post', '/api/v1/traders', { country: 'MX', nationalId: 'MNO-001', name: 'Minera del Norte SA de CV', aliases: ['Minera Norte'] }).expect(201)).body;
    boTrader = (await as(u.focalBo, 'post', '/api/v1/traders', { country: 'BO', nationalId: 'NIT-100200', name: 'Importadora Andina S.R.L.' }).expect(201)).body;
  });
  afterAll(() => t.close());

  describe('reference data', () => {
    it('lists every country with its Minamata Convention date', async () => {
      const res = await as(u.officerMx, 'get', '/api/v1/reference/countries').expect(200);
      expect(res.body.length).toBeGreaterThanOrEqual(249);
      const since = Object.fromEntries(res.body.map((c: { code: string; minamataPartySince: string | null }) => [c.code, c.minamataPartySince]));
      // Entry into force: 2017-08-16 for the first 50 Parties, otherwise the 90th day after deposit.
      expect(since).toMatchObject({ US: '2017-08-16', MX: '2017-08-16', BO: '2017-08-16', DE: '2017-12-14', GB: '2018-06-21', AM: '2018-03-13', PL: '2021-12-29', IQ: '2021-12-15' });
      expect(since.CD).toBeNull();
      expect(Object.values(since).filter(Boolean).length).toBeGreaterThan(125);
    });

    it('lists HS codes with their mercury class, searchable', async () => {
      const mercury = await as(u.analystMx, 'get', '/api/v1/reference/hs-codes?q=2805.40').expect(200);
      expect(mercury.body).toEqual([expect.objectContaining({ code: '280540', mercuryClass: 'mercury' })]);
      const stone = await as(u.systemMx, 'get', '/api/v1/reference/hs-codes?q=2517').expect(200);
      expect(stone.body.every((h: { mercuryClass: string }) => h.mercuryClass === 'cover')).toBe(true);
      const all = await as(u.focalBo, 'get', '/api/v1/reference/hs-codes').expect(200);
      expect(new Set(all.body.map((h: { mercuryClass: string }) => h.mercuryClass))).toEqual(new Set(['mercury', 'compound', 'product', 'cover', 'other']));
      await t.http.get('/api/v1/reference/countries').expect(401);
    });
  });

  describe('traders', () => {
    it('registers a trader for the focal point of its country', () => {
      expect(mxTrader).toMatchObject({ id: expect.any(String), country: 'MX', nationalId: 'MNO-001', name: 'Minera del Norte SA de CV', aliases: ['Minera Norte'], address: null });
    });

    it.each([
      ['an unknown country', { country: 'XX' }, 400, 'country'],
      ['a malformed country', { country: 'Mexico' }, 400, 'country'],
      ['no name', { name: undefined }, 400, 'name'],
      ['an empty national id', { nationalId: '  ' }, 400, 'nationalId'],
      ['a duplicate national id', { nationalId: 'MNO-001' }, 409, 'nationalId'],
      ['an extra field', { status: 'approved' }, 400, 'status'],
      ['aliases that are not strings', { aliases: [1, 2] }, 400, 'aliases'],
    ])('refuses %s', async (_, change, status, path) => {
      const res = await as(u.focalMx, 'post', '/api/v1/traders', { country: 'MX', nationalId: 'MNO-NEW', name: 'Nueva Minera', ...change }).expect(status);
      expect(res.body.details.map((d: { path: string }) => d.path)).toContain(path);
      expect((await t.db.query(`SELECT count(*)::int AS n FROM traders WHERE national_id = 'MNO-NEW'`)).rows[0].n).toBe(0);
    });

    it('keeps a focal point from registering traders of another country', async () => {
      const res = await as(u.focalMx, 'post', '/api/v1/traders', { country: 'BO', nationalId: 'NIT-9', name: 'X' }).expect(403);
      expect(res.body.code).toBe('FORBIDDEN');
    });

    it('finds a trader by fuzzy name, ignoring case, accents, punctuation and legal form', async () => {
      const andina = (await as(u.focalMx, 'post', '/api/v1/traders', { country: 'MX', nationalId: 'MAN-77', name: 'Minera Andina S.A.', aliases: ['Andina Metales'] }).expect(201)).body;
      await as(u.focalMx, 'post', '/api/v1/traders', { country: 'MX', nationalId: 'OTR-1', name: 'Química Pacífico SA de CV' }).expect(201);
      for (const q of ['MINERA ANDINA SA', 'minera andina', 'Minéra Andína, S.A.', 'andina metales', 'MAN-77']) {
        const res = await as(u.officerMx, 'get', `/api/v1/traders?q=${encodeURIComponent(q)}`).expect(200);
        expect(res.body.items[0]?.id).toBe(andina.id);
      }
      const quimica = await as(u.officerMx, 'get', `/api/v1/traders?q=${encodeURIComponent('QUIMICA PACIFICO')}`).expect(200);
      expect(quimica.body.items[0].name).toBe('Química Pacífico SA de CV');
      const none = await as(u.officerMx, 'get', '/api/v1/traders?q=zzzz%20qqqq').expect(200);
      expect(none.body.items).toEqual([]);
    });

    it('shows each user the traders of their countries only', async () => {
      const mx = await as(u.officerMx, 'get', '/api/v1/traders?limit=500').expect(200);
      expect(mx.body.items.every((tr: { country: string }) => tr.country === 'MX')).toBe(true);
      const all = await as(u.analystAll, 'get', '/api/v1/traders?limit=500').expect(200);
      expect(new Set(all.body.items.map((tr: { country: string }) => tr.country))).toEqual(new Set(['MX', 'BO']));
      const bo = await as(u.officerBo, 'get', `/api/v1/traders?q=${encodeURIComponent('Minera del Norte')}`).expect(200);
      expect(bo.body.items).toEqual([]);
      const asked = await as(u.officerBo, 'get', '/api/v1/traders?country=MX').expect(200);
      expect(asked.body.items).toEqual([]);
    });

    it('pages with a cursor', async () => {
      const first = await as(u.analystAll, 'get', '/api/v1/traders?limit=2').expect(200);
      const second = await as(u.analystAll, 'get', `/api/v1/traders?limit=2&cursor=${first.body.nextCursor}`).expect(200);
      const ids = [...first.body.items, ...second.body.items].map((tr: { id: string }) => tr.id);
      expect(new Set(ids).size).toBe(ids.length);
    });
  });

  describe('licences', () => {
    const licence = (change: object = {}) => ({ traderId: mxTrader.id, number: 'MX-EXP-0001', type: 'export', hsCodes: ['2805.40'], maxQuantityKg: 10000, validFrom: '2026-01-01', validTo: '2026-12-31', ...change });
    let issued: { id: string };

    it('issues a licence: active, nothing used yet, HS codes normalised', async () => {
      const res = await as(u.focalMx, 'post', '/api/v1/licences', licence()).expect(201);
      issued = res.body;
      expect(res.body).toMatchObject({ country: 'MX', traderId: mxTrader.id, traderName: 'Minera del Norte SA de CV', number: 'MX-EXP-0001', type: 'export', hsCodes: ['280540'], maxQuantityKg: 10000, usedQuantityKg: 0, remainingQuantityKg: 10000, status: 'active', history: [] });
    });

    it.each([
      ['validTo before validFrom', { validTo: '2025-12-31' }, 400, 'validTo'],
      ['an impossible date', { validFrom: '2026-02-30' }, 400, 'validFrom'],
      ['an HS code of 5 digits', { hsCodes: ['28054'] }, 400, 'hsCodes'],
      ['an HS code of 12 digits', { hsCodes: ['280540000000'] }, 400, 'hsCodes'],
      ['an HS code with letters', { hsCodes: ['2805AB'] }, 400, 'hsCodes'],
      ['no HS codes', { hsCodes: [] }, 400, 'hsCodes'],
      ['a negative ceiling', { maxQuantityKg: -5 }, 400, 'maxQuantityKg'],
      ['a ceiling as a string', { maxQuantityKg: '100' }, 400, 'maxQuantityKg'],
      ['an unknown type', { type: 'transit' }, 400, 'type'],
      ['a malformed trader id', { traderId: 'abc' }, 400, 'traderId'],
      ['an unknown trader', { traderId: '1b2c3d4e-0000-4000-8000-000000000000' }, 404, 'traderId'],
      ['a duplicate number', { number: 'MX-EXP-0001' }, 409, 'number'],
      ['a status (mass assignment)', { status: 'active' }, 400, 'status'],
      ['usedQuantityKg (mass assignment)', { usedQuantityKg: 0 }, 400, 'usedQuantityKg'],
    ])('refuses %s', async (_, change, status, path) => {
      const before = (await t.db.query(`SELECT count(*)::int AS n FROM licences`)).rows[0].n;
      const res = await as(u.focalMx, 'post', '/api/v1/licences', licence({ number: 'MX-EXP-NEW', ...change })).expect(status);
      expect(res.body.details.map((d: { path: string }) => d.path)).toContain(path);
      expect((await t.db.query(`SELECT count(*)::int AS n FROM licences`)).rows[0].n).toBe(before);
    });

    it("answers 404 when a focal point names another country's trader", async () => {
      await as(u.focalMx, 'post', '/api/v1/licences', licence({ traderId: boTrader.id, number: 'X-1' })).expect(404);
    });

    it('suspends, reinstates and revokes with reasons kept in the history and the audit log', async () => {
      const suspended = await as(u.focalMx, 'post', `/api/v1/licences/${issued.id}/suspend`, { reason: 'Storage inspection failed' }).expect(200);
      expect(suspended.body.status).toBe('suspended');
      await as(u.focalMx, 'post', `/api/v1/licences/${issued.id}/suspend`, { reason: 'again' }).expect(422);
      const reinstated = await as(u.focalMx, 'post', `/api/v1/licences/${issued.id}/reinstate`, { reason: 'Corrected' }).expect(200);
      expect(reinstated.body.status).toBe('active');
      await as(u.focalMx, 'post', `/api/v1/licences/${issued.id}/suspend`, {}).expect(400);
      const revoked = await as(u.focalMx, 'post', `/api/v1/licences/${issued.id}/revoke`, { reason: 'Diversion to ASGM confirmed' }).expect(200);
      expect(revoked.body.status).toBe('revoked');
      expect(revoked.body.history.map((h: { from: string; to: string; reason: string }) => [h.from, h.to, h.reason])).toEqual([
        ['active', 'suspended', 'Storage inspection failed'],
        ['suspended', 'active', 'Corrected'],
        ['active', 'revoked', 'Diversion to ASGM confirmed'],
      ]);
      await as(u.focalMx, 'post', `/api/v1/licences/${issued.id}/reinstate`, { reason: 'appeal' }).expect(422);
      const audit = await as(u.analystMx, 'get', `/api/v1/audit?entity=licence&entityId=${issued.id}`).expect(200);
      expect(audit.body.items.map((e: { action: string }) => e.action)).toEqual(['licence.revoke', 'licence.reinstate', 'licence.suspend', 'licence.issue']);
      expect(audit.body.items[0].after.reason).toBe('Diversion to ASGM confirmed');
    });

    it("keeps other countries' focal points and other roles from changing a licence", async () => {
      const other = (await as(u.focalMx, 'post', '/api/v1/licences', licence({ number: 'MX-EXP-0002' })).expect(201)).body;
      await as(u.focalBo, 'post', `/api/v1/licences/${other.id}/suspend`, { reason: 'not mine' }).expect(404);
      await as(u.officerMx, 'post', `/api/v1/licences/${other.id}/suspend`, { reason: 'not my role' }).expect(403);
      await as(u.analystAll, 'post', `/api/v1/licences/${other.id}/revoke`, { reason: 'not my role' }).expect(403);
      expect((await as(u.focalMx, 'get', `/api/v1/licences/${other.id}`).expect(200)).body.status).toBe('active');
    });

    it('answers the border lookup: a licence by number with its status on a date', async () => {
      await as(u.focalMx, 'post', '/api/v1/licences', licence({ number: 'MX-EXP-2024', validFrom: '2024-01-01', validTo: '2024-12-31' })).expect(201);
      const lastDay = await as(u.officerMx, 'get', '/api/v1/licences?number=MX-EXP-2024&date=2024-12-31').expect(200);
      expect(lastDay.body.items).toHaveLength(1);
      expect(lastDay.body.items[0]).toMatchObject({ status: 'expired', statusOn: { date: '2024-12-31', status: 'active', valid: true } });
      const dayAfter = await as(u.officerMx, 'get', '/api/v1/licences?number=MX-EXP-2024&date=2025-01-01').expect(200);
      expect(dayAfter.body.items[0].statusOn).toEqual({ date: '2025-01-01', status: 'expired', valid: false });
      const expired = await as(u.officerMx, 'get', '/api/v1/licences?status=expired').expect(200);
      expect(expired.body.items.map((l: { number: string }) => l.number)).toEqual(['MX-EXP-2024']);
      const fromBolivia = await as(u.officerBo, 'get', '/api/v1/licences?number=MX-EXP-2024').expect(200);
      expect(fromBolivia.body.items).toEqual([]);
      await as(u.officerMx, 'get', '/api/v1/licences?date=2024-13-01').expect(400);
      await as(u.officerMx, 'get', '/api/v1/licences?status=lapsed').expect(400);
    });

    it('shows a trader with its licences, to its own country only', async () => {
      const res = await as(u.analystMx, 'get', `/api/v1/traders/${mxTrader.id}`).expect(200);
      expect(res.body.licences.map((l: { number: string }) => l.number).sort()).toEqual(['MX-EXP-0001', 'MX-EXP-0002', 'MX-EXP-2024']);
      await as(u.officerBo, 'get', `/api/v1/traders/${mxTrader.id}`).expect(404);
      await as(u.officerBo, 'get', `/api/v1/licences/${issued.id}`).expect(404);
    });
  });

  describe('who may do what, by role and country', () => {
    // [who, method, path, body, expected status]; bodies are built when the row runs.
    const cases: [string, Method, () => string, () => object | undefined, number][] = [
      ['focalMx', 'post', () => '/api/v1/traders', () => ({ country: 'MX', nationalId: `R-${Math.random()}`, name: 'A' }), 201],
      ['focalBo', 'post', () => '/api/v1/traders', () => ({ country: 'MX', nationalId: `R-${Math.random()}`, name: 'A' }), 403],
      ['officerMx', 'post', () => '/api/v1/traders', () => ({ country: 'MX', nationalId: `R-${Math.random()}`, name: 'A' }), 403],
      ['analystAll', 'post', () => '/api/v1/traders', () => ({ country: 'MX', nationalId: `R-${Math.random()}`, name: 'A' }), 403],
      ['systemMx', 'post', () => '/api/v1/traders', () => ({ country: 'MX', nationalId: `R-${Math.random()}`, name: 'A' }), 403],
      ['admin', 'post', () => '/api/v1/traders', () => ({ country: 'MX', nationalId: `R-${Math.random()}`, name: 'A' }), 403],
      ['focalMx', 'get', () => `/api/v1/traders/${mxTrader.id}`, () => undefined, 200],
      ['officerMx', 'get', () => `/api/v1/traders/${mxTrader.id}`, () => undefined, 200],
      ['analystMx', 'get', () => `/api/v1/traders/${mxTrader.id}`, () => undefined, 200],
      ['analystAll', 'get', () => `/api/v1/traders/${boTrader.id}`, () => undefined, 200],
      ['focalBo', 'get', () => `/api/v1/traders/${mxTrader.id}`, () => undefined, 404],
      ['officerBo', 'get', () => `/api/v1/traders/${mxTrader.id}`, () => undefined, 404],
      ['analystMx', 'get', () => `/api/v1/traders/${boTrader.id}`, () => undefined, 404],
      ['systemMx', 'get', () => `/api/v1/traders/${mxTrader.id}`, () => undefined, 403],
      ['admin', 'get', () => `/api/v1/traders/${mxTrader.id}`, () => undefined, 403],
      ['focalBo', 'post', () => '/api/v1/licences', () => ({ traderId: boTrader.id, number: `BO-${Math.random()}`, type: 'import', hsCodes: ['280540'], validFrom: '2026-01-01', validTo: '2026-12-31' }), 201],
      ['focalMx', 'post', () => '/api/v1/licences', () => ({ traderId: boTrader.id, number: `BO-${Math.random()}`, type: 'import', hsCodes: ['280540'], validFrom: '2026-01-01', validTo: '2026-12-31' }), 404],
      ['officerBo', 'post', () => '/api/v1/licences', () => ({ traderId: boTrader.id, number: `BO-${Math.random()}`, type: 'import', hsCodes: ['280540'], validFrom: '2026-01-01', validTo: '2026-12-31' }), 403],
      ['officerBo', 'get', () => '/api/v1/licences', () => undefined, 200],
      ['systemMx', 'get', () => '/api/v1/licences', () => undefined, 403],
    ];
    it.each(cases.map((c) => [`${c[0]} ${c[1].toUpperCase()} ${c[2].toString().replace(/^\(\) => /, '')}`, ...c] as const))('%s', async (_, who, method, path, body, expected) => {
      const user = who === 'admin' ? t.adminToken : u[who];
      await as(user, method, path(), body()).expect(expected);
    });
  });
});
