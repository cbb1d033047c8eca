import type { Queue } from 'bullmq';
import { seedShipments } from '../support/faults/dataset.js';
import { FaultStack, type HgtraceDeployment } from '../support/faults/stack.js';

/**
 * SIGTERM to a worker in the middle of a long job (a cross-check run): the worker takes no new jobs,
 * lets the run finish, exits 0, and the job is not delivered again to the worker that comes next.
 */
describe('fault: worker stopped with SIGTERM during a job', () => {
  let stack: FaultStack;
  let app: HgtraceDeployment;
  let runs: Queue;

  beforeAll(async () => {
    stack = await FaultStack.start();
    app = await stack.deploy();
    await seedShipments(app.db, 600);
    await app.startApi();
    runs = app.queue('runs');
  }, 300_000);

  afterAll(() => stack?.close());

  const runOf = async (id: string) => (await app.request('get', `/api/v1/crosscheck/runs/${id}`)).body;

  it('finishes the running job, exits 0, and the job is not run again', async () => {
    // One export's pair-check lock is held here, so that the run stops under way in its pair phase
    // (a run of 600 declarations is otherwise over between two looks at its progress) until the
    // worker has been told to stop.
    const holder = await app.db.connect();
    const [{ id: held }] = (await holder.query(`SELECT id FROM declarations WHERE flow = 'export' ORDER BY date, id LIMIT 1`)).rows;
    await holder.query(`SELECT pg_advisory_lock(hashtextextended('export:' || $1, 0))`, [held]);
    const worker = await app.startWorker({ env: { SHUTDOWN_TIMEOUT_MS: '120000' } });
    const { body } = await app.request('post', '/api/v1/crosscheck/runs', { asOf: '2026-12-31' });
    const runId: string = body.id;
    await app.eventually(async () => {
      const run = await runOf(runId);
      return run.status === 'running' && run.phase === 'pairs' && run.done > 0 && run.done < run.total;
    }, 60_000, 'the run to be under way', 50);

    const stopping = Date.now();
    const stopped = worker.stop('SIGTERM', 120_000);
    await app.eventually(async () => worker.log().includes('SIGTERM: finishing running jobs, then stopping'), 30_000, 'the worker to be told to stop', 50);
    await holder.query(`SELECT pg_advisory_unlock(hashtextextended('export:' || $1, 0))`, [held]);
    holder.release();
    const exit = await stopped;
    expect(exit).toEqual({ code: 0, signal: null });
    expect(worker.log()).toContain('SIGTERM: finishing running jobs, then stopping');
    expect(worker.log()).toContain('"msg":"stopped"');
    process.stdout.write(`  [faults] the worker finished the run and exited ${Date.now() - stopping} ms after SIGTERM\n`);

    // The run was finished by that worker, before it exited.
    const finished = await runOf(runId);
    // 600 declarations by the compliance rules, then their exports by matching.
    expect(finished).toMatchObject({ status: 'completed', done: finished.total });
    expect(finished.total).toBeGreaterThan(600);
    const job = await runs.getJob(`run.${runId}`);
    expect(await job!.getState()).toBe('completed');
    expect(job).toMatchObject({ attemptsStarted: 1, stalledCounter: 0 });
    // (The scheduled sweep waits as a delayed job: it is not counted.)
    expect(await runs.getJobCounts('active', 'wait', 'failed')).toEqual({ active: 0, wait: 0, failed: 0 });

    // The next worker runs new jobs, and not that one again.
    await app.startWorker();
    const next = (await app.request('post', '/api/v1/crosscheck/runs', { asOf: '2026-12-31', countries: ['MX'] })).body.id;
    await app.eventually(async () => (await runOf(next)).status === 'completed', 120_000, 'a second run on the next worker', 250);
    const again = await runs.getJob(`run.${runId}`);
    expect(again).toMatchObject({ attemptsStarted: 1, stalledCounter: 0, finishedOn: job!.finishedOn });
    expect((await runOf(runId)).finishedAt).toBe(finished.finishedAt);
  }, 240_000);
});
