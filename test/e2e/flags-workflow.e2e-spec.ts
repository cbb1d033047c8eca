import { CheckService } from '@hgtrace/crosscheck';
import { exportDeclaration } from '../support/factories.js';
import { createUser, type Method, requestAs, startTestApp, type TestApp, type TestUser } from '../support/test-app.js';

/** Two analysts of two countries work one case file; a third country sees nothing of it. */
describe('flag workflow', () => {
  let t: TestApp;
  const u: Record<string, TestUser> = {};
  let flagId: string;
  const as = (user: TestUser | string, method: Method, path: string, body?: object) => requestAs(t, user, method, path, body);
  const read = async (user: TestUser = u.analystMx) => (await as(user, 'get', `/api/v1/flags/${flagId}`).expect(200)).body;

  beforeAll(async () => {
    t = await startTestApp();
    u.analystMx = await createUser(t, 'analyst', ['MX']);
    u.analystPe = await createUser(t, 'analyst', ['PE']);
    u.analystBo = await createUser(t, 'analyst', ['BO']);
    u.officerMx = await createUser(t, 'customs_officer', ['MX']);
    // A mercury export to PE with no consent, checked in-process: one CONSENT_MISSING flag for MX and PE.
    const declaration = (await as(u.officerMx, 'post', '/api/v1/declarations', exportDeclaration({ number: 'MX-CASE-1', partnerCountry: 'PE', counterparty: { name: 'Quimica Lima SAC', country: 'PE' }, consentReference: undefined })).expect(201)).body;
    await t.app.get(CheckService).check(declaration.id, 1);
    const flags = await as(u.analystMx, 'get', '/api/v1/flags?code=CONSENT_MISSING').expect(200);
    flagId = flags.body.items[0].id;
  });
  afterAll(() => t.close());

  it('moves through review to a decision, with assignment, reasons, stale versions refused and a history', async () => {
    const start = await read();
    expect(start).toMatchObject({ status: 'open', countries: ['MX', 'PE'], assigneeId: null });
    const reviewing = await as(u.analystMx, 'patch', `/api/v1/flags/${flagId}`, { version: start.version, status: 'in_review', assigneeId: u.analystPe.id }).expect(200);
    expect(reviewing.body).toMatchObject({ status: 'in_review', assigneeId: u.analystPe.id, version: start.version + 1 });

    const stale = await as(u.analystPe, 'patch', `/api/v1/flags/${flagId}`, { version: start.version, status: 'confirmed', reason: 'late' }).expect(409);
    expect(stale.body.code).toBe('STALE_VERSION');
    const noReason = await as(u.analystPe, 'patch', `/api/v1/flags/${flagId}`, { version: start.version + 1, status: 'dismissed' }).expect(400);
    expect(noReason.body.details).toEqual([{ path: 'reason', message: 'is required to dismiss a flag' }]);

    const confirmed = await as(u.analystPe, 'patch', `/api/v1/flags/${flagId}`, { version: start.version + 1, status: 'confirmed', reason: 'No consent was ever requested from PE' }).expect(200);
    expect(confirmed.body.status).toBe('confirmed');
    await as(u.analystPe, 'patch', `/api/v1/flags/${flagId}`, { version: confirmed.body.version, status: 'in_review' }).expect(422);
    const reopened = await as(u.analystMx, 'patch', `/api/v1/flags/${flagId}`, { version: confirmed.body.version, status: 'open', reason: 'New documents from the exporter' }).expect(200);
    expect(reopened.body.history.map((h: { action: string; from: string | null; to: string | null; actor: string }) => [h.action, h.from, h.to, h.actor])).toEqual([
      ['raised', null, 'open', 'crosscheck'],
      ['status', 'open', 'in_review', u.analystMx.email],
      ['assigned', null, null, u.analystMx.email],
      ['status', 'in_review', 'confirmed', u.analystPe.email],
      ['reopened', 'confirmed', 'open', u.analystMx.email],
    ]);
    const audit = await as(u.analystPe, 'get', `/api/v1/audit?entity=flag&entityId=${flagId}`).expect(200);
    expect(audit.body.items).toHaveLength(3);
  });

  it('refuses one of two analysts changing the same version at once', async () => {
    const { version } = await read();
    const results = await Promise.all([
      as(u.analystMx, 'patch', `/api/v1/flags/${flagId}`, { version, status: 'in_review' }),
      as(u.analystPe, 'patch', `/api/v1/flags/${flagId}`, { version, status: 'dismissed', reason: 'duplicate case' }),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
  });

  it('assigns only analysts who can see the flag, and lets the involved countries comment', async () => {
    const { version } = await read();
    await as(u.analystMx, 'patch', `/api/v1/flags/${flagId}`, { version, assigneeId: u.analystBo.id }).expect(400);
    await as(u.analystMx, 'patch', `/api/v1/flags/${flagId}`, { version, assigneeId: u.officerMx.id }).expect(400);
    await as(u.analystMx, 'patch', `/api/v1/flags/${flagId}`, { version }).expect(400);
    await as(u.analystMx, 'patch', `/api/v1/flags/${flagId}`, { version, status: 'open', extra: 1 }).expect(400);
    const comment = await as(u.officerMx, 'post', `/api/v1/flags/${flagId}/comments`, { text: 'Exporter says the PE consent is on its way' }).expect(201);
    expect(comment.body).toMatchObject({ author: u.officerMx.email, text: 'Exporter says the PE consent is on its way' });
    await as(u.officerMx, 'post', `/api/v1/flags/${flagId}/comments`, { text: '' }).expect(400);
    expect((await read(u.analystPe)).comments.map((c: { text: string }) => c.text)).toEqual(['Exporter says the PE consent is on its way']);
    await as(u.officerMx, 'patch', `/api/v1/flags/${flagId}`, { version, status: 'in_review' }).expect(403);
  });

  it('shows nothing of the case to a third country', async () => {
    await as(u.analystBo, 'get', `/api/v1/flags/${flagId}`).expect(404);
    await as(u.analystBo, 'patch', `/api/v1/flags/${flagId}`, { version: 1, status: 'in_review' }).expect(404);
    await as(u.analystBo, 'post', `/api/v1/flags/${flagId}/comments`, { text: 'hello' }).expect(404);
    expect((await as(u.analystBo, 'get', '/api/v1/flags').expect(200)).body.items).toEqual([]);
    expect((await as(u.analystBo, 'get', '/api/v1/flags/summary').expect(200)).body).toEqual({ total: 0, byCode: {}, bySeverity: {}, byStatus: {} });
  });

  it('filters by free text and assignee, and counts for a dashboard', async () => {
    expect((await as(u.analystPe, 'get', '/api/v1/flags?q=MX-CASE').expect(200)).body.items.map((f: { id: string }) => f.id)).toEqual([flagId]);
    expect((await as(u.analystPe, 'get', '/api/v1/flags?q=quimica%20lima').expect(200)).body.items).toHaveLength(1);
    expect((await as(u.analystPe, 'get', '/api/v1/flags?q=nothing-like-it').expect(200)).body.items).toEqual([]);
    expect((await as(u.analystPe, 'get', `/api/v1/flags?assignee=${u.analystPe.id}`).expect(200)).body.items).toHaveLength(1);
    expect((await as(u.analystPe, 'get', '/api/v1/flags?assignee=none').expect(200)).body.items).toEqual([]);
    await as(u.analystPe, 'get', '/api/v1/flags?assignee=someone').expect(400);
    // MX also sees its own LICENCE_MISSING (the exporter is not registered); PE only the shared case.
    const mx = (await as(u.analystMx, 'get', '/api/v1/flags/summary').expect(200)).body;
    expect(mx).toEqual({ total: 2, byCode: { CONSENT_MISSING: 1, LICENCE_MISSING: 1 }, bySeverity: { high: 2 }, byStatus: expect.any(Object) });
    const pe = (await as(u.analystPe, 'get', '/api/v1/flags/summary?code=CONSENT_MISSING').expect(200)).body;
    expect(pe).toMatchObject({ total: 1, byCode: { CONSENT_MISSING: 1 } });
  });
});
