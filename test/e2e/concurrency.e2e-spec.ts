import { randomUUID } from 'node:crypto';
import { consentBody, declarationOf, insertFlag } from '../support/endpoints.js';
import { type Method, type TestApp, type TestUser, createUser, requestAs, startTestApp } from '../support/test-app.js';

/**
 * What holds when requests race: many copies of one request, or many requests on one record, sent at
 * once. Builds on the single-channel races of declarations.e2e-spec (fifty identical POSTs, thirty
 * declarations on one consent) and flags-workflow.e2e-spec (two analysts, one version).
 */
describe('concurrency', () => {
  let t: TestApp;
  const u: Record<string, TestUser> = {};
  const analysts: TestUser[] = [];
  let traderId: string;

  const as = (user: TestUser | string, method: Method, path: string, body?: object) => requestAs(t, user, method, path, body);
  const count = async (sql: string, params: unknown[] = []) => (await t.db.query(`SELECT count(*)::int AS n FROM ${sql}`, params)).rows[0].n as number;
  const statuses = (responses: { status: number }[]) => responses.map((r) => r.status).sort();
  const times = <T>(n: number, make: (i: number) => Promise<T>) => Promise.all(Array.from({ length: n }, (_, i) => make(i)));
  const tally = (values: (string | number)[]) => values.reduce<Record<string, number>>((acc, v) => ({ ...acc, [v]: (acc[v] ?? 0) + 1 }), {});

  beforeAll(async () => {
    t = await startTestApp();
    await t.app.listen(0, '127.0.0.1');
    u.officerMx = await createUser(t, 'customs_officer', ['MX']);
    u.systemMx = await createUser(t, 'system', ['MX']);
    u.focalMx = await createUser(t, 'focal_point', ['MX']);
    u.focalBo = await createUser(t, 'focal_point', ['BO']);
    for (const countries of [['MX'], ['MX'], ['MX'], ['BO'], ['BO'], ['MX', 'BO'], ['*'], ['*']]) analysts.push(await createUser(t, 'analyst', countries));
    traderId = (await as(u.focalMx, 'post', '/api/v1/traders', { country: 'MX', nationalId: 'MXA-0001', name: 'Minera del Norte SA de CV' }).expect(201)).body.id;
  }, 120_000);
  afterAll(() => t.close());

  /** A licence of the MX trader and a consent BO gives MX, both of their own number, and declarations that cite them. */
  const registries = async (licenceKg: number | undefined, consentKg: number | undefined) => {
    const licence = (await as(u.focalMx, 'post', '/api/v1/licences', {
      traderId, number: `MX-EXP-${randomUUID().slice(0, 6)}`, type: 'export', hsCodes: ['2805'], maxQuantityKg: licenceKg, validFrom: '2026-01-01', validTo: '2026-12-31',
    }).expect(201)).body;
    const consent = (await as(u.focalBo, 'post', '/api/v1/consents', consentBody('MX', 'BO', { quantityKg: consentKg })).expect(201)).body;
    const declaration = (kg: number, overrides: Record<string, unknown> = {}) =>
      declarationOf('MX', { licenceNumber: licence.number, consentReference: consent.reference, items: [{ hsCode: '280540', netMassKg: kg, valueUsd: kg * 50 }], ...overrides });
    return { licence, consent, declaration };
  };
  const ledger = async (licenceId: string, consentId: string) => {
    const { rows } = await t.db.query(
      `SELECT (SELECT used_quantity_kg FROM licences WHERE id = $1)::text AS "licenceUsed",
              (SELECT coalesce(sum(quantity_kg), 0) FROM licence_usages WHERE licence_id = $1)::text AS "licenceUsages",
              (SELECT used_quantity_kg FROM consents WHERE id = $2)::text AS "consentUsed",
              (SELECT coalesce(sum(drawn_kg), 0) FROM consent_drawdowns WHERE consent_id = $2)::text AS "consentDrawn",
              (SELECT count(*) FROM consent_drawdowns WHERE consent_id = $2 AND drawn_kg > requested_kg)::int AS "overdrawn"`,
      [licenceId, consentId],
    );
    return Object.fromEntries(Object.entries(rows[0]).map(([k, v]) => [k, typeof v === 'string' ? Number(v) : v])) as Record<string, number>;
  };

  it('stores one declaration, one check job, one drawdown and one audit event, whichever channels the copies arrive by', async () => {
    const { licence, consent, declaration } = await registries(100000, 50000);
    const body = declaration(120);
    const answers = await Promise.all([
      ...Array.from({ length: 20 }, () => as(u.officerMx, 'post', '/api/v1/declarations', body)),
      ...Array.from({ length: 10 }, () => as(u.systemMx, 'post', '/api/v1/declarations', body)),
      ...Array.from({ length: 20 }, () => as(u.systemMx, 'post', '/api/v1/declarations/batch', { declarations: [body] })),
    ]);
    const outcomes = answers.map((r) => (r.body.results ? `batch ${r.status} ${r.body.results[0].status}` : `single ${r.status}`));
    const created = outcomes.filter((o) => o === 'single 201' || o === 'batch 200 created');
    expect(created).toHaveLength(1);
    expect(outcomes.filter((o) => o === 'single 200' || o === 'batch 200 duplicate')).toHaveLength(49);
    const ids = new Set(answers.map((r) => r.body.id ?? r.body.results[0].id));
    expect(ids.size).toBe(1);
    const [id] = ids;
    expect(await count(`declarations WHERE number = $1`, [body.number])).toBe(1);
    expect(await count(`outbox WHERE payload->>'declarationId' = $1`, [id])).toBe(1);
    expect(await count(`consent_drawdowns WHERE declaration_id = $1`, [id])).toBe(1);
    expect(await count(`licence_usages WHERE declaration_id = $1`, [id])).toBe(1);
    expect(await count(`audit_events WHERE action = 'declaration.file' AND entity_id = $1`, [id])).toBe(1);
    expect(await ledger(licence.id, consent.id)).toEqual({ licenceUsed: 120, licenceUsages: 120, consentUsed: 120, consentDrawn: 120, overdrawn: 0 });
  });

  /** Forty declarations of 50 to 125 kg at once on a licence and a consent of 1,000 kg each. */
  const parallelDeclarations = async () => {
    const { licence, consent, declaration } = await registries(1000, 1000);
    const answers = await times(40, (i) => as(i % 2 ? u.officerMx : u.systemMx, 'post', '/api/v1/declarations', declaration(50 + (i % 4) * 25)));
    expect(statuses(answers)).toEqual(Array(40).fill(201));
    return { requested: answers.reduce((sum, r) => sum + r.body.totalNetMassKg, 0), ledger: await ledger(licence.id, consent.id) };
  };

  /**
   * Ten declarations fill a 1,000 kg consent; then five are cancelled and three amended down to 40 kg
   * while ten new ones of 60 kg arrive. Answers the statuses and the ledgers.
   */
  const mixedRace = async () => {
    const { licence, consent, declaration } = await registries(undefined, 1000);
    const first = await times(10, () => as(u.officerMx, 'post', '/api/v1/declarations', declaration(100)).expect(201));
    expect((await ledger(licence.id, consent.id)).consentUsed).toBe(1000);
    const [toCancel, toAmend] = [first.slice(0, 5), first.slice(5, 8)];
    const [changes, filings] = await Promise.all([
      Promise.all([
        ...toCancel.map((d) => as(u.officerMx, 'post', `/api/v1/declarations/${d.body.id}/cancel`, { reason: 'Shipment withdrawn' })),
        ...toAmend.map((d) => as(u.officerMx, 'put', `/api/v1/declarations/${d.body.id}`, { ...declaration(40, { number: d.body.number }), version: 1 })),
      ]),
      times(10, () => as(u.systemMx, 'post', '/api/v1/declarations', declaration(60))),
    ]);
    return { changes, filings, ledger: await ledger(licence.id, consent.id), consentId: consent.id };
  };

  it('never draws a consent beyond its quantity, and records every licence usage, under parallel declarations', async () => {
    const { requested, ledger: after } = await parallelDeclarations();
    expect(after).toMatchObject({ licenceUsages: requested, consentUsed: 1000, consentDrawn: 1000, overdrawn: 0 });
  });

  it('keeps the consent ledger exact while cancellations, amendments and new declarations land together', async () => {
    const { changes, filings, ledger: after, consentId } = await mixedRace();
    // A refused request is a conflict to retry (see the known races below), never a 5xx, and changes nothing.
    expect(changes.every((r) => r.status === 200 || r.body.code === 'CONFLICT')).toBe(true);
    expect(filings.every((r) => r.status === 201 || r.body.code === 'CONFLICT')).toBe(true);
    expect(after).toMatchObject({ consentUsed: after.consentDrawn, overdrawn: 0 });
    expect(after.consentUsed).toBeLessThanOrEqual(1000);
    // Every declaration draws what it asked for or what was left; cancelled ones draw nothing.
    const { rows } = await t.db.query(
      `SELECT d.status, coalesce(c.drawn_kg, 0)::float AS drawn, d.total_net_mass_kg::float AS kg FROM declarations d
         LEFT JOIN consent_drawdowns c ON c.declaration_id = d.id AND c.consent_id = $1 WHERE d.consent_reference = (SELECT reference FROM consents WHERE id = $1)`,
      [consentId],
    );
    expect(rows.filter((r) => r.status === 'cancelled').every((r) => r.drawn === 0)).toBe(true);
    expect(rows.every((r) => r.drawn <= r.kg)).toBe(true);
    expect(rows.reduce((sum, r) => sum + r.drawn, 0)).toBe(after.consentUsed);
  });

  /**
   * Races this suite once found in DeclarationsService, and their fixes:
   * - licences.used_quantity_kg was recomputed in an UPDATE whose snapshot predated the concurrent
   *   declaration it waited for, losing usage: the licences are now locked (FOR NO KEY UPDATE) before;
   * - releasing took the consent before the licence, filing the licence before the consent, so a
   *   cancellation or amendment racing a filing deadlocked: both now take licences, then consents;
   * - a batch took the audit chain's head row early: audit events are now written last.
   */
  describe('races once reported, now fixed', () => {
    it('counts every licence usage in licences.used_quantity_kg under parallel declarations', async () => {
      const { requested, ledger: after } = await parallelDeclarations();
      expect(after).toMatchObject({ licenceUsed: requested, licenceUsages: requested });
    });

    it('never deadlocks a cancellation or an amendment with a new declaration on the same consent and licence', async () => {
      const { changes, filings, ledger: after } = await mixedRace();
      expect([statuses(changes), statuses(filings)]).toEqual([Array(8).fill(200), Array(10).fill(201)]);
      expect(after.licenceUsed).toBe(after.licenceUsages);
    });

    it('never deadlocks a batch that spans licences with single filings on them', async () => {
      const [a, b] = [await registries(undefined, undefined), await registries(undefined, undefined)];
      const answers = await Promise.all([
        ...Array.from({ length: 6 }, () => as(u.systemMx, 'post', '/api/v1/declarations/batch', { declarations: [a.declaration(10), b.declaration(10), a.declaration(10)] })),
        ...Array.from({ length: 10 }, (_, i) => as(u.officerMx, 'post', '/api/v1/declarations', (i % 2 ? a : b).declaration(10))),
      ]);
      expect(statuses(answers)).toEqual([...Array(6).fill(200), ...Array(10).fill(201)]);
    });
  });

  it('cancels a declaration once when the cancellation is sent many times at once, and gives its quantities back once', async () => {
    const { licence, consent, declaration } = await registries(5000, 5000);
    const { id } = (await as(u.officerMx, 'post', '/api/v1/declarations', declaration(700)).expect(201)).body;
    const answers = await times(12, (i) => as(i % 2 ? u.officerMx : u.systemMx, 'post', `/api/v1/declarations/${id}/cancel`, { reason: `Withdrawn ${i}` }));
    expect(statuses(answers)).toEqual([200, ...Array(11).fill(422)]);
    expect(await ledger(licence.id, consent.id)).toEqual({ licenceUsed: 0, licenceUsages: 0, consentUsed: 0, consentDrawn: 0, overdrawn: 0 });
    expect(await count(`declaration_versions WHERE declaration_id = $1`, [id])).toBe(2);
    expect(await count(`outbox WHERE payload->>'declarationId' = $1`, [id])).toBe(2);
    expect(await count(`audit_events WHERE action = 'declaration.cancel' AND entity_id = $1`, [id])).toBe(1);
  });

  it('takes one of many amendments of the same version, and the ledgers follow the winner', async () => {
    const { licence, consent, declaration } = await registries(5000, 5000);
    const original = declaration(1000);
    const { id } = (await as(u.officerMx, 'post', '/api/v1/declarations', original).expect(201)).body;
    const answers = await times(10, (i) => as(u.officerMx, 'put', `/api/v1/declarations/${id}`, { ...original, items: [{ hsCode: '280540', netMassKg: 100 * (i + 1), valueUsd: 1000 }], version: 1 }));
    expect(statuses(answers)).toEqual([200, ...Array(9).fill(409)]);
    expect(answers.filter((r) => r.status === 409).every((r) => r.body.code === 'STALE_VERSION')).toBe(true);
    const winner = answers.find((r) => r.status === 200)!.body;
    expect(winner).toMatchObject({ version: 2, status: 'amended' });
    expect(await ledger(licence.id, consent.id)).toEqual({
      licenceUsed: winner.totalNetMassKg, licenceUsages: winner.totalNetMassKg, consentUsed: winner.totalNetMassKg, consentDrawn: winner.totalNetMassKg, overdrawn: 0,
    });
    expect(await count(`declaration_versions WHERE declaration_id = $1`, [id])).toBe(2);
  });

  it('lets exactly one of many analysts change a flag at one version, whatever each changes', async () => {
    const flagId = await insertFlag(t, ['MX', 'BO']);
    const answers = await Promise.all(analysts.map((analyst, i) => {
      const change = [{ status: 'in_review' }, { status: 'dismissed', reason: 'A duplicate of another case' }, { assigneeId: analyst.id }, { status: 'confirmed', reason: 'Seizure report' }][i % 4];
      return as(analyst, 'patch', `/api/v1/flags/${flagId}`, { version: 1, ...change });
    }));
    expect(statuses(answers)).toEqual([200, ...Array(analysts.length - 1).fill(409)]);
    expect(tally(answers.filter((r) => r.status === 409).map((r) => r.body.code))).toEqual({ STALE_VERSION: analysts.length - 1 });
    const { rows } = await t.db.query(`SELECT version FROM flags WHERE id = $1`, [flagId]);
    expect(rows[0].version).toBe(2);
    expect(await count(`audit_events WHERE action = 'flag.update' AND entity_id = $1`, [flagId])).toBe(1);
    // The next change at the new version goes through, and comments never conflict.
    const comments = await times(analysts.length, (i) => as(analysts[i], 'post', `/api/v1/flags/${flagId}/comments`, { text: `Note ${i}` }));
    expect(statuses(comments)).toEqual(Array(analysts.length).fill(201));
    await as(analysts[0], 'patch', `/api/v1/flags/${flagId}`, { version: 2, status: 'open' }).expect(200);
  });

  it('answers a race on a unique key with one 201 and conflicts, never a 500, and stores one record', async () => {
    const licenceNumber = `MX-EXP-${randomUUID().slice(0, 6)}`;
    const consent = consentBody('MX', 'BO');
    const email = `race.${randomUUID().slice(0, 6)}@hgtrace.test`;
    const races = {
      trader: () => as(u.focalMx, 'post', '/api/v1/traders', { country: 'MX', nationalId: 'RACE-1', name: 'Carrera SA' }),
      licence: () => as(u.focalMx, 'post', '/api/v1/licences', { traderId, number: licenceNumber, type: 'import', hsCodes: ['2805'], validFrom: '2026-01-01', validTo: '2026-12-31' }),
      consent: () => as(u.focalBo, 'post', '/api/v1/consents', consent),
      user: () => t.http.post('/api/v1/users').auth(t.adminToken, { type: 'bearer' }).send({ email, password: 'a-password-for-tests', role: 'analyst', countries: ['MX'] }),
      token: () => t.http.post(`/api/v1/users/${u.systemMx.id}/tokens`).auth(t.adminToken, { type: 'bearer' }).send({ name: 'race feed' }),
    };
    for (const [what, send] of Object.entries(races)) {
      const answers = await times(what === 'user' ? 6 : 12, send);
      expect([what, statuses(answers)]).toEqual([what, [201, ...Array(answers.length - 1).fill(409)]]);
      expect(answers.filter((r) => r.status === 409).every((r) => r.body.code === 'CONFLICT' && r.body.details.length > 0)).toBe(true);
    }
    expect(await count(`traders WHERE national_id = 'RACE-1'`)).toBe(1);
    expect(await count(`licences WHERE number = $1`, [licenceNumber])).toBe(1);
    expect(await count(`consents WHERE reference = $1`, [consent.reference])).toBe(1);
    expect(await count(`users WHERE email = $1`, [email])).toBe(1);
    expect(await count(`api_tokens WHERE name = 'race feed'`)).toBe(1);
  });

  it('applies one of many status changes of a licence or a consent sent at once', async () => {
    const { licence, consent } = await registries(1000, 1000);
    const suspensions = await times(10, (i) => as(u.focalMx, 'post', `/api/v1/licences/${licence.id}/suspend`, { reason: `Inspection ${i}` }));
    expect(statuses(suspensions)).toEqual([200, ...Array(9).fill(422)]);
    const mixed = await Promise.all([
      ...Array.from({ length: 5 }, () => as(u.focalMx, 'post', `/api/v1/licences/${licence.id}/reinstate`, { reason: 'Inspection passed' })),
      ...Array.from({ length: 5 }, () => as(u.focalMx, 'post', `/api/v1/licences/${licence.id}/revoke`, { reason: 'Storage outside the site' })),
    ]);
    // Each change starts from the status the one before it left: reinstated then revoked, or revoked at once.
    const history = (await as(u.focalMx, 'get', `/api/v1/licences/${licence.id}`).expect(200)).body.history.map((h: { from: string; to: string }) => `${h.from}>${h.to}`);
    expect([['active>suspended', 'suspended>active', 'active>revoked'], ['active>suspended', 'suspended>revoked']]).toContainEqual(history);
    expect(mixed.filter((r) => r.status === 200)).toHaveLength(history.length - 1);
    expect(mixed.every((r) => r.status === 200 || r.status === 422)).toBe(true);
    const withdrawals = await times(10, (i) => as(u.focalBo, 'post', `/api/v1/consents/${consent.id}/withdraw`, { reason: `Withdrawn ${i}` }));
    expect(statuses(withdrawals)).toEqual([200, ...Array(9).fill(422)]);
    expect(await count(`audit_events WHERE action = 'consent.withdraw' AND entity_id = $1`, [consent.id])).toBe(1);
  });
});
