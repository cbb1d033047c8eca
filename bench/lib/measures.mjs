// The measurements. Each returns the figures of one row (or two) of the report; the caller prints them.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { addDays, apiBody, csvHeader, csvRows, declarations } from './world.mjs';
import { copyPrepared, discard, prepareCopy } from './load.mjs';
import { kill, meterCpu, sampleRss, sleep, until } from './processes.mjs';

/**
 * The CPU seconds of the api, the workers and the bench database's PostgreSQL backends (the bench's
 * own connection aside) while a measure runs: on a shared machine these move far less than the wall
 * clock. PostgreSQL's own background processes (WAL writer, checkpointer) are not counted.
 */
async function meter(ctx) {
  const alive = (p) => p && !p.exited;
  const m = meterCpu(async () => ({
    api: [ctx.api_process].filter(alive).map((p) => p.pid),
    workers: [ctx.worker, ctx.worker2].filter(alive).map((p) => p.pid),
    postgres: (await ctx.db.query(`SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`)).rows.map((r) => r.pid),
  }));
  await m.ready;
  return {
    /** { api, workers, postgres } in CPU seconds. */
    async stop() {
      const cpu = await m.stop();
      return { api: cpu.api ?? 0, workers: cpu.workers ?? 0, postgres: cpu.postgres ?? 0 };
    },
  };
}

/** CPU seconds by process group, and each in ms per unit of the work done (a row, a request, a check). */
function perUnit(seconds, units) {
  return { seconds, units, msPerUnit: Object.fromEntries(Object.entries(seconds).map(([k, v]) => [k, units > 0 ? (v * 1000) / units : null])) };
}

const seconds = (start) => Number(process.hrtime.bigint() - start) / 1e9;
const now = () => process.hrtime.bigint();

/** A dataset of `count` declarations dated in the last two months (before today), under its own prefix. */
export function recent(ctx, prefix, count, seedOffset) {
  return declarations(ctx.world, { prefix, count, from: addDays(ctx.world.today, -60), to: addDays(ctx.world.today, -1), seed: ctx.opts.seed + seedOffset });
}

/** Declarations until their items (CSV rows) reach `rows`. */
function byRows(iterable, rows) {
  const out = [];
  let total = 0;
  for (const d of iterable) {
    out.push(d);
    total += d.items.length;
    if (total >= rows) break;
  }
  return { list: out, rows: total };
}

/**
 * The history the full run re-checks: N declarations over the two years before the recent window,
 * COPYed with what filing them counted against licences and consents, but no check jobs.
 */
export async function loadHistory(ctx) {
  const { world, opts, db } = ctx;
  const started = now();
  const prepared = await prepareCopy(world, declarations(world, { prefix: 'H', count: opts.declarations, from: addDays(world.today, -730), to: addDays(world.today, -61), seed: opts.seed }));
  const generateSeconds = seconds(started);
  const copySeconds = await copyPrepared(db, prepared);
  discard(prepared);
  await db.query('ANALYZE');
  return { declarations: prepared.declarations, items: prepared.items, generateSeconds, copySeconds };
}

/** The full cross-check run over everything stored, through the api, with the worker's RSS sampled; and the plain SQL matching it is compared with. */
export async function fullRun(ctx) {
  const { api, adminToken, db, opts } = ctx;
  const rss = sampleRss(ctx.worker.pid);
  const cpu = await meter(ctx);
  const started = now();
  const { id } = await api.post('/api/v1/crosscheck/runs', adminToken, {});
  let run;
  let timedOut = false;
  // When each phase was first seen (seconds from the start): where the run's time goes.
  const phases = {};
  for (;;) {
    run = await api.get(`/api/v1/crosscheck/runs/${id}`, adminToken);
    phases[run.phase] ??= seconds(started);
    if (run.status === 'completed' || run.status === 'failed') break;
    if (ctx.worker.exited) throw new Error(`the worker died during the run:\n${ctx.worker.tail()}`);
    if (seconds(started) > opts.runTimeout) {
      timedOut = true;
      break;
    }
    await sleep(250);
  }
  const elapsed = seconds(started);
  const memory = rss.stop();
  const runCpu = await cpu.stop();
  // The run counts its progress per chunk; the declarations marked checked show it finer.
  const [{ checked }] = (await db.query(`SELECT count(*)::int AS checked FROM declarations WHERE check_status = 'checked'`)).rows;
  if (timedOut) {
    // Stop the run where it is: the worker is killed and the run marked failed, so the restarted worker does not resume it.
    await db.query(`UPDATE crosscheck_runs SET status = 'failed', failure = 'stopped by the bench after its time limit', finished_at = now() WHERE id = $1`, [id]);
    await kill(ctx.worker);
    await workersGone(ctx);
    ctx.worker = await ctx.startWorker('worker-1');
  }
  return { id, status: run.status, total: run.total, done: Math.max(run.done, timedOut ? checked : 0), flagsRaised: run.flagsRaised, seconds: elapsed, phases, timedOut, cpu: perUnit(runCpu, run.done), workerMaxRssBytes: memory.maxBytes, rssSamples: memory.samples };
}

