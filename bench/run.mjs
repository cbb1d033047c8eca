#!/usr/bin/env node
// hgtrace benchmark: `npm run bench -- --declarations 1000000`. See bench/README.md.

import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
/** The node flags `npm run start:worker` runs the worker with (its heap bound): the bench's workers run as deployed. */
const WORKER_NODE_FLAGS = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).scripts['start:worker'].split(/\s+/).filter((word) => word.startsWith('--'));
process.chdir(root);

const { values: args } = parseArgs({
  options: {
    declarations: { type: 'string', default: '100000' },
    seed: { type: 'string', default: '42' },
    'csv-rows': { type: 'string' },
    'batch-declarations': { type: 'string' },
    'batch-concurrency': { type: 'string', default: '4' },
    'latency-rate': { type: 'string', default: '500' },
    'latency-seconds': { type: 'string', default: '20' },
    'latency-drain-seconds': { type: 'string', default: '15' },
    'throughput-declarations': { type: 'string' },
    'throughput-timeout': { type: 'string', default: '30' },
    'verify-seconds': { type: 'string', default: '10' },
    'verify-warmup-seconds': { type: 'string', default: '3' },
    'run-timeout': { type: 'string' },
    'import-timeout': { type: 'string', default: '180' },
    'sql-timeout': { type: 'string' },
    only: { type: 'string' },
    'no-build': { type: 'boolean', default: false },
    'keep-db': { type: 'boolean', default: false },
    profile: { type: 'string' },
    'log-slow-ms': { type: 'string' },
    'pg-setting': { type: 'string', multiple: true },
    help: { type: 'boolean', default: false },
  },
});
if (args.help) {
  console.log('usage: npm run bench -- [--declarations N] [--only run,csv,batch,verify,latency,throughput] [--no-build] [--keep-db]  (all options: bench/README.md)');
  process.exit(0);
}

const n = Number(args.declarations);
const int = (v, fallback) => (v === undefined ? fallback : Number(v));
const opts = {
  declarations: n,
  seed: int(args.seed),
  csvRows: int(args['csv-rows'], Math.min(n, 50_000)),
  batchDeclarations: int(args['batch-declarations'], Math.min(Math.round(n / 4), 25_000)),
  batchConcurrency: int(args['batch-concurrency']),
  latencyRate: int(args['latency-rate']),
  latencySeconds: int(args['latency-seconds']),
  latencyDrainSeconds: int(args['latency-drain-seconds']),
  throughputDeclarations: int(args['throughput-declarations'], Math.max(1000, Math.min(10_000, Math.round(n / 40)))),
  throughputTimeout: int(args['throughput-timeout']),
  verifySeconds: int(args['verify-seconds']),
  verifyWarmupSeconds: int(args['verify-warmup-seconds']),
  // The target is 2 minutes for a million declarations; the bench waits five times that (scaled), at least a minute.
  runTimeout: int(args['run-timeout'], Math.max(60, Math.round((600 * n) / 1e6))),
  importTimeout: int(args['import-timeout']),
  sqlTimeout: 0,
  only: args.only ? new Set(args.only.split(',')) : null,
};
// The plain SQL baseline is stopped where the run is, unless told otherwise.
opts.sqlTimeout = int(args['sql-timeout'], opts.runTimeout);
if (!Number.isInteger(n) || n < 1000) {
  console.error('--declarations must be a whole number of at least 1000');
  process.exit(2);
}

const log = (message) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);

if (!args['no-build']) {
  log('building (npm run build)');
  execFileSync('npm', ['run', '-s', 'build'], { stdio: 'inherit' });
}

// Imported after the build: the loader reads the compiled content hash from dist/.
const pg = (await import('pg')).default;
const { Queue } = await import('bullmq');
const { Redis } = await import('ioredis');
const { buildWorld } = await import('./lib/world.mjs');
const { seedRegistries, recomputeRegistryTotals } = await import('./lib/load.mjs');
const { Api } = await import('./lib/api.mjs');
const processes = await import('./lib/processes.mjs');
const measures = await import('./lib/measures.mjs');
const { report } = await import('./lib/report.mjs');

