import { seedShipments } from '../support/faults/dataset.js';
import { FaultStack, type HgtraceDeployment } from '../support/faults/stack.js';

/** Declarations in the run; FAULTS_RUN_DECLARATIONS makes the scenario smaller (or larger). */
const COUNT = Number(process.env.FAULTS_RUN_DECLARATIONS ?? 20_000);
const AS_OF = '2026-12-31';
// A run fails the test when its progress stalls for STALL_MS; the test as a whole is given 100 ms a
// declaration (two runs share the machine with the rest of the suite).
const STALL_MS = 300_000;
const TIMEOUT_MS = 300_000 + COUNT * 100;

interface Run {
  id: string;
  status: string;
  total: number;
  done: number;
  flagsRaised: number;
}

/**
 * A worker SIGKILLed in the middle of a cross-check run. The same generated dataset is copied into two
 * databases; one deployment runs undisturbed, the other loses its worker a third of the way through
 * and gets a new one. Both runs must complete with exactly the same flags and matches.
 */
describe('fault: worker killed during a cross-check run', () => {
  let stack: FaultStack;
  let calm: HgtraceDeployment;
  let killed: HgtraceDeployment;

  beforeAll(async () => {
    stack = await FaultStack.start();
    const seed = await stack.deploy('faults_seed');
    const seeded = Date.now();
    await seedShipments(seed.db, COUNT);
    expect(await seed.count(`SELECT count(*) FROM declarations`)).toBe(COUNT);
    await seed.endPool();
    log(`seeded ${COUNT} declarations in ${Date.now() - seeded} ms`);
    await stack.copyDatabase('faults_seed', 'faults_calm');
    await stack.copyDatabase('faults_seed', 'faults_killed');
    calm = await stack.deploy('faults_calm');
    killed = await stack.deploy('faults_killed');
    await Promise.all([calm.startApi(), killed.startApi()]);
    await Promise.all([calm.startWorker(), killed.startWorker()]);
  }, 180_000);

  afterAll(() => stack?.close());

  const runOf = async (app: HgtraceDeployment, id: string): Promise<Run> => {
    const reply = await app.request<Run>('get', `/api/v1/crosscheck/runs/${id}`);
    if (reply.status !== 200) throw new Error(`GET run answered ${reply.status}: ${JSON.stringify(reply.body)}`);
    return reply.body;
  };
  /** Waits for the run to end, as long as it makes progress. */
  const finished = async (app: HgtraceDeployment, id: string): Promise<Run> => {
    let progress = { done: -1, at: Date.now() };
    for (;;) {
      const run = await runOf(app, id);
      if (run.status === 'completed' || run.status === 'failed') return run;
      if (run.done !== progress.done) progress = { done: run.done, at: Date.now() };
      if (Date.now() - progress.at > STALL_MS) throw new Error(`run ${id} on ${app.database} made no progress for ${STALL_MS} ms: ${JSON.stringify(run)}\n${app.logs().slice(-6000)}`);
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  };
  const flagsOf = async (app: HgtraceDeployment) =>
    (await app.db.query(`SELECT code, subject, holds, status FROM flags ORDER BY code, subject`)).rows;
  const matchesOf = async (app: HgtraceDeployment) =>
    (await app.db.query(`SELECT export_id, import_id, basis FROM matches ORDER BY export_id, import_id`)).rows;

  it(
    'completes after a new worker takes over, with exactly the flags of an undisturbed run',
    async () => {
      const started = Date.now();
      const [calmRun, killedRun] = await Promise.all(
        [calm, killed].map(async (app) => {
          const reply = await app.request('post', '/api/v1/crosscheck/runs', { asOf: AS_OF });
          expect(reply.status).toBe(202);
          return reply.body.id as string;
        }),
      );

      // A run's total counts the declarations (compliance rules) and then the exports (matching).
      await killed.eventually(async () => {
        const run = await runOf(killed, killedRun);
        return run.total > 0 && run.done >= run.total / 3;
      }, TIMEOUT_MS, 'a third of the run', 250);
      const first = killed.workers[0];
      expect(await first.stop('SIGKILL')).toEqual({ code: null, signal: 'SIGKILL' });
      const atKill = await runOf(killed, killedRun);
      expect(atKill.status).toBe('running');
      expect(atKill.total).toBeGreaterThan(COUNT);
      expect(atKill.done).toBeLessThan(atKill.total);
      log(`worker killed at ${atKill.done} of ${atKill.total} after ${Date.now() - started} ms`);

      await killed.startWorker();
      const [calmDone, killedDone] = await Promise.all([finished(calm, calmRun), finished(killed, killedRun)]);
      log(`both runs of ${COUNT} declarations completed ${Date.now() - started} ms after they were requested`);

      expect(calmDone).toMatchObject({ status: 'completed', total: atKill.total, done: atKill.total });
      expect(killedDone).toMatchObject({ status: 'completed', total: atKill.total, done: atKill.total, flagsRaised: calmDone.flagsRaised });
      expect(await killed.count(`SELECT count(*) FROM declarations WHERE check_status <> 'checked'`)).toBe(0);

      const calmFlags = await flagsOf(calm);
      const codes = new Set(calmFlags.map((f) => f.code));
      // The dataset is built to raise these; a run that raised none would compare nothing.
      for (const code of ['LICENCE_MISSING', 'CONSENT_MISSING', 'NO_MATCHING_IMPORT', 'NO_MATCHING_EXPORT', 'QUANTITY_MISMATCH', 'DATE_ANOMALY', 'HS_CODE_MISMATCH']) {
        expect(codes).toContain(code);
      }
      expect(await flagsOf(killed)).toEqual(calmFlags);
      expect(await matchesOf(killed)).toEqual(await matchesOf(calm));
    },
    TIMEOUT_MS + 60_000,
  );
});

function log(message: string): void {
  process.stdout.write(`  [faults] ${message}\n`);
}