/**
 * The same matching in one plain SQL statement: exports joined to imports on the transport document
 * or a container, or else on destination, origin, HS heading, window and similar names; materialised so
 * that PostgreSQL cannot skip the work.
 */
export async function plainSqlMatching(ctx) {
  const { db } = ctx;
  const window = 120;
  const tolerance = 1;
  await db.query('DROP TABLE IF EXISTS bench_matches');
  // Its attribute join grows with the square of a route's density: it is stopped at --sql-timeout, and the figure is then a lower bound.
  await db.query(`SET statement_timeout = ${Math.round(ctx.opts.sqlTimeout * 1000)}`);
  const started = now();
  const result = await db.query(`
    CREATE UNLOGGED TABLE bench_matches AS
    WITH d AS (
      SELECT d.id, d.flow, d.country, d.partner_country, d.date, d.transport_document_key, d.counterparty_name, d.trader_name,
             (SELECT array_agg(DISTINCT left(i.hs_code, 4)) FROM declaration_items i WHERE i.declaration_id = d.id) AS headings
        FROM declarations d WHERE d.status <> 'cancelled'
    ), e AS (SELECT * FROM d WHERE flow = 'export'), i AS (SELECT * FROM d WHERE flow = 'import'),
    by_document AS (
      SELECT e.id AS export_id, i.id AS import_id, 'transport_document' AS basis FROM e JOIN i ON i.transport_document_key = e.transport_document_key
      UNION
      SELECT ec.declaration_id, ic.declaration_id, 'container' FROM declaration_containers ec JOIN declaration_containers ic ON ic.container_key = ec.container_key
        JOIN e ON e.id = ec.declaration_id JOIN i ON i.id = ic.declaration_id
    )
    SELECT * FROM by_document
    UNION ALL
    SELECT e.id, i.id, 'attributes' FROM e JOIN i ON i.country = e.partner_country AND i.partner_country = e.country
       AND i.date BETWEEN e.date - ${tolerance} AND e.date + ${window} AND i.headings && e.headings
     WHERE NOT EXISTS (SELECT 1 FROM by_document b WHERE b.export_id = e.id)
       AND NOT (e.transport_document_key IS NOT NULL AND i.transport_document_key IS NOT NULL)
       AND similarity(hg_normalize_name(e.counterparty_name), hg_normalize_name(i.trader_name)) >= 0.45`).catch((error) => {
    if (error.code !== '57014') throw error;
    return null;
  });
  const elapsed = seconds(started);
  await db.query('SET statement_timeout = 0');
  if (result === null) return { seconds: elapsed, pairs: null, timedOut: true };
  const [{ pairs }] = (await db.query(`SELECT count(*)::int AS pairs FROM bench_matches`)).rows;
  await db.query('DROP TABLE bench_matches');
  return { seconds: elapsed, pairs, rowCount: result.rowCount };
}

/**
 * CSV import through the api: each country's customs uploads its own file at the same moment, and
 * the figure is the rows of all files over the time from the first upload to the last import
 * completed. The baseline is a raw COPY of the same declarations, items and containers into the
 * same tables (rolled back).
 */