const DATABASE_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/hgtrace_bench';
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/12';
const QUEUE_PREFIX = 'hgbench';
const dbName = decodeURIComponent(new URL(DATABASE_URL).pathname.slice(1));
if (!/bench/.test(dbName)) {
  console.error(`refusing to drop and recreate ${dbName}: the bench database's name must contain "bench"`);
  process.exit(2);
}
const ADMIN = { email: 'bench-admin@hgtrace.local', password: 'bench-admin-password' };

const ctx = { opts, tmp: mkdtempSync(join(tmpdir(), 'hgbench-run-')) };
const results = { startedAt: new Date().toISOString(), options: { ...opts, only: args.only ?? null }, machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, memoryGb: Math.round(totalmem() / 2 ** 30), node: process.version, loadAverageAtStart: loadavg() } };

let cleaning;
async function cleanup() {
  cleaning ??= (async () => {
    await processes.stopAll().catch(() => undefined);
    await ctx.checkQueue?.close().catch(() => undefined);
    await ctx.db?.end().catch(() => undefined);
    if (ctx.redis) {
      await clearPrefix(ctx.redis, QUEUE_PREFIX).catch(() => undefined);
      ctx.redis.disconnect();
    }
    if (!args['keep-db']) await dropDatabase().catch((error) => log(`could not drop ${dbName}: ${error.message}`));
    rmSync(ctx.tmp, { recursive: true, force: true });
  })();
  return cleaning;
}
process.on('unhandledRejection', (error) => {
  console.error(`bench failed: ${error?.stack ?? error}`);
  cleanup().finally(() => process.exit(1));
});
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    log(`${signal}: cleaning up`);
    cleanup().finally(() => process.exit(130));
  });
}

async function adminClient() {
  const url = new URL(DATABASE_URL);
  url.pathname = '/postgres';
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  return client;
}

async function dropDatabase() {
  const client = await adminClient();
  try {
    await client.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

async function clearPrefix(redis, prefix) {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length) await redis.del(...keys);
  } while (cursor !== '0');
}

const wanted = (name) => !opts.only || opts.only.has(name);

