import type { Queue } from 'bullmq';
import { exportDeclaration } from '../support/factories.js';
import { FaultStack, type HgtraceDeployment } from '../support/faults/stack.js';

/**
 * Redis stopped while declarations keep arriving. The api keeps storing them (the job waits in the
 * outbox table); once Redis is back the relay publishes the backlog and every declaration is
 * checked, each by one job that ran once. Redis keeps its data over the restart with the append-only
 * file, as docker/compose.yaml runs it.
 */
describe('fault: Redis stopped while declarations arrive', () => {
  let stack: FaultStack;
  let app: HgtraceDeployment;
  let officer: string;
  let checks: Queue;

  beforeAll(async () => {
    stack = await FaultStack.start({ redis: { appendOnly: true } });
    app = await stack.deploy();
    await app.startApi();
    await app.startWorker();
    officer = await app.createUser('customs_officer', ['MX']);
    checks = app.queue('crosscheck');
  }, 300_000);

  afterAll(() => stack?.close());

  it('answers 201 throughout, then checks every declaration once', async () => {
    type Phase = 'before' | 'down' | 'after';
    let phase: Phase = 'before';
    const filed: { number: string; phase: Phase; status: number; id?: string }[] = [];
    let sending = true;
    // A customs system filing declarations one after another, whatever happens to Redis.
    const sender = (async () => {
      for (let i = 1; sending; i++) {
        const number = `MX-REDIS-${String(i).padStart(4, '0')}`;
        const at = phase;
        const reply = await app.request('post', '/api/v1/declarations', exportDeclaration({ number, transportDocument: `RDOC${i}` }), { token: officer, timeoutMs: 15_000 });
        filed.push({ number, phase: at, status: reply.status, id: reply.body?.id });
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })();
    const inPhase = (p: Phase) => filed.filter((f) => f.phase === p).length;

    try {
      await app.eventually(async () => inPhase('before') >= 10 && (await app.count(`SELECT count(*) FROM declarations WHERE check_status = 'checked'`)) >= 5, 60_000, 'declarations checked before the outage');
      await stack.redis.stop();
      phase = 'down';
      await app.eventually(async () => inPhase('down') >= 25, 60_000, '25 declarations filed while Redis is down');
      // They are stored, their jobs waiting in PostgreSQL; the api says it is not ready.
      expect(await app.count(`SELECT count(*) FROM outbox WHERE published_at IS NULL`)).toBeGreaterThan(0);
      const ready = await app.request('get', '/health/ready', undefined, { token: null, timeoutMs: 10_000 });
      expect(ready.status).toBe(503);
      expect(ready.body).toMatchObject({ statusCode: 503, code: 'DEPENDENCY_DOWN', details: [{ path: 'redis' }] });
      // Logging in needs no Redis either (login attempts are counted in memory meanwhile).
      expect(await app.login('customs_officer.mx@hgtrace.test', 'a-password-for-fault-tests')).toEqual(expect.any(String));

      await stack.redis.start();
      phase = 'after';
      await app.eventually(async () => inPhase('after') >= 10, 60_000, '10 declarations filed after Redis is back');
    } finally {
      sending = false;
      await sender;
    }

    expect(filed.filter((f) => f.status !== 201)).toEqual([]);
    const ids = filed.map((f) => f.id!);
    process.stdout.write(`  [faults] filed ${inPhase('before')} before, ${inPhase('down')} during and ${inPhase('after')} after the Redis outage\n`);

    // Every declaration is checked, as the api reports it.
    await app.eventually(async () => (await app.count(`SELECT count(*) FROM declarations WHERE check_status <> 'checked'`)) === 0, 60_000, 'every declaration checked', 250);
    for (const f of filed) {
      const reply = await app.request('get', `/api/v1/declarations/${f.id}`, undefined, { token: officer });
      expect([f.number, reply.body.checkStatus]).toEqual([f.number, 'checked']);
    }

    // One outbox row per declaration, published once; one job each, completed, none failed.
    const { rows: outbox } = await app.db.query(`SELECT job_id, attempts, published_at IS NOT NULL AS published FROM outbox WHERE job_name = 'check-declaration' ORDER BY job_id`);
    expect(outbox).toEqual(ids.map((id) => ({ job_id: `check.${id}.1`, attempts: 1, published: true })).sort((a, b) => a.job_id.localeCompare(b.job_id)));
    // A job commits its declaration as checked a moment before BullMQ records it completed, and a job
    // cut off by the outage stays active until its lock (2 s here) lapses and it is run again: wait
    // for the queue to settle, then expect every job completed and none failed.
    const counts = () => checks.getJobCounts('completed', 'failed', 'active', 'wait', 'delayed');
    await app.eventually(async () => { const c = await counts(); return c.active + c.wait + c.delayed === 0 && c; }, 30_000, 'the queue settled', 250);
    expect(await counts()).toEqual({ completed: ids.length, failed: 0, active: 0, wait: 0, delayed: 0 });
    // Jobs that entered Redis after the outage ran exactly once. (A job running at the moment Redis
    // went away may be delivered again, at least once being BullMQ's promise; the check is idempotent.)
    for (const f of filed.filter((x) => x.phase !== 'before')) {
      const job = await checks.getJob(`check.${f.id}.1`);
      expect([f.number, job?.attemptsStarted, job?.finishedOn !== undefined]).toEqual([f.number, 1, true]);
    }
    // Each declaration's flags were raised once, whatever the deliveries.
    expect((await app.db.query(`SELECT flag_id FROM flag_history WHERE action = 'raised' GROUP BY flag_id HAVING count(*) > 1`)).rows).toEqual([]);
    expect(await app.count(`SELECT count(DISTINCT f.declaration_ids[1]) FROM flags f`)).toBe(ids.length);
  }, 240_000);
});
