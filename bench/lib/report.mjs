// The table of figures: one row per measure, with its baseline, the ratio, the target and pass/fail.

const int = (v) => (v === null || v === undefined || !Number.isFinite(v) ? (v === Infinity ? 'inf' : '-') : Math.round(v).toLocaleString('en-US'));
/** A rate: whole numbers, with one decimal under 10 so that a slow path does not read as zero. */
const rate = (v) => (Number.isFinite(v) && v < 10 ? v.toFixed(1) : int(v));
const s = (v, d = 2) => (v === null || v === undefined ? '-' : Number.isFinite(v) ? `${v.toFixed(d)} s` : 'inf');
const x = (v) => (v === null || v === undefined || !Number.isFinite(v) ? '-' : `${v.toFixed(2)}x`);
const verdict = (ok) => (ok === null ? 'reported' : ok ? 'PASS' : 'FAIL');

/** Builds the rows from the figures, prints the table on stdout, and returns the rows. */
export function report(results, opts) {
  const rows = [];
  const add = (measure, figure, baseline, ratio, target, ok) => rows.push({ measure, figure, baseline, ratio, target, result: verdict(ok) });

  if (results.csv) {
    const c = results.csv;
    const ratio = c.seconds / c.copySeconds;
    const complete = !c.timedOut && c.storedRows === c.rows && c.failed.length === 0;
    add('CSV import, rows/s', `${int(c.rowsPerSecond)} rows/s (${int(c.storedRows)} rows, ${s(c.seconds, 1)})${complete ? '' : ' INCOMPLETE'}`,
      `COPY ${int(c.copyRowsPerSecond)} rows/s (${s(c.copySeconds)})`, x(ratio), '>= 20,000 rows/s, <= 3x COPY time', complete && c.rowsPerSecond >= 20_000 && ratio <= 3);
  }
  if (results.batch) {
    const b = results.batch;
    add('batch API, declarations/s', `${int(b.perSecond)}/s (${int(b.created)} in ${s(b.seconds, 1)}, ${b.concurrency} in flight${b.retries ? `, ${b.retries} retried after 503` : ''})`, '-', '-', '>= 3,000/s', b.perSecond >= 3000 && b.rejected === 0);
  }
  if (results.run) {
    const r = results.run;
    const target = (120 * opts.declarations) / 1e6;
    const projected = r.done > 0 ? (r.seconds * r.total) / r.done : Infinity;
    const time = r.timedOut ? projected : r.seconds;
    const sql = results.plainSql;
    // A plain SQL stopped at its time limit took at least that long: the ratio is then at most the one shown.
    const ratio = sql ? time / sql.seconds : null;
    add(`full cross-check run, ${int(r.total)} declarations`,
      r.timedOut ? `stopped at ${s(r.seconds, 0)}: ${int(r.done)}/${int(r.total)} (${rate(r.done / r.seconds)}/s), projected ${s(projected, 0)}` : `${s(r.seconds, 1)} (${int(r.total / r.seconds)}/s, ${r.status})`,
      sql ? (sql.timedOut ? `plain SQL > ${s(sql.seconds, 0)} (stopped)` : `plain SQL ${s(sql.seconds)} (${int(sql.pairs)} pairs)`) : '-', sql?.timedOut ? `<= ${x(ratio)}` : x(ratio),
      `< ${s(target, 0)} (2 min per 1M), <= 2x SQL`, !r.timedOut && r.status === 'completed' && r.seconds < target && ratio !== null && ratio <= 2);
    add('worker memory during the run (max RSS)', `${int(r.workerMaxRssBytes / 2 ** 20)} MB (${r.rssSamples} samples)`, '-', '-', '< 512 MB', r.workerMaxRssBytes < 512 * 2 ** 20);
  }
  if (results.latency) {
    const l = results.latency;
    add('background check latency, stored to checked', `p95 ${s(l.p95Seconds)} (p50 ${s(l.p50Seconds)}, max ${s(l.maxSeconds)}) at ${int(l.achievedRate)}/s for ${s(l.sendSeconds, 0)}${l.failedRequests ? `, ${l.failedRequests} batches failed` : ''}`,
      '-', '-', `p95 < 2 s at ${l.targetRate}/s`, l.p95Seconds !== null && l.p95Seconds < 2 && l.achievedRate >= l.targetRate * 0.95);
  }
  if (results.verify) {
    const v = results.verify.verify;
    const h = results.verify.health;
    const clean = v.non2xx === 0 && v.errors === 0;
    add('verify at 50 connections', `${int(v.requestsPerSecond)}/s, p99 ${v.p99Ms} ms${clean ? '' : ` (${v.non2xx} non-2xx, ${v.errors} errors)`}`,
      `/health/live ${int(h.requestsPerSecond)}/s, p99 ${h.p99Ms} ms`, x(v.requestsPerSecond / h.requestsPerSecond), '>= 2,000/s, p99 < 25 ms', clean && v.requestsPerSecond >= 2000 && v.p99Ms < 25);
  }
  if (results.throughput1) {
    const one = results.throughput1;
    add('background check throughput, one worker', `${rate(one.perSecond)} checks/s (${int(one.checked)}/${int(one.declarations)} in ${s(one.seconds, 1)})`, '-', '-', '-', null);
  }
  if (results.throughput2) {
    const one = results.throughput1;
    const two = results.throughput2;
    add('background check throughput, two workers', `${rate(two.perSecond)} checks/s (${int(two.checked)}/${int(two.declarations)} in ${s(two.seconds, 1)})`,
      `one worker ${rate(one.perSecond)} checks/s`, x(two.perSecond / one.perSecond), 'reported', null);
  }

  const headers = ['measure', 'figure', 'baseline', 'ratio', 'target', 'result'];
  const widths = headers.map((h) => Math.max(h.length, ...rows.map((r) => String(r[h]).length)));
  const line = (cells) => `| ${cells.map((c, i) => String(c).padEnd(widths[i])).join(' | ')} |`;
  const out = [line(headers), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map((r) => line(headers.map((h) => r[h])))];
  const load = (l) => (l ? l.map((v) => v.toFixed(1)).join(' ') : '-');
  out.push('');
  // CPU per unit of work: what each process spent, which other load on the machine moves far less than the figures above.
  const cpuRows = [
    ['CSV import', results.csv?.cpu, 'row'],
    ['batch API', results.batch?.cpu, 'declaration'],
    ['cross-check run', results.run?.cpu, 'step'],
    ['verify', results.verify?.verify.cpu, 'request'],
    ['/health/live', results.verify?.health.cpu, 'request'],
    ['check latency', results.latency?.cpu, 'check'],
    ['checks, one worker', results.throughput1?.cpu, 'check'],
    ['checks, two workers', results.throughput2?.cpu, 'check'],
  ].filter(([, cpu]) => cpu);
  const ms = (v) => (v === null || v === undefined ? '-' : v.toFixed(3));
  if (cpuRows.length) {
    out.push('CPU ms per unit (api / workers / PostgreSQL backends of the bench database):');
    for (const [name, cpu, unit] of cpuRows) out.push(`  ${`${name}, per ${unit}`.padEnd(34)} ${ms(cpu.msPerUnit.api)} / ${ms(cpu.msPerUnit.workers)} / ${ms(cpu.msPerUnit.postgres)}`);
    out.push('');
  }
  if (results.history) out.push(`data: ${int(results.history.declarations)} declarations (${int(results.history.items)} items) generated in ${s(results.history.generateSeconds, 1)}, COPYed in ${s(results.history.copySeconds, 1)}`);
  out.push(`machine: ${results.machine.cpus} cores, Node ${results.machine.node}, load average ${load(results.machine.loadAverageAtStart)} at start, ${load(results.machine.loadAverageAtEnd)} at end`);
  process.stdout.write(`\n${out.join('\n')}\n`);
  return rows;
}