async function main() {
  const env = {
    NODE_ENV: 'development',
    DATABASE_URL,
    REDIS_URL,
    QUEUE_PREFIX,
    LOG_LEVEL: 'warn',
    HGTRACE_ADMIN_EMAIL: ADMIN.email,
    HGTRACE_ADMIN_PASSWORD: ADMIN.password,
    JWT_TTL_SECONDS: '86400',
    UPLOAD_LIMIT_BYTES: String(1024 * 1024 * 1024),
    BODY_LIMIT_BYTES: String(64 * 1024 * 1024),
    LOGIN_RATE_LIMIT_PER_MINUTE: '1000',
  };
  log(`database ${dbName} (dropped and recreated), Redis ${REDIS_URL} prefix ${QUEUE_PREFIX}`);
  await dropDatabase();
  ctx.redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  await clearPrefix(ctx.redis, QUEUE_PREFIX);
  execFileSync(process.execPath, ['dist/apps/cli/src/main.js', 'migrate'], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'inherit'] });

  ctx.db = new pg.Client({ connectionString: DATABASE_URL, application_name: 'hgbench' });
  await ctx.db.connect();
  // --log-slow-ms N: PostgreSQL logs the statements of the bench database that take N ms or more (in its server log).
  if (args['log-slow-ms'] !== undefined) await ctx.db.query(`ALTER DATABASE "${dbName}" SET log_min_duration_statement = ${Number(args['log-slow-ms'])}`);
  // --pg-setting name=value (repeatable): a PostgreSQL setting for the bench database, e.g. jit=off, to see what it changes.
  for (const setting of args['pg-setting'] ?? []) {
    const [, name, value] = /^([a-z_.]+)=([\w.-]+)$/.exec(setting) ?? [];
    if (!name) throw new Error(`--pg-setting ${setting}: expected name=value`);
    await ctx.db.query(`ALTER DATABASE "${dbName}" SET ${name} = '${value}'`);
  }
  ctx.world = buildWorld({ declarations: opts.declarations, seed: opts.seed });
  await seedRegistries(ctx.db, ctx.world);
  log(`registries: ${ctx.world.traders.length} traders, ${ctx.world.licences.length} licences, ${ctx.world.consents.length} consents in ${ctx.world.countries.length} countries`);

  const port = await processes.freePort();
  ctx.baseUrl = `http://127.0.0.1:${port}`;
  ctx.api = new Api(ctx.baseUrl);
  // --profile api,worker: V8 CPU profiles of those processes, written when they stop, into bench/results/profiles.
  const profiled = new Set(args.profile ? args.profile.split(',') : []);
  const nodeArgs = (name) => (profiled.has(name) ? ['--cpu-prof', '--cpu-prof-dir=bench/results/profiles'] : []);
  ctx.api_process = processes.start('api', 'dist/apps/api/src/main.js', { ...env, PORT: String(port) }, nodeArgs('api'));
  await processes.until('the api to be ready', async () => (await fetch(`${ctx.baseUrl}/health/ready`)).ok, { timeoutMs: 90_000, process: ctx.api_process });
  ctx.checkQueue = new Queue('crosscheck', { connection: new Redis(REDIS_URL, { maxRetriesPerRequest: null }), prefix: QUEUE_PREFIX });
  /** Starts worker processes and waits until each has its BullMQ worker on the crosscheck queue. */
  ctx.startWorkers = async (...names) => {
    const expected = (await ctx.checkQueue.getWorkersCount()) + names.length;
    const started = names.map((name) => processes.start(name, 'dist/apps/worker/src/main.js', env, [...WORKER_NODE_FLAGS, ...nodeArgs(name === 'worker-1' ? 'worker' : name)]));
    await processes.until(`${names.join(' and ')} to take jobs`, async () => {
      const dead = started.find((w) => w.exited);
      if (dead) throw Object.assign(new Error(`${dead.name} exited:\n${dead.tail()}`), { fatal: true });
      return (await ctx.checkQueue.getWorkersCount()) >= expected;
    }, { timeoutMs: 120_000 });
    return started;
  };
  ctx.startWorker = async (name) => (await ctx.startWorkers(name))[0];
  ctx.worker = await ctx.startWorker('worker-1');

  ctx.adminToken = (await ctx.api.post('/api/v1/auth/login', undefined, ADMIN)).accessToken;
  ctx.tokens = {};
  for (const country of ctx.world.countries) {
    const user = await ctx.api.post('/api/v1/users', ctx.adminToken, { email: `system-${country.toLowerCase()}@bench.local`, password: 'bench-system-password', role: 'system', countries: [country] });
    ctx.tokens[country] = (await ctx.api.post(`/api/v1/users/${user.id}/tokens`, ctx.adminToken, { name: 'bench' })).token;
  }
  ctx.verifySample = [...measures.recent(ctx, 'V', 2000, 9)].find((d) => d.country === 'MX' && d.partnerCountry === 'BO' && d.flow === 'export' && d.consentReference && d.items.length === 1);

  if (wanted('run')) {
    log(`generating and COPYing ${opts.declarations} declarations of the last two years`);
    results.history = await measures.loadHistory(ctx);
    await recomputeRegistryTotals(ctx.db);
    log(`  ${results.history.declarations} declarations, ${results.history.items} items: generated in ${results.history.generateSeconds.toFixed(1)} s, COPYed in ${results.history.copySeconds.toFixed(1)} s`);
    log(`full cross-check run (time limit ${opts.runTimeout} s)`);
    results.run = await measures.fullRun(ctx);
    log(`  ${results.run.status}${results.run.timedOut ? ' (stopped at the time limit)' : ''}: ${results.run.done}/${results.run.total} in ${results.run.seconds.toFixed(1)} s (phases from ${Object.entries(results.run.phases).map(([phase, at]) => `${phase} ${at.toFixed(1)} s`).join(', ')})`);
    log('plain SQL matching (baseline)');
    results.plainSql = await measures.plainSqlMatching(ctx);
    log(results.plainSql.timedOut ? `  stopped at the time limit (${results.plainSql.seconds.toFixed(0)} s)` : `  ${results.plainSql.pairs} pairs in ${results.plainSql.seconds.toFixed(1)} s`);
  }
  // This machine's PostgreSQL runs without autovacuum, which would have analysed what the measures
  // before added by the time the next one starts: without statistics, plans go wrong.
  const analyse = () => ctx.db.query('ANALYZE');
  if (wanted('csv')) {
    await analyse();
    log(`CSV import of ${opts.csvRows} rows`);
    results.csv = await measures.csvImport(ctx);
    log(`  ${results.csv.storedRows} rows stored in ${results.csv.seconds.toFixed(1)} s (COPY: ${results.csv.copySeconds.toFixed(2)} s)`);
  }
  if (wanted('batch')) {
    await analyse();
    log(`batch API, ${opts.batchDeclarations} declarations`);
    results.batch = await measures.batchApi(ctx);
    log(`  ${results.batch.created} created in ${results.batch.seconds.toFixed(1)} s`);
  }
  if (wanted('verify')) {
    await analyse();
    log(`verify at 50 connections for ${opts.verifySeconds} s, and /health/live`);
    results.verify = await measures.verifyLoad(ctx);
    log(`  verify ${results.verify.verify.requestsPerSecond.toFixed(0)}/s p99 ${results.verify.verify.p99Ms} ms; health ${results.verify.health.requestsPerSecond.toFixed(0)}/s`);
  }
  if (wanted('latency')) {
    await analyse();
    log(`background check latency at ${opts.latencyRate}/s for ${opts.latencySeconds} s`);
    results.latency = await measures.checkLatency(ctx);
    log(`  p95 ${fmt(results.latency.p95Seconds)} s at ${results.latency.achievedRate.toFixed(0)}/s`);
  }
  if (wanted('throughput')) {
    await analyse();
    log(`background check throughput, one worker (${opts.throughputDeclarations} declarations)`);
    results.throughput1 = await measures.checkThroughput(ctx, 'T', 4);
    log(`  ${results.throughput1.perSecond.toFixed(0)}/s`);
    ctx.worker2 = await ctx.startWorker('worker-2');
    log('background check throughput, two workers');
    // The last measure: what it leaves queued is not dropped, the processes are stopped anyway.
    results.throughput2 = await measures.checkThroughput(ctx, 'U', 5, { reset: false });
    log(`  ${results.throughput2.perSecond.toFixed(0)}/s`);
  }
  results.finishedAt = new Date().toISOString();
  // Other work on the machine skews every figure (less so the ratios to baselines taken in the same run).
  results.machine.loadAverageAtEnd = loadavg();
  results.rows = report(results, opts);
  mkdirSync('bench/results', { recursive: true });
  const file = join('bench/results', `${results.startedAt.replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  log(`figures written to ${file}`);
}

function fmt(v) {
  return v === null || v === undefined ? '-' : Number.isFinite(v) ? v.toFixed(2) : 'inf';
}

let exitCode = 0;
try {
  await main();
} catch (error) {
  exitCode = 1;
  console.error(`bench failed: ${error.stack ?? error}`);
  for (const p of [ctx.api_process, ctx.worker, ctx.worker2]) if (p?.tail()) console.error(`--- last stderr of ${p.name} ---\n${p.tail()}`);
} finally {
  await cleanup();
}
process.exit(exitCode);