export async function csvImport(ctx) {
  const { api, db, opts } = ctx;
  const { list, rows } = byRows(recent(ctx, 'C', Number.MAX_SAFE_INTEGER, 1), opts.csvRows);
  const prepared = await prepareCopy(ctx.world, list, { registries: false });
  const copySeconds = await copyPrepared(db, prepared, { commit: false, tables: ['declarations', 'declaration_items', 'declaration_containers'] });
  discard(prepared);
  const byCountry = groupBy(list, (d) => d.country);
  const files = [...byCountry].map(([country, decls]) => {
    const file = join(ctx.tmp, `import-${country}.csv`);
    writeFileSync(file, csvHeader() + decls.map(csvRows).join(''));
    return { country, file, declarations: decls.length };
  });
  await pauseChecks(ctx);
  const cpu = await meter(ctx);
  const started = now();
  const uploads = await Promise.all(files.map(async (f) => ({ ...f, id: (await api.upload(ctx.tokens[f.country], f.file)).id })));
  const results = [];
  let timedOut = false;
  for (const upload of uploads) {
    for (;;) {
      const status = await api.get(`/api/v1/imports/${upload.id}`, ctx.tokens[upload.country]);
      if (status.status === 'completed' || status.status === 'failed') {
        results.push(status);
        break;
      }
      if (seconds(started) > opts.importTimeout) {
        timedOut = true;
        results.push(status);
        break;
      }
      await sleep(200);
    }
    if (timedOut) break;
  }
  const elapsed = seconds(started);
  const importCpu = await cpu.stop();
  const [{ stored }] = (await db.query(`SELECT count(*)::int AS stored FROM declarations WHERE source = 'csv'`)).rows;
  const storedRows = (await db.query(`SELECT count(*)::int AS n FROM declaration_items i JOIN declarations d ON d.id = i.declaration_id WHERE d.source = 'csv'`)).rows[0].n;
  await discardHeldChecks(ctx);
  const created = results.reduce((s, r) => s + r.created, 0);
  const rejected = results.reduce((s, r) => s + r.rejected, 0);
  return {
    rows, declarations: list.length, files: files.length, seconds: elapsed, rowsPerSecond: storedRows / elapsed, copySeconds, copyRowsPerSecond: rows / copySeconds,
    created, rejected, stored, storedRows, timedOut, cpu: perUnit(importCpu, storedRows), failed: results.filter((r) => r.status === 'failed').map((r) => r.failure), errors: results.flatMap((r) => r.errors).slice(0, 5),
  };
}

/** The batch endpoint: batches of up to 1,000 declarations of one country, a few in flight at once. */
export async function batchApi(ctx) {
  const { api, opts } = ctx;
  const list = [...recent(ctx, 'A', opts.batchDeclarations, 2)];
  const batches = [];
  for (const [country, decls] of groupBy(list, (d) => d.country)) {
    for (let i = 0; i < decls.length; i += 1000) batches.push({ country, declarations: decls.slice(i, i + 1000).map(apiBody) });
  }
  // Interleave the countries, as independent customs systems would send.
  batches.sort((a, b) => a.declarations.length - b.declarations.length || a.country.localeCompare(b.country));
  await pauseChecks(ctx);
  const counts = { created: 0, duplicate: 0, rejected: 0 };
  const rejections = [];
  const latencies = [];
  let retries = 0;
  let next = 0;
  const cpu = await meter(ctx);
  const started = now();
  await Promise.all(Array.from({ length: opts.batchConcurrency }, async () => {
    while (next < batches.length) {
      const batch = batches[next++];
      const t = now();
      const { results } = await withRetries(() => api.post('/api/v1/declarations/batch', ctx.tokens[batch.country], { declarations: batch.declarations }), () => (retries += 1));
      latencies.push(seconds(t));
      for (const r of results) {
        counts[r.status] += 1;
        if (r.status === 'rejected' && rejections.length < 5) rejections.push(r.errors);
      }
    }
  }));
  const elapsed = seconds(started);
  const batchCpu = await cpu.stop();
  await discardHeldChecks(ctx);
  return { declarations: list.length, batches: batches.length, concurrency: opts.batchConcurrency, seconds: elapsed, perSecond: counts.created / elapsed, cpu: perUnit(batchCpu, counts.created), ...counts, rejections, retries, batchSecondsP50: percentile(latencies, 0.5), batchSecondsMax: Math.max(...latencies) };
}

