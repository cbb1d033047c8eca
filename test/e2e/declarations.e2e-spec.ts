import { type Method, type TestApp, type TestUser, createUser, requestAs, startTestApp } from '../support/test-app.js';
import { exportDeclaration } from '../support/factories.js';

describe('declarations', () => {
  let t: TestApp;
  const u: Record<string, TestUser> = {};
  let consentId: string;
  let licenceId: string;

  const as = (user: TestUser | string, method: Method, path: string, body?: object) => requestAs(t, user, method, path, body);
  const outboxFor = async (id: string) => (await t.db.query(`SELECT job_id FROM outbox WHERE payload->>'declarationId' = $1 ORDER BY id`, [id])).rows.map((r) => r.job_id);

  beforeAll(async () => {
    t = await startTestApp();
    u.focalMx = await createUser(t, 'focal_point', ['MX']);
    u.focalBo = await createUser(t, 'focal_point', ['BO']);
    u.officerMx = await createUser(t, 'customs_officer', ['MX']);
    u.officerBo = await createUser(t, 'customs_officer', ['BO']);
    u.analystMx = await createUser(t, 'analyst', ['MX']);
    u.systemMx = await createUser(t, 'system', ['MX']);
    const trader = (await as(u.focalMx, 'post', '/api/v1/traders', { country: 'MX', nationalId: 'MXA-0001', name: 'Minera del Norte SA de CV' }).expect(201)).body;
    licenceId = (await as(u.focalMx, 'post', '/api/v1/licences', { traderId: trader.id, number: 'MX-EXP-0042', type: 'export', hsCodes: ['2805'], maxQuantityKg: 100000, validFrom: '2026-01-01', validTo: '2026-12-31' }).expect(201)).body.id;
    consentId = (await as(u.focalBo, 'post', '/api/v1/consents', { reference: 'BO-PIC-2026-007', type: 'written_consent', exportingCountry: 'MX', importingCountry: 'BO', hsCodes: ['280540'], quantityKg: 50000, purpose: 'allowed_use', validFrom: '2026-01-01', validTo: '2026-12-31' }).expect(201)).body.id;
  });
  afterAll(() => t.close());

  describe('filing one', () => {
    it('stores a declaration, counts it against its licence and consent, and writes its check job in the same transaction', async () => {
      const body = exportDeclaration({ number: 'MX-2026-000123' });
      const res = await as(u.officerMx, 'post', '/api/v1/declarations', body).expect(201);
      expect(res.body).toMatchObject({
        version: 1, status: 'received', country: 'MX', flow: 'export', number: 'MX-2026-000123', date: '2026-03-01', checkStatus: 'pending',
        trader: { nationalId: 'MXA-0001', id: expect.any(String) }, totalNetMassKg: 3450, totalValueUsd: 186300, licenceId, consentId,
        items: [{ line: 1, hsCode: '280540', netMassKg: 3450, valueUsd: 186300, mercuryClass: 'mercury', description: 'Mercury, 100 flasks' }],
        versions: [{ version: 1, status: 'received', reason: null, createdAt: expect.any(String) }],
      });
      expect(await outboxFor(res.body.id)).toEqual([`check.${res.body.id}.1`]);
      expect((await as(u.focalBo, 'get', `/api/v1/consents/${consentId}`)).body.usedQuantityKg).toBe(3450);
      expect((await as(u.focalMx, 'get', `/api/v1/licences/${licenceId}`)).body.usedQuantityKg).toBe(3450);
    });

    it('answers the same declaration sent again with 200 and the stored one, and different content with 409', async () => {
      const body = exportDeclaration({ number: 'MX-2026-IDEM' });
      const first = await as(u.officerMx, 'post', '/api/v1/declarations', body).expect(201);
      const again = await as(u.officerMx, 'post', '/api/v1/declarations', { ...body, items: [{ ...(body.items as object[])[0] }] }).expect(200);
      expect(again.body.id).toBe(first.body.id);
      const different = await as(u.officerMx, 'post', '/api/v1/declarations', { ...body, items: [{ hsCode: '280540', netMassKg: 3000, valueUsd: 186300 }] }).expect(409);
      expect(different.body.details).toEqual([{ path: 'number', message: 'exists with different content' }]);
      expect(await outboxFor(first.body.id)).toHaveLength(1);
    });

    it('stores one declaration and one check when fifty identical requests arrive at once', async () => {
      const body = exportDeclaration({ number: 'MX-2026-FIFTY', items: [{ hsCode: '280540', netMassKg: 10, valueUsd: 500 }] });
      const results = await Promise.all(Array.from({ length: 50 }, () => as(u.systemMx, 'post', '/api/v1/declarations', body)));
      const statuses = results.map((r) => r.status).sort();
      expect(statuses.filter((s) => s === 201)).toHaveLength(1);
      expect(statuses.filter((s) => s === 200)).toHaveLength(49);
      expect(new Set(results.map((r) => r.body.id)).size).toBe(1);
      const { rows } = await t.db.query(`SELECT count(*)::int AS n FROM declarations WHERE number = 'MX-2026-FIFTY'`);
      expect(rows[0].n).toBe(1);
      expect(await outboxFor(results[0].body.id)).toHaveLength(1);
      const drawn = await t.db.query(`SELECT drawn_kg::text FROM consent_drawdowns WHERE declaration_id = $1`, [results[0].body.id]);
      expect(drawn.rows).toEqual([{ drawn_kg: '10.000' }]);
      expect(results[0].body.source).toBe('system');
    });

    it('never draws a consent beyond its quantity when many declarations use it at once', async () => {
      const small = (await as(u.focalBo, 'post', '/api/v1/consents', { reference: 'BO-PIC-SMALL', type: 'written_consent', exportingCountry: 'MX', importingCountry: 'BO', hsCodes: ['280540'], quantityKg: 1000, purpose: 'allowed_use', validFrom: '2026-01-01', validTo: '2026-12-31' }).expect(201)).body;
      const results = await Promise.all(
        Array.from({ length: 30 }, (_, i) =>
          as(u.officerMx, 'post', '/api/v1/declarations', exportDeclaration({ number: `MX-PAR-${i}`, consentReference: 'BO-PIC-SMALL', items: [{ hsCode: '280540', netMassKg: 100, valueUsd: 5000 }] })),
        ),
      );
      expect(results.every((r) => r.status === 201)).toBe(true);
      const after = (await as(u.focalBo, 'get', `/api/v1/consents/${small.id}`).expect(200)).body;
      expect(after).toMatchObject({ quantityKg: 1000, usedQuantityKg: 1000, remainingQuantityKg: 0 });
      const { rows } = await t.db.query(`SELECT count(*)::int AS n, sum(drawn_kg)::text AS drawn, sum(requested_kg)::text AS requested FROM consent_drawdowns WHERE consent_id = $1`, [small.id]);
      expect(rows[0]).toEqual({ n: 30, drawn: '1000.000', requested: '3000.000' });
    });

    const future = new Date(Date.now() + 3 * 86400_000).toISOString().slice(0, 10);
    it.each([
      ['no items', { items: [] }, 'items'],
      ['missing items', { items: undefined }, 'items'],
      ['a missing trader', { trader: undefined }, 'trader'],
      ['a trader without a name', { trader: { nationalId: 'X' } }, 'trader.name'],
      ['a mass as a string', { items: [{ hsCode: '280540', netMassKg: '3450', valueUsd: 1 }] }, 'items[0].netMassKg'],
      ['a zero mass', { items: [{ hsCode: '280540', netMassKg: 0, valueUsd: 1 }] }, 'items[0].netMassKg'],
      ['a negative mass', { items: [{ hsCode: '280540', netMassKg: -1, valueUsd: 1 }] }, 'items[0].netMassKg'],
      ['a negative value', { items: [{ hsCode: '280540', netMassKg: 1, valueUsd: -1 }] }, 'items[0].valueUsd'],
      ['an HS code of 4 digits', { items: [{ hsCode: '2805', netMassKg: 1, valueUsd: 1 }] }, 'items[0].hsCode'],
      ['an HS code of 11 digits', { items: [{ hsCode: '28054000000', netMassKg: 1, valueUsd: 1 }] }, 'items[0].hsCode'],
      ['an HS code with letters', { items: [{ hsCode: 'HG2805', netMassKg: 1, valueUsd: 1 }] }, 'items[0].hsCode'],
      ['an unknown partner country', { partnerCountry: 'XX' }, 'partnerCountry'],
      ['an unknown counterparty country', { counterparty: { name: 'A', country: 'QQ' } }, 'counterparty.country'],
      ['a malformed country', { originCountry: 'mex' }, 'originCountry'],
      ['a partner equal to the declaring country', { partnerCountry: 'MX' }, 'partnerCountry'],
      ['a date in the future', { date: future }, 'date'],
      ['an impossible date', { date: '2026-02-29' }, 'date'],
      ['an unknown flow', { flow: 'transit' }, 'flow'],
      ['an unknown transport mode', { transportMode: 'pipeline' }, 'transportMode'],
      ['an extra field', { priority: 'high' }, 'priority'],
      ['an extra field in an item', { items: [{ hsCode: '280540', netMassKg: 1, valueUsd: 1, colour: 'silver' }] }, 'items[0].colour'],
      ['a version on creation', { version: 3 }, 'version'],
      ['a status (mass assignment)', { status: 'cancelled' }, 'status'],
      ['containers that are not a list', { containers: 'MSCU1' }, 'containers'],
    ])('refuses %s with 400 and the field path, storing nothing', async (_, change, path) => {
      const body = { ...exportDeclaration({ number: 'MX-BAD-1' }), ...change };
      const res = await as(u.officerMx, 'post', '/api/v1/declarations', body).expect(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
      expect(res.body.details.map((d: { path: string }) => d.path)).toContain(path);
      expect((await t.db.query(`SELECT count(*)::int AS n FROM declarations WHERE number = 'MX-BAD-1'`)).rows[0].n).toBe(0);
    });

    it('refuses a body of 50 MB with 413', async () => {
      const res = await as(u.officerMx, 'post', '/api/v1/declarations', exportDeclaration({ items: [{ hsCode: '280540', netMassKg: 1, valueUsd: 1, description: 'x'.repeat(50 * 1024 * 1024) }] })).expect(413);
      expect(res.body.code).toBe('PAYLOAD_TOO_LARGE');
    });

    it('lets only customs officers and systems of the declaring country file', async () => {
      await as(u.officerBo, 'post', '/api/v1/declarations', exportDeclaration()).expect(403);
      await as(u.analystMx, 'post', '/api/v1/declarations', exportDeclaration()).expect(403);
      await as(u.focalMx, 'post', '/api/v1/declarations', exportDeclaration()).expect(403);
      await t.http.post('/api/v1/declarations').auth(t.adminToken, { type: 'bearer' }).send(exportDeclaration()).expect(403);
      await t.http.post('/api/v1/declarations').send(exportDeclaration()).expect(401);
    });
  });

  describe('amendments and cancellation', () => {
    it('keeps every version, refuses a stale one, and re-checks each', async () => {
      const body = exportDeclaration({ number: 'MX-2026-AMEND' });
      const created = (await as(u.officerMx, 'post', '/api/v1/declarations', body).expect(201)).body;
      const amended = await as(u.officerMx, 'put', `/api/v1/declarations/${created.id}`, { ...body, version: 1, items: [{ hsCode: '280540', netMassKg: 3000, valueUsd: 160000 }] }).expect(200);
      expect(amended.body).toMatchObject({ version: 2, status: 'amended', totalNetMassKg: 3000, checkStatus: 'pending' });
      expect(amended.body.versions.map((v: { version: number; status: string }) => [v.version, v.status])).toEqual([[1, 'received'], [2, 'amended']]);
      const stale = await as(u.officerMx, 'put', `/api/v1/declarations/${created.id}`, { ...body, version: 1 }).expect(409);
      expect(stale.body).toMatchObject({ code: 'STALE_VERSION', details: [{ path: 'version', message: 'must be 2' }] });
      await as(u.officerMx, 'put', `/api/v1/declarations/${created.id}`, { ...body, number: 'MX-OTHER', version: 2 }).expect(400);
      await as(u.officerMx, 'put', `/api/v1/declarations/${created.id}`, { ...body }).expect(400);
      await as(u.officerBo, 'put', `/api/v1/declarations/${created.id}`, { ...body, version: 2 }).expect(404);
      expect(await outboxFor(created.id)).toEqual([`check.${created.id}.1`, `check.${created.id}.2`]);
      const drawn = await t.db.query(`SELECT drawn_kg::text FROM consent_drawdowns WHERE declaration_id = $1`, [created.id]);
      expect(drawn.rows).toEqual([{ drawn_kg: '3000.000' }]);
      // The original content sent again is still recognised as the same declaration.
      await as(u.officerMx, 'post', '/api/v1/declarations', body).expect(200);
    });

    it('gives the consent and licence quantities back on cancellation', async () => {
      const usedBefore = (await as(u.focalBo, 'get', `/api/v1/consents/${consentId}`)).body.usedQuantityKg;
      const licenceBefore = (await as(u.focalMx, 'get', `/api/v1/licences/${licenceId}`)).body.usedQuantityKg;
      const created = (await as(u.officerMx, 'post', '/api/v1/declarations', exportDeclaration({ items: [{ hsCode: '280540', netMassKg: 1234.5, valueUsd: 60000 }] })).expect(201)).body;
      expect((await as(u.focalBo, 'get', `/api/v1/consents/${consentId}`)).body.usedQuantityKg).toBe(usedBefore + 1234.5);
      await as(u.officerMx, 'post', `/api/v1/declarations/${created.id}/cancel`, {}).expect(400);
      const cancelled = await as(u.officerMx, 'post', `/api/v1/declarations/${created.id}/cancel`, { reason: 'Shipment withdrawn' }).expect(200);
      expect(cancelled.body).toMatchObject({ status: 'cancelled', version: 2, cancelReason: 'Shipment withdrawn', consentId: null, licenceId: null });
      expect((await as(u.focalBo, 'get', `/api/v1/consents/${consentId}`)).body.usedQuantityKg).toBe(usedBefore);
      expect((await as(u.focalMx, 'get', `/api/v1/licences/${licenceId}`)).body.usedQuantityKg).toBe(licenceBefore);
      await as(u.officerMx, 'post', `/api/v1/declarations/${created.id}/cancel`, { reason: 'again' }).expect(422);
      await as(u.officerMx, 'put', `/api/v1/declarations/${created.id}`, { ...exportDeclaration({ number: created.number }), version: 2 }).expect(422);
      expect(await outboxFor(created.id)).toEqual([`check.${created.id}.1`, `check.${created.id}.2`]);
      const audit = await as(u.analystMx, 'get', `/api/v1/audit?entity=declaration&entityId=${created.id}`).expect(200);
      expect(audit.body.items.map((e: { action: string }) => e.action)).toEqual(['declaration.cancel', 'declaration.file']);
    });
  });

  describe('batch', () => {
    it('stores the valid ones and reports the others by index and field path', async () => {
      const good = exportDeclaration({ number: 'MX-B-1' });
      const res = await as(u.systemMx, 'post', '/api/v1/declarations/batch', {
        declarations: [
          good,
          exportDeclaration({ number: 'MX-B-2', items: [{ hsCode: '280540', netMassKg: -3, valueUsd: 1 }] }),
          good,
          exportDeclaration({ number: 'MX-B-3', country: 'BO', partnerCountry: 'MX' }),
          'not an object',
          exportDeclaration({ number: 'MX-B-1', date: '2026-03-02' }),
          exportDeclaration({ number: 'MX-B-4', partnerCountry: 'XX' }),
        ],
      }).expect(200);
      expect(res.body.results).toEqual([
        { index: 0, status: 'created', id: expect.any(String) },
        { index: 1, status: 'rejected', errors: [{ path: 'items[0].netMassKg', message: 'must be a positive number' }] },
        { index: 2, status: 'duplicate', id: res.body.results[0].id },
        { index: 3, status: 'rejected', errors: [{ path: '', message: expect.stringContaining('BO') }] },
        { index: 4, status: 'rejected', errors: [{ path: '', message: 'must be an object' }] },
        { index: 5, status: 'rejected', errors: [{ path: 'number', message: 'exists with different content' }] },
        { index: 6, status: 'rejected', errors: [{ path: 'partnerCountry', message: expect.any(String) }] },
      ]);
      const stored = await t.db.query(`SELECT number FROM declarations WHERE number LIKE 'MX-B-%' ORDER BY number`);
      expect(stored.rows.map((r) => r.number)).toEqual(['MX-B-1']);
    });

    it('rejects, by index and field, text PostgreSQL cannot store, and stores the rest of the batch with its audit and check job', async () => {
      const res = await as(u.systemMx, 'post', '/api/v1/declarations/batch', {
        declarations: [
          exportDeclaration({ number: 'MX-BN-1', trader: { nationalId: 'MXA-0001', name: 'Minera\u0000del Norte' } }),
          exportDeclaration({ number: 'MX-BN-2', items: [{ hsCode: '280540', description: 'half a pair \ud800', netMassKg: 1, valueUsd: 1 }] }),
          exportDeclaration({ number: 'MX-BN-3', transportDocument: 'ONE\"quote\\and,comma', containers: ['MSCU 123-4', 'ÉÀ 🙂'] }),
        ],
      }).expect(200);
      expect(res.body.results).toEqual([
        { index: 0, status: 'rejected', errors: [{ path: 'trader.name', message: 'must not contain a NUL character or an unpaired surrogate' }] },
        { index: 1, status: 'rejected', errors: [{ path: 'items[0].description', message: 'must not contain a NUL character or an unpaired surrogate' }] },
        { index: 2, status: 'created', id: expect.any(String) },
      ]);
      const id = res.body.results[2].id;
      const stored = await as(u.officerMx, 'get', `/api/v1/declarations/${id}`).expect(200);
      expect(stored.body).toMatchObject({ transportDocument: 'ONE"quote\\and,comma', containers: ['MSCU 123-4', 'ÉÀ 🙂'] });
      expect(await outboxFor(id)).toEqual([`check.${id}.1`]);
      const audit = await as(u.analystMx, 'get', `/api/v1/audit?entity=declaration&entityId=${id}`).expect(200);
      expect(audit.body.items[0].after).toMatchObject({ transportDocument: 'ONE"quote\\and,comma', containers: ['MSCU 123-4', 'ÉÀ 🙂'], source: 'system' });
      // Sent again, the same content is a duplicate, not a conflict: the stored hash is the one computed from the body.
      const again = await as(u.systemMx, 'post', '/api/v1/declarations/batch', {
        declarations: [exportDeclaration({ number: 'MX-BN-3', transportDocument: 'ONE\"quote\\and,comma', containers: ['MSCU 123-4', 'ÉÀ 🙂'] })],
      }).expect(200);
      expect(again.body.results).toEqual([{ index: 0, status: 'duplicate', id }]);
    });

    it('draws a consent in the order of the batch, and counts each declaration against its licence, as one by one', async () => {
      const capped = (await as(u.focalBo, 'post', '/api/v1/consents', { reference: 'BO-PIC-BATCH', type: 'written_consent', exportingCountry: 'MX', importingCountry: 'BO', hsCodes: ['280540'], quantityKg: 1000, purpose: 'allowed_use', validFrom: '2026-01-01', validTo: '2026-12-31' }).expect(201)).body;
      const licenceBefore = (await as(u.focalMx, 'get', `/api/v1/licences/${licenceId}`)).body.usedQuantityKg;
      const draw = (n: number, kg: number) => exportDeclaration({ number: `MX-BD-${n}`, consentReference: 'BO-PIC-BATCH', items: [{ hsCode: '280540', netMassKg: kg, valueUsd: kg * 50 }] });
      const res = await as(u.systemMx, 'post', '/api/v1/declarations/batch', {
        declarations: [draw(1, 400), exportDeclaration({ number: 'MX-BD-2', items: [{ hsCode: '902511', netMassKg: 10, valueUsd: 900 }] }), draw(3, 400), draw(4, 400), draw(5, 100)],
      }).expect(200);
      expect(res.body.results.map((r: { status: string }) => r.status)).toEqual(['created', 'created', 'created', 'created', 'created']);
      const { rows } = await t.db.query(
        `SELECT d.number, g.requested_kg::text AS requested, g.drawn_kg::text AS drawn FROM consent_drawdowns g JOIN declarations d ON d.id = g.declaration_id
          WHERE g.consent_id = $1 ORDER BY d.number`,
        [capped.id],
      );
      expect(rows).toEqual([
        { number: 'MX-BD-1', requested: '400.000', drawn: '400.000' },
        { number: 'MX-BD-3', requested: '400.000', drawn: '400.000' },
        { number: 'MX-BD-4', requested: '400.000', drawn: '200.000' },
        { number: 'MX-BD-5', requested: '100.000', drawn: '0.000' },
      ]);
      expect((await as(u.focalBo, 'get', `/api/v1/consents/${capped.id}`)).body).toMatchObject({ usedQuantityKg: 1000, remainingQuantityKg: 0 });
      // Thermometers are a product: no licence or consent; the mercury counts against the licence in full.
      const stored = await t.db.query(`SELECT number, licence_id, consent_id FROM declarations WHERE number LIKE 'MX-BD-%' ORDER BY number`);
      expect(stored.rows.map((r) => [r.number, r.licence_id, r.consent_id])).toEqual([
        ['MX-BD-1', licenceId, capped.id], ['MX-BD-2', null, null], ['MX-BD-3', licenceId, capped.id], ['MX-BD-4', licenceId, capped.id], ['MX-BD-5', licenceId, capped.id],
      ]);
      expect((await as(u.focalMx, 'get', `/api/v1/licences/${licenceId}`)).body.usedQuantityKg).toBe(licenceBefore + 1300);
      expect((await t.db.query(`SELECT count(*)::int AS n FROM outbox WHERE payload->>'declarationId' = ANY ($1::text[])`, [res.body.results.map((r: { id: string }) => r.id)])).rows[0].n).toBe(5);
    });

    it('refuses more than 1,000 declarations, and an empty batch', async () => {
      await as(u.systemMx, 'post', '/api/v1/declarations/batch', { declarations: Array.from({ length: 1001 }, () => ({})) }).expect(400);
      await as(u.systemMx, 'post', '/api/v1/declarations/batch', { declarations: [] }).expect(400);
      await as(u.systemMx, 'post', '/api/v1/declarations/batch', { items: [] }).expect(400);
    });
  });

  describe('reads', () => {
    it('lists with filters and cursor paging, within the caller\'s countries', async () => {
      const imported = exportDeclaration({ country: 'BO', flow: 'import', number: 'BO-2026-889', date: '2026-03-20', partnerCountry: 'MX', trader: { nationalId: 'BOI-1', name: 'Importadora Andina SRL' }, counterparty: { name: 'Minera del Norte', country: 'MX' }, licenceNumber: undefined, consentReference: undefined });
      await as(u.officerBo, 'post', '/api/v1/declarations', imported).expect(201);
      const mx = await as(u.analystMx, 'get', '/api/v1/declarations?limit=500').expect(200);
      expect(mx.body.items.length).toBeGreaterThan(3);
      expect(mx.body.items.every((d: { country: string }) => d.country === 'MX')).toBe(true);
      const bo = await as(u.officerBo, 'get', '/api/v1/declarations?flow=import&hsCode=2805.40&from=2026-03-01&to=2026-03-31&trader=importadora').expect(200);
      expect(bo.body.items.map((d: { number: string }) => d.number)).toEqual(['BO-2026-889']);
      const page1 = await as(u.officerMx, 'get', '/api/v1/declarations?limit=2').expect(200);
      const page2 = await as(u.officerMx, 'get', `/api/v1/declarations?limit=2&cursor=${page1.body.nextCursor}`).expect(200);
      expect(page2.body.items[0].id).not.toBe(page1.body.items[1].id);
      await as(u.officerBo, 'get', `/api/v1/declarations/${mx.body.items[0].id}`).expect(404);
      await as(u.officerMx, 'get', '/api/v1/declarations?from=2026-13-01').expect(400);
      await as(u.focalMx, 'get', '/api/v1/declarations').expect(403);
    });
  });
});
