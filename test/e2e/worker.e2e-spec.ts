import { Queue } from 'bullmq';
import { type ChildProcess, spawn } from 'node:child_process';
import { eventually } from '@hgtrace/testing';
import { startTestApp, type TestApp } from '../support/test-app.js';

const WORKER = 'dist/test/support/test-worker.js';

describe('worker: outbox relay, delivery and shutdown', () => {
  let t: TestApp;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    t = await startTestApp();
    await t.db.query(`CREATE TABLE test_job_attempts (key text NOT NULL, pid int NOT NULL, at timestamptz NOT NULL DEFAULT clock_timestamp())`);
    await t.db.query(`CREATE TABLE test_job_effects (key text NOT NULL, pid int NOT NULL)`);
  });
  afterEach(async () => {
    for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await t.db.query(`TRUNCATE test_job_attempts, test_job_effects, outbox, job_inbox`);
    await t.clearRedis();
  });
  afterAll(() => t.close());

  function startWorker(): ChildProcess & { exited: Promise<number | null>; output: () => string } {
    const child = spawn(process.execPath, [WORKER], {
      env: { ...process.env, ...t.env, WORKER_CONCURRENCY: '4', JOB_LOCK_MS: '2000', OUTBOX_POLL_MS: '200', LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout!.on('data', (chunk) => (output += chunk));
    child.stderr!.on('data', (chunk) => (output += chunk));
    children.push(child);
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    return Object.assign(child, { exited, output: () => output });
  }

  const enqueue = (count: number, workMs: number) =>
    t.db.query(
      `INSERT INTO outbox (queue, job_name, job_id, payload)
       SELECT 'platform-test', 'record-effect', 'effect.' || g, jsonb_build_object('key', 'k' || g, 'workMs', $2::int)
         FROM generate_series(1, $1::int) g`,
      [count, workMs],
    );
  const count = async (sql: string) => (await t.db.query(sql)).rows[0].n as number;

  it('publishes outbox rows written while no worker runs, once it starts', async () => {
    await enqueue(25, 0);
    expect(await count(`SELECT count(*)::int AS n FROM outbox WHERE published_at IS NULL`)).toBe(25);
    startWorker();
    await eventually(async () => (await count(`SELECT count(DISTINCT key)::int AS n FROM test_job_effects`)) === 25, 30_000, '25 effects');
    expect(await count(`SELECT count(*)::int AS n FROM test_job_effects`)).toBe(25);
    expect(await count(`SELECT count(*)::int AS n FROM outbox WHERE published_at IS NULL`)).toBe(0);
  });

  it('loses no job and applies none twice when a worker is killed mid-job and another starts', async () => {
    const first = startWorker();
    await enqueue(40, 300);
    await eventually(async () => (await count(`SELECT count(*)::int AS n FROM test_job_effects`)) >= 8, 30_000, 'some effects before the kill');
    first.kill('SIGKILL');
    await first.exited;
    const before = await count(`SELECT count(*)::int AS n FROM test_job_effects`);
    expect(before).toBeLessThan(40);

    startWorker();
    await eventually(async () => (await count(`SELECT count(DISTINCT key)::int AS n FROM test_job_effects`)) === 40, 60_000, 'all 40 effects');
    expect(await count(`SELECT count(*)::int AS n FROM test_job_effects`)).toBe(40);
    // The jobs that were running at the kill were delivered again, and their effect still applied once.
    expect(await count(`SELECT count(*)::int AS n FROM (SELECT key FROM test_job_attempts GROUP BY key HAVING count(*) > 1) redelivered`)).toBeGreaterThan(0);
  });

  it('on SIGTERM finishes the running jobs, exits cleanly, and they are not run again', async () => {
    const worker = startWorker();
    await enqueue(4, 1500);
    await eventually(async () => (await count(`SELECT count(*)::int AS n FROM test_job_attempts`)) === 4, 30_000, 'four running jobs');
    worker.kill('SIGTERM');
    expect(await worker.exited).toBe(0);
    expect(worker.output()).toContain('stopped');
    expect(await count(`SELECT count(*)::int AS n FROM test_job_effects`)).toBe(4);
    // BullMQ holds them as completed, not active: there is nothing a stalled-job check could hand out again.
    const connection = t.redis.duplicate();
    const queue = new Queue('platform-test', { connection, prefix: t.env.QUEUE_PREFIX });
    try {
      expect(await queue.getJobCounts('completed', 'active', 'wait', 'delayed', 'failed')).toEqual({ completed: 4, active: 0, wait: 0, delayed: 0, failed: 0 });
    } finally {
      await queue.close();
      await connection.quit();
    }
  });
});
