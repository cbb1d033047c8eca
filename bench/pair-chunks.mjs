// The pair check of a run, chunk by chunk, on a bench database kept with --keep-db: one slice's walk
// (the lower half of the id space, in date order, as RunsService walks it) from a point in the date
// range, each chunk of 1,000 exports checked with the slice's RouteExports held from one to the next
// and rolled back, so the measure can be repeated on the same data. Prints the CPU per chunk of this
// process and of its PostgreSQL backend (from /proc; the first two chunks, which read whole routes,
// are left out) and a digest of what the chunks wrote, to compare two builds for speed and results:
//
//   npm run bench -- --declarations 1000000 --only run --keep-db        # once, to have the data
//   node bench/pair-chunks.mjs --chunks 30 --start 0.4 [--fresh] [--dist <dir>] [--verbose]
//
// --fresh deletes each chunk's stored matches first (in the same rolled-back transaction), so that
// the check writes them as a first run does. --dist takes the build from elsewhere (another
// checkout's dist/, with node_modules beside it), for back-to-back comparisons. DATABASE_URL
// defaults to the bench's database.
import 'reflect-metadata';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    chunks: { type: 'string', default: '30' },
    start: { type: 'string', default: '0.5' },
    fresh: { type: 'boolean', default: false },
    dist: { type: 'string', default: join(import.meta.dirname, '..', 'dist') },
    verbose: { type: 'boolean', default: false },
  },
});
process.env.DATABASE_URL ??= 'postgres://postgres@127.0.0.1:5432/hgtrace_bench';
process.env.LOG_LEVEL ??= 'warn';
const dist = resolve(values.dist);
// The packages as the build resolves them, so that the classes are the ones its modules register.
const require = createRequire(join(dist, '..', 'package.json'));
const { NestFactory } = require('@nestjs/core');
const { DataSource } = require('typeorm');
const { CliModule } = await import(join(dist, 'apps/cli/src/cli.module.js'));
const { PairCheckService, RouteExports } = await import(join(dist, 'libs/crosscheck/src/index.js'));

const chunks = Number(values.chunks);
if (!(chunks >= 3)) throw new Error('--chunks must be at least 3');
const app = await NestFactory.createApplicationContext(CliModule, { logger: ['error', 'warn'] });
const pairs = app.get(PairCheckService);
const dataSource = app.get(DataSource);
const TICKS = 100;
const backendMs = (pid) => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return ((Number(fields[11]) + Number(fields[12])) / TICKS) * 1000;
};
const [{ lo, hi }] = await dataSource.query(`SELECT min(date)::text AS lo, max(date)::text AS hi FROM declarations WHERE flow = 'export'`);
const from = new Date(Date.parse(lo) + Number(values.start) * (Date.parse(hi) - Date.parse(lo))).toISOString().slice(0, 10);
const SLICE = `d.flow = 'export' AND d.id < '80000000-0000-0000-0000-000000000000'`;

const held = RouteExports.kept();
const digest = createHash('sha256');
let last = null;
const total = { node: 0, pg: 0, wall: 0 };
for (let chunk = 0; chunk < chunks; chunk++) {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    const [{ pid }] = await runner.query('SELECT pg_backend_pid() AS pid');
    await runner.startTransaction();
    await runner.query('SET LOCAL plan_cache_mode = force_custom_plan');
    const rows = last
      ? await runner.query(`SELECT d.id, d.date::text FROM declarations d WHERE ${SLICE} AND (d.date, d.id) > ($1::date, $2::uuid) ORDER BY d.date, d.id LIMIT 1000`, [last.date, last.id])
      : await runner.query(`SELECT d.id, d.date::text FROM declarations d WHERE ${SLICE} AND d.date >= $1 ORDER BY d.date, d.id LIMIT 1000`, [from]);
    if (rows.length === 0) break;
    last = rows[rows.length - 1];
    const ids = rows.map((r) => r.id).sort();
    if (values.fresh) await runner.query('DELETE FROM matches WHERE export_id = ANY ($1)', [ids]);
    const cpu = process.cpuUsage();
    const pg = backendMs(pid);
    const started = performance.now();
    await pairs.checkExports(runner.manager, ids, held);
    const wall = performance.now() - started;
    const node = (({ user, system }) => (user + system) / 1000)(process.cpuUsage(cpu));
    const pgUsed = backendMs(pid) - pg;
    const [{ m }] = await runner.query(`SELECT string_agg(export_id || ' ' || import_id || ' ' || basis || ' ' || score, ',' ORDER BY export_id, import_id) AS m FROM matches WHERE export_id = ANY ($1)`, [ids]);
    const [{ f }] = await runner.query(`SELECT string_agg(code || ' ' || subject || ' ' || holds || ' ' || summary || ' ' || evidence::text, ',' ORDER BY code, subject) AS f FROM flags WHERE subject = ANY ($1)`, [ids.map((id) => `export:${id}`)]);
    digest.update(`${m}\n${f}\n`);
    if (chunk >= 2) {
      total.node += node;
      total.pg += pgUsed;
      total.wall += wall;
    }
    if (values.verbose) console.log(`chunk ${chunk} to ${last.date}: node ${node.toFixed(0)} ms, PostgreSQL ${pgUsed.toFixed(0)} ms, wall ${wall.toFixed(0)} ms`);
  } finally {
    if (runner.isTransactionActive) await runner.rollbackTransaction();
    await runner.release();
  }
}
const counted = chunks - 2;
console.log(`${chunks} chunks from ${from}, per chunk after the first two: node ${(total.node / counted).toFixed(1)} ms, PostgreSQL ${(total.pg / counted).toFixed(1)} ms, wall ${(total.wall / counted).toFixed(1)} ms`);
console.log(`digest of the matches and flags written: ${digest.digest('hex').slice(0, 16)}`);
await app.close();
