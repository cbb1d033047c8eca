import type { DataSource } from 'typeorm';
import { getDataSourceToken } from '@nestjs/typeorm';
import { ConsentsService } from '@hgtrace/consents';
import { randomUUID } from 'node:crypto';
import { type Method, type TestApp, type TestUser, createUser, requestAs, startTestApp } from '../support/test-app.js';


describe('consents (PIC notices)', () => {
  let t: TestApp;
  const u: Record<string, TestUser> = {};
  let exporter: { id: string };
  let importer: { id: string };

  const as = (user: TestUser | string, method: Method, path: string, body?: object) => requestAs(t, user, method, path, body);
  const consent = (change: object = {}) => ({
    reference: `BO-PIC-${randomUUID().slice(0, 8)}`,
    type: 'written_consent',
    exportingCountry: 'MX',
    importingCountry: 'BO',
    hsCodes: ['280540'],
    quantityKg: 3450,
    purpose: 'allowed_use',
    validFrom: '2026-01-01',
    validTo: '2026-12-31',
    ...change,
  });

  beforeAll(async () => {
    t = await startTestApp();
    u.focalMx = await createUser(t, 'focal_point', ['MX']);
    u.focalBo = await createUser(t, 'focal_point', ['BO']);
    u.focalPe = await createUser(t, 'focal_point', ['PE']);
    u.officerMx = await createUser(t, 'customs_officer', ['MX']);
    u.officerBo = await createUser(t, 'customs_officer', ['BO']);
    u.officerPe = await createUser(t, 'customs_officer', ['PE']);
    u.analystPe = await createUser(t, 'analyst', ['PE']);
    u.systemBo = await createUser(t, 'system', ['BO']);
    exporter = (await as(u.focalMx, 'post', '/api/v1/traders', { country: 'MX', nationalId: 'EXP-1', name: 'Minera del Norte SA de CV' }).expect(201)).body;
    importer = (await as(u.focalBo, 'post', '/api/v1/traders', { country: 'BO', nationalId: 'IMP-1', name: 'Importadora Andina SRL' }).expect(201)).body;
  });
  afterAll(() => t.close());

  it('records a written consent issued by the importing country, with its quantities', async () => {
    const res = await as(u.focalBo, 'post', '/api/v1/consents', consent({ reference: 'BO-PIC-2026-007', exporterId: exporter.id, importerId: importer.id, conditions: 'Dental amalgam only' })).expect(201);
    expect(res.body).toMatchObject({
      reference: 'BO-PIC-2026-007', type: 'written_consent', issuingCountry: 'BO', exportingCountry: 'MX', importingCountry: 'BO',
      exporterId: exporter.id, importerId: importer.id, hsCodes: ['280540'], quantityKg: 3450, usedQuantityKg: 0, remainingQuantityKg: 3450,
      purpose: 'allowed_use', nonPartyCertification: false, status: 'active', withdrawnReason: null,
    });
  });

  it('lets the exporting country record an export notification, and no one else', async () => {
    await as(u.focalMx, 'post', '/api/v1/consents', consent({ type: 'export_notification', hsCodes: ['285210'] })).expect(201);
    await as(u.focalBo, 'post', '/api/v1/consents', consent({ type: 'export_notification' })).expect(403);
    await as(u.focalMx, 'post', '/api/v1/consents', consent({ type: 'written_consent' })).expect(403);
    await as(u.focalMx, 'post', '/api/v1/consents', consent({ type: 'general_notification' })).expect(403);
    await as(u.officerBo, 'post', '/api/v1/consents', consent()).expect(403);
    await as(u.systemBo, 'post', '/api/v1/consents', consent()).expect(403);
  });

  it.each([
    ['an unknown country', { exportingCountry: 'ZZ' }, 400, 'exportingCountry'],
    ['the same country on both sides', { exportingCountry: 'BO' }, 400, 'importingCountry'],
    ['a negative quantity', { quantityKg: -1 }, 400, 'quantityKg'],
    ['a zero quantity', { quantityKg: 0 }, 400, 'quantityKg'],
    ['validTo before validFrom', { validFrom: '2026-06-01', validTo: '2026-05-31' }, 400, 'validTo'],
    ['an HS code that is not 6 to 10 digits', { hsCodes: ['28054'] }, 400, 'hsCodes'],
    ['an unknown purpose', { purpose: 'mining' }, 400, 'purpose'],
    ['an unknown type', { type: 'verbal_consent' }, 400, 'type'],
    ['an exporter of the wrong country', { exporterId: 'importer' }, 400, 'exporterId'],
    ['an unknown importer', { importerId: '1b2c3d4e-0000-4000-8000-000000000000' }, 404, 'importerId'],
    ['a duplicate reference', { reference: 'BO-PIC-2026-007' }, 409, 'reference'],
    ['usedQuantityKg (mass assignment)', { usedQuantityKg: 0 }, 400, 'usedQuantityKg'],
    ['a status (mass assignment)', { status: 'withdrawn' }, 400, 'status'],
  ])('refuses %s', async (_, change, status, path) => {
    const body = consent(change);
    if ((change as { exporterId?: string }).exporterId === 'importer') (body as { exporterId?: string }).exporterId = importer.id;
    const before = (await t.db.query(`SELECT count(*)::int AS n FROM consents`)).rows[0].n;
    const res = await as(u.focalBo, 'post', '/api/v1/consents', body).expect(status);
    expect(res.body.details.map((d: { path: string }) => d.path)).toContain(path);
    expect((await t.db.query(`SELECT count(*)::int AS n FROM consents`)).rows[0].n).toBe(before);
  });

  it('is visible to both countries of the pair, and to no third country', async () => {
    const created = (await as(u.focalBo, 'post', '/api/v1/consents', consent()).expect(201)).body;
    for (const user of [u.officerMx, u.officerBo, u.focalMx, u.focalBo]) await as(user, 'get', `/api/v1/consents/${created.id}`).expect(200);
    for (const user of [u.officerPe, u.focalPe, u.analystPe]) await as(user, 'get', `/api/v1/consents/${created.id}`).expect(404);
    const third = await as(u.officerPe, 'get', '/api/v1/consents').expect(200);
    expect(third.body.items).toEqual([]);
    const mx = await as(u.officerMx, 'get', '/api/v1/consents?importingCountry=BO&status=active').expect(200);
    expect(mx.body.items.map((c: { id: string }) => c.id)).toContain(created.id);
  });

  it('answers the border lookup: a consent by reference with its status on a date', async () => {
    await as(u.focalBo, 'post', '/api/v1/consents', consent({ reference: 'BO-PIC-LOOKUP', validFrom: '2026-02-01', validTo: '2026-02-28' })).expect(201);
    const inside = await as(u.officerMx, 'get', '/api/v1/consents?reference=BO-PIC-LOOKUP&date=2026-02-28').expect(200);
    expect(inside.body.items[0].statusOn).toEqual({ date: '2026-02-28', status: 'active', valid: true });
    const after = await as(u.officerMx, 'get', '/api/v1/consents?reference=BO-PIC-LOOKUP&date=2026-03-01').expect(200);
    expect(after.body.items[0].statusOn).toEqual({ date: '2026-03-01', status: 'expired', valid: false });
    const before = await as(u.officerMx, 'get', '/api/v1/consents?reference=BO-PIC-LOOKUP&date=2026-01-31').expect(200);
    expect(before.body.items[0].statusOn.status).toBe('not_yet_valid');
  });

  it('is withdrawn by its issuing country only, with a reason, once', async () => {
    const created = (await as(u.focalBo, 'post', '/api/v1/consents', consent()).expect(201)).body;
    await as(u.focalMx, 'post', `/api/v1/consents/${created.id}/withdraw`, { reason: 'not the issuer' }).expect(403);
    await as(u.focalPe, 'post', `/api/v1/consents/${created.id}/withdraw`, { reason: 'not involved' }).expect(404);
    await as(u.focalBo, 'post', `/api/v1/consents/${created.id}/withdraw`, {}).expect(400);
    const withdrawn = await as(u.focalBo, 'post', `/api/v1/consents/${created.id}/withdraw`, { reason: 'Importer licence revoked' }).expect(200);
    expect(withdrawn.body).toMatchObject({ status: 'withdrawn', withdrawnReason: 'Importer licence revoked', statusOn: { status: 'withdrawn', valid: false } });
    await as(u.focalBo, 'post', `/api/v1/consents/${created.id}/withdraw`, { reason: 'twice' }).expect(422);
    const audit = await t.db.query(`SELECT action, after FROM audit_events WHERE entity = 'consent' AND entity_id = $1 ORDER BY id`, [created.id]);
    expect(audit.rows.map((r) => r.action)).toEqual(['consent.issue', 'consent.withdraw']);
  });

  describe('drawdown', () => {
    const drawing = () => t.app.get(ConsentsService);
    const dataSource = () => t.app.get<DataSource>(getDataSourceToken());

    it('never draws more than the consent holds, whatever arrives at once', async () => {
      const created = (await as(u.focalBo, 'post', '/api/v1/consents', consent({ quantityKg: 1000 })).expect(201)).body;
      // 40 declarations of 100 kg land together on a 1,000 kg consent, each in its own transaction.
      const results = await Promise.all(
        Array.from({ length: 40 }, () => dataSource().transaction((manager) => drawing().drawDown(manager, created.id, randomUUID(), 100))),
      );
      const drawn = results.reduce((sum, r) => sum + r.drawnKg, 0);
      const excess = results.reduce((sum, r) => sum + r.excessKg, 0);
      expect(drawn).toBe(1000);
      expect(excess).toBe(3000);
      const after = await as(u.officerMx, 'get', `/api/v1/consents/${created.id}`).expect(200);
      expect(after.body).toMatchObject({ quantityKg: 1000, usedQuantityKg: 1000, remainingQuantityKg: 0 });
      const { rows } = await t.db.query(`SELECT sum(drawn_kg)::text AS s FROM consent_drawdowns WHERE consent_id = $1`, [created.id]);
      expect(rows[0].s).toBe('1000.000');
    });

    it('takes exactly what is left, draws once per declaration, and gives back on release', async () => {
      const created = (await as(u.focalBo, 'post', '/api/v1/consents', consent({ quantityKg: 500.5 })).expect(201)).body;
      const [a, b] = [randomUUID(), randomUUID()];
      const draw = (declaration: string, kg: number) => dataSource().transaction((m) => drawing().drawDown(m, created.id, declaration, kg));
      expect(await draw(a, 300)).toEqual({ requestedKg: 300, drawnKg: 300, excessKg: 0 });
      expect(await draw(b, 200.5)).toEqual({ requestedKg: 200.5, drawnKg: 200.5, excessKg: 0 });
      // The same declaration again (an amendment to 250 kg) replaces its share instead of adding to it.
      expect(await draw(a, 250)).toEqual({ requestedKg: 250, drawnKg: 250, excessKg: 0 });
      expect(await draw(a, 350)).toEqual({ requestedKg: 350, drawnKg: 300, excessKg: 50 });
      expect((await as(u.officerBo, 'get', `/api/v1/consents/${created.id}`)).body.remainingQuantityKg).toBe(0);
      expect(await dataSource().transaction((m) => drawing().release(m, created.id, a))).toBe(300);
      expect((await as(u.officerBo, 'get', `/api/v1/consents/${created.id}`)).body).toMatchObject({ usedQuantityKg: 200.5, remainingQuantityKg: 300 });
      expect(await dataSource().transaction((m) => drawing().release(m, created.id, a))).toBe(0);
    });

    it('draws without limit from a consent without a quantity', async () => {
      const created = (await as(u.focalBo, 'post', '/api/v1/consents', consent({ quantityKg: undefined })).expect(201)).body;
      expect(await dataSource().transaction((m) => drawing().drawDown(m, created.id, randomUUID(), 99999))).toMatchObject({ drawnKg: 99999, excessKg: 0 });
      expect((await as(u.officerBo, 'get', `/api/v1/consents/${created.id}`)).body).toMatchObject({ quantityKg: null, usedQuantityKg: 99999, remainingQuantityKg: null });
    });
  });
});