/** verify at 50 connections, against /health/live of the same server. */
export async function verifyLoad(ctx) {
  const { opts } = ctx;
  const body = JSON.stringify(apiBody(ctx.verifySample));
  const common = { connections: 50, duration: opts.verifySeconds, pipelining: 1 };
  // Each is warmed up first at the same load, unmeasured: a server that has been answering for a while
  // has compiled its hot paths, and the first seconds' compiling would otherwise be most of the p99.
  const load = async (target) => {
    if (opts.verifyWarmupSeconds > 0) await autocannon({ ...common, ...target, duration: opts.verifyWarmupSeconds });
    const cpu = await meter(ctx);
    const result = await autocannon({ ...common, ...target });
    return { result, cpu: perUnit(await cpu.stop(), result.requests.total) };
  };
  const health = await load({ url: `${ctx.baseUrl}/health/live` });
  const verify = await load({
    url: `${ctx.baseUrl}/api/v1/declarations/verify`,
    method: 'POST',
    headers: { authorization: `Bearer ${ctx.tokens[ctx.verifySample.country]}`, 'content-type': 'application/json' },
    body,
  });
  const figures = ({ result: r, cpu }) => ({ requestsPerSecond: r.requests.average, p50Ms: r.latency.p50, p99Ms: r.latency.p99, non2xx: r.non2xx, errors: r.errors, timeouts: r.timeouts, total: r.requests.total, cpu });
  return { seconds: opts.verifySeconds, warmupSeconds: opts.verifyWarmupSeconds, connections: 50, verify: figures(verify), health: figures(health) };
}

/**
 * Latency of the background check: declarations are filed through the batch endpoint at a steady
 * rate (a batch every 100 ms) and each is timed from the answer that stored it to the moment the
 * database shows it checked (polled every 100 ms).
 */
export async function checkLatency(ctx) {
  const { api, db, opts } = ctx;
  const total = Math.round(opts.latencyRate * opts.latencySeconds);
  const queues = groupBy([...recent(ctx, 'L', total, 3)], (d) => d.country);
  const countries = [...queues.keys()];
  const perTick = Math.max(1, Math.round(opts.latencyRate / 10));
  const stored = new Map();
  const checked = new Map();
  const inFlight = new Set();
  let sent = 0;
  let rejected = 0;
  let failedRequests = 0;
  const failures = [];
  let tick = 0;
  const cpu = await meter(ctx);
  const started = Date.now();
  let sendEnded = 0;
  let polling = true;
  const poller = (async () => {
    while (polling || stored.size > checked.size) {
      const pending = [...stored.keys()].filter((id) => !checked.has(id));
      if (pending.length) {
        const { rows } = await db.query(`SELECT id FROM declarations WHERE id = ANY ($1::uuid[]) AND check_status = 'checked' AND checked_version = version`, [pending]);
        const at = Date.now();
        for (const { id } of rows) checked.set(id, at);
      }
      if (!polling && Date.now() - sendEnded > opts.latencyDrainSeconds * 1000) break;
      await sleep(100);
    }
  })();
  while (sent < total) {
    const due = started + tick * 100;
    if (Date.now() < due) await sleep(due - Date.now());
    tick += 1;
    const country = countries.reduce((best, c) => (queues.get(c).length > (queues.get(best)?.length ?? -1) ? c : best), countries[0]);
    const batch = queues.get(country).splice(0, Math.min(perTick, total - sent));
    if (batch.length === 0) break;
    sent += batch.length;
    const request = api.post('/api/v1/declarations/batch', ctx.tokens[country], { declarations: batch.map(apiBody) }).then(
      ({ results }) => {
        const at = Date.now();
        for (const r of results) {
          if (r.status === 'created') stored.set(r.id, at);
          else rejected += 1;
        }
      },
      (error) => {
        failedRequests += 1;
        failures.push(error.message.slice(0, 200));
      },
    );
    inFlight.add(request);
    request.finally(() => inFlight.delete(request));
  }
  await Promise.all(inFlight);
  sendEnded = Date.now();
  const sendSeconds = (sendEnded - started) / 1000;
  polling = false;
  await poller;
  const latencyCpu = await cpu.stop();
  const latencies = [...stored].map(([id, at]) => (checked.has(id) ? (checked.get(id) - at) / 1000 : Infinity));
  await discardHeldChecks(ctx);
  return {
    targetRate: opts.latencyRate, sent, stored: stored.size, rejected, failedRequests, failures: failures.slice(0, 3), sendSeconds, achievedRate: stored.size / sendSeconds, checkedWithinDrain: checked.size,
    cpu: perUnit(latencyCpu, checked.size),
    p50Seconds: percentile(latencies, 0.5), p95Seconds: percentile(latencies, 0.95), p99Seconds: percentile(latencies, 0.99), maxSeconds: Math.max(...latencies),
  };
}

