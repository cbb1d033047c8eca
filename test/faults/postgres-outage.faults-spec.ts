import { exportDeclaration } from '../support/factories.js';
import { FaultStack, type HgtraceDeployment } from '../support/faults/stack.js';

/**
 * PostgreSQL stopped under a running api and worker: the api answers 503 with the error body of
 * API.md (never a 500, never a hang) and reports itself not ready; once PostgreSQL is back both
 * recover on their own. A batch cut short by the stop leaves nothing half-stored, and sent again it
 * is stored exactly once.
 */
describe('fault: PostgreSQL stopped', () => {
  let stack: FaultStack;
  let app: HgtraceDeployment;
  let officer: string;

  beforeAll(async () => {
    stack = await FaultStack.start();
    app = await stack.deploy();
    await app.startApi();
    await app.startWorker();
    officer = await app.createUser('customs_officer', ['MX']);
  }, 300_000);

  afterAll(() => stack?.close());

  const file = (number: string) => app.request('post', '/api/v1/declarations', exportDeclaration({ number }), { token: officer, timeoutMs: 15_000 });
  const checked = (id: string) =>
    app.eventually(async () => {
      const reply = await app.request('get', `/api/v1/declarations/${id}`, undefined, { token: officer });
      return reply.body.checkStatus === 'checked';
    }, 60_000, `declaration ${id} to be checked`, 250);

  function expectDependencyDown(reply: { status: number; body: any; headers: Headers }): void {
    expect(reply.status).toBe(503);
    expect(reply.body).toEqual({ statusCode: 503, code: 'DEPENDENCY_DOWN', message: expect.any(String), details: expect.any(Array), requestId: expect.any(String) });
    expect(reply.headers.get('retry-after')).toBe('5');
  }

  it('answers 503 while it is down and recovers without a restart of the api or the worker', async () => {
    const before = await file('MX-PG-BEFORE');
    expect(before.status).toBe(201);
    await checked(before.body.id);
    const [api, worker] = [app.api!, app.workers[0]];
    // Declarations whose checks are queued or running when PostgreSQL goes: they fail and are retried.
    const burst = await Promise.all(Array.from({ length: 30 }, (_, i) => file(`MX-PG-BURST-${i}`)));
    expect(burst.map((r) => r.status)).toEqual(burst.map(() => 201));

    await stack.postgres.stop();
    const started = Date.now();
    expectDependencyDown(await app.request('get', `/api/v1/declarations/${before.body.id}`, undefined, { token: officer, timeoutMs: 15_000 }));
    expectDependencyDown(await app.request('get', '/api/v1/declarations?country=MX', undefined, { token: officer, timeoutMs: 15_000 }));
    expectDependencyDown(await file('MX-PG-DURING'));
    const ready = await app.request('get', '/health/ready', undefined, { token: null, timeoutMs: 15_000 });
    expect(ready.status).toBe(503);
    expect(ready.body).toMatchObject({ code: 'DEPENDENCY_DOWN', details: [{ path: 'postgres' }] });
    expect((await app.request('get', '/health/live', undefined, { token: null })).status).toBe(200);
    // Answered promptly: nothing waits for a connection that cannot come.
    expect(Date.now() - started).toBeLessThan(20_000);

    await stack.postgres.start();
    await app.eventually(async () => (await app.request('get', '/health/ready', undefined, { token: null })).status === 200, 60_000, 'the api to be ready again');
    expect((await app.request('get', `/api/v1/declarations/${before.body.id}`, undefined, { token: officer })).status).toBe(200);
    const after = await file('MX-PG-AFTER');
    expect(after.status).toBe(201);
    await checked(after.body.id);
    expect(await app.count(`SELECT count(*) FROM declarations WHERE number = 'MX-PG-DURING'`)).toBe(0);
    for (const reply of burst) await checked(reply.body.id);
    expect(await app.count(`SELECT count(*) FROM outbox WHERE published_at IS NULL`)).toBe(0);
    // The same processes throughout.
    expect([api.running, worker.running]).toEqual([true, true]);
  }, 180_000);

  it('leaves no part of a batch cut short by the stop, and stores it once when it is sent again', async () => {
    const SIZE = 1000;
    const numbers = Array.from({ length: SIZE }, (_, i) => `MX-BATCH-${String(i).padStart(4, '0')}`);
    const batch = { declarations: numbers.map((number, i) => exportDeclaration({ number, transportDocument: `BDOC${i}`, containers: [] })) };
    const stored = () => app.count(`SELECT count(*) FROM declarations WHERE number = ANY ($1)`, [numbers]);

    // Cut short five times, at different points, by a fast shutdown and by a crash (immediate shutdown):
    // where the cut falls (in a query, or between two) decides which error the api sees.
    const cuts = [[100, 'fast'], [300, 'immediate'], [600, 'fast'], [900, 'immediate'], [1200, 'fast']] as const;
    let left = 0;
    for (const [afterMs, mode] of cuts) {
      let answered = false;
      const sent = app.request('post', '/api/v1/declarations/batch', batch, { token: officer, timeoutMs: 120_000 }).finally(() => (answered = true));
      // Stop PostgreSQL once the batch's transaction has been writing for a while, well before it can commit.
      await app.eventually(async () => {
        const { rows } = await app.db.query(
          `SELECT count(*)::int AS n FROM pg_stat_activity
            WHERE application_name = 'hgtrace' AND backend_xid IS NOT NULL AND now() - xact_start > $1 * interval '1 millisecond'`,
          [afterMs],
        );
        return answered || rows[0].n > 0;
      }, 60_000, 'the batch transaction to be writing', 20);
      await stack.postgres.stop(mode);
      const interrupted = await sent;
      await stack.postgres.start();
      left = await app.eventually(async () => stored(), 30_000, 'PostgreSQL to answer the test again');
      process.stdout.write(`  [faults] batch cut ${afterMs} ms in (${mode} stop): answered ${interrupted.status}, left ${left} of ${SIZE} declarations\n`);
      expect([0, SIZE]).toContain(left);
      if (interrupted.status === 200) break;
      expectDependencyDown(interrupted);
      if (left === SIZE) break;
    }

    const retried = await app.eventually(async () => {
      const reply = await app.request('post', '/api/v1/declarations/batch', batch, { token: officer, timeoutMs: 120_000 });
      return reply.status === 503 ? undefined : reply;
    }, 60_000, 'the batch to be accepted again', 500);
    expect(retried.status).toBe(200);
    const expected = left === 0 ? 'created' : 'duplicate';
    expect(retried.body.results.filter((r: { status: string }) => r.status !== expected)).toEqual([]);
    expect(retried.body.results).toHaveLength(SIZE);

    // Sent once more: all duplicates, nothing added.
    const again = await app.request('post', '/api/v1/declarations/batch', batch, { token: officer, timeoutMs: 120_000 });
    expect(again.status).toBe(200);
    expect(again.body.results.every((r: { status: string }) => r.status === 'duplicate')).toBe(true);

    expect(await stored()).toBe(SIZE);
    const ids = (await app.db.query(`SELECT id FROM declarations WHERE number = ANY ($1)`, [numbers])).rows.map((r) => r.id);
    expect(await app.count(`SELECT count(*) FROM declaration_versions WHERE declaration_id = ANY ($1)`, [ids])).toBe(SIZE);
    expect(await app.count(`SELECT count(*) FROM declaration_items WHERE declaration_id = ANY ($1)`, [ids])).toBe(SIZE);
    expect(await app.count(`SELECT count(*) FROM outbox WHERE job_id = ANY ($1)`, [ids.map((id) => `check.${id}.1`)])).toBe(SIZE);
    expect(await app.count(`SELECT count(*) FROM audit_events WHERE action = 'declaration.file' AND entity_id = ANY ($1)`, [ids])).toBe(SIZE);
    // And the worker, through all this, checks them.
    await app.eventually(async () => (await app.count(`SELECT count(*) FROM declarations WHERE number = ANY ($1) AND check_status = 'checked'`, [numbers])) === SIZE, 120_000, 'the batch to be checked', 500);
  }, 300_000);
});