/**
 * Background check throughput: a backlog of declarations with their check jobs is COPYed in while
 * checks are paused, then checks resume and the time to check them all is taken.
 */
export async function checkThroughput(ctx, prefix, seedOffset, { reset = true } = {}) {
  const { db, opts } = ctx;
  const prepared = await prepareCopy(ctx.world, recent(ctx, prefix, opts.throughputDeclarations, seedOffset), { outbox: true });
  await pauseChecks(ctx);
  await copyPrepared(db, prepared);
  discard(prepared);
  await until('the outbox to be published', async () => (await db.query(`SELECT count(*)::int AS n FROM outbox WHERE published_at IS NULL`)).rows[0].n === 0, { timeoutMs: 120_000 });
  const ids = prepared.ids;
  const cpu = await meter(ctx);
  const started = now();
  await resumeChecks(ctx);
  let done = 0;
  for (;;) {
    done = (await db.query(`SELECT count(*)::int AS n FROM declarations WHERE id = ANY ($1::uuid[]) AND check_status = 'checked'`, [ids])).rows[0].n;
    if (done >= ids.length || seconds(started) > opts.throughputTimeout) break;
    await sleep(250);
  }
  const elapsed = seconds(started);
  const checkCpu = await cpu.stop();
  if (reset) await discardHeldChecks(ctx);
  return { declarations: ids.length, checked: done, seconds: elapsed, perSecond: done / elapsed, timedOut: done < ids.length, cpu: perUnit(checkCpu, done) };
}

/** Holds the check jobs that filing declarations queues, so that ingestion is measured alone. */
export async function pauseChecks(ctx) {
  await ctx.checkQueue.pause();
}

export async function resumeChecks(ctx) {
  await ctx.checkQueue.resume();
}

/**
 * Drops the check jobs still queued (those held while ingestion was measured, or left when a measure
 * hit its time limit; their declarations stay unchecked), once the outbox relay has published them
 * all. Checks still running after a few seconds are stopped with their worker processes, which are
 * started again.
 */
export async function discardHeldChecks(ctx, { pause = false } = {}) {
  await ctx.checkQueue.pause();
  await until('the outbox to be published', async () => (await ctx.db.query(`SELECT count(*)::int AS n FROM outbox WHERE published_at IS NULL`)).rows[0].n === 0, { timeoutMs: 300_000 });
  await ctx.checkQueue.drain(true);
  const idle = await until('running checks to finish', async () => (await ctx.checkQueue.getActiveCount()) === 0, { timeoutMs: 10_000 }).catch(() => false);
  if (!idle) {
    const running = [ctx.worker, ctx.worker2].filter((w) => w && !w.exited);
    await Promise.all(running.map((worker) => kill(worker)));
    await workersGone(ctx);
    await ctx.checkQueue.obliterate({ force: true });
    [ctx.worker, ctx.worker2] = await ctx.startWorkers(...running.map((_, i) => `worker-${i + 1}`));
  }
  if (!pause) await ctx.checkQueue.resume();
}

/** After a kill, until Redis has seen the workers' connections close (so that the count of new ones is right). */
async function workersGone(ctx) {
  await until('killed workers to leave Redis', async () => (await ctx.checkQueue.getWorkersCount()) === 0, { timeoutMs: 15_000 }).catch(() => undefined);
}

/** A customs system sends a batch again when the api answers 503 (Retry-After), up to three times. */
async function withRetries(send, onRetry) {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await send();
    } catch (error) {
      if (attempt > 3 || !/answered 503/.test(error.message)) throw error;
      onRetry();
      await sleep(1000);
    }
  }
}

function groupBy(list, key) {
  const map = new Map();
  for (const item of list) {
    const k = key(item);
    if (!map.has(k)) map.set(k, []);
    map.get(k).push(item);
  }
  return map;
}

export function percentile(values, p) {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)];
}
