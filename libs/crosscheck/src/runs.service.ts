import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { AuditService } from '@hgtrace/audit';
import { countryScope, ensureVisible } from '@hgtrace/auth';
import { type Actor, ForbiddenError, NotFoundError, ValidationFailedError } from '@hgtrace/common';
import { Env } from '@hgtrace/config';
import { rowsOf } from '@hgtrace/database';
import { JobName, jobId, OutboxService } from '@hgtrace/queue';
import { today } from '@hgtrace/registry';
import { CheckService } from './check.service.js';
import { ComplianceFactsService } from './compliance-facts.service.js';
import { PairCheckService } from './pair-check.service.js';
import { RouteExports } from './route-exports.js';
import { StatisticsService } from './statistics.service.js';

export interface RunRequest {
  from?: string;
  to?: string;
  countries?: string[];
  asOf?: string;
}

export interface RunView {
  id: string;
  status: 'queued' | 'running' | 'completed' | 'failed';
  /** Where a run is: the compliance rules on each declaration, matching each export, then the sweep and statistics. */
  phase: 'compliance' | 'pairs' | 'statistics' | 'done';
  from: string | null;
  to: string | null;
  countries: string[] | null;
  asOf: string;
  /** Declarations in range (compliance) plus the exports matched (pairs). */
  total: number;
  done: number;
  flagsRaised: number;
  startedAt: string | null;
  finishedAt: string | null;
  failure: string | null;
}

/** Declarations per transaction in a run: large enough for set-based queries to pay, small enough to resume cheaply. */
const CHUNK = 1000;

/** A range of declaration ids, from (inclusive) to (exclusive); null is open. */
interface IdSlice {
  from: string | null;
  to: string | null;
}

/** The id space cut in `count` equal ranges by its leading 32 bits (ids are random UUIDs). */
export function idSlices(count: number): IdSlice[] {
  const bound = (i: number) => `${Math.floor((i * 2 ** 32) / count).toString(16).padStart(8, '0')}-0000-0000-0000-000000000000`;
  return Array.from({ length: count }, (_, i) => ({ from: i === 0 ? null : bound(i), to: i === count - 1 ? null : bound(i + 1) }));
}
const KG = `rtrim(rtrim(to_char(d.total_net_mass_kg, 'FM999,999,999,990.000'), '0'), '.')`;

/**
 * Cross-check runs and the sweep. A run re-checks every declaration dated in its range set-based, in
 * chunks whose progress is committed with them (see execute). Then it sweeps: `NO_MATCHING_IMPORT` for
 * exports whose window has passed at `asOf` without an import, and `NO_MATCHING_EXPORT` for imports
 * from a reporting country without an export, in set-based SQL; and it recomputes the statistics
 * (mirror gaps, unit-value fences).
 */
@Injectable()
export class RunsService {
  private readonly logger = new Logger(RunsService.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly checks: CheckService,
    private readonly pairs: PairCheckService,
    private readonly facts: ComplianceFactsService,
    private readonly statistics: StatisticsService,
    private readonly outbox: OutboxService,
    private readonly audit: AuditService,
    private readonly env: Env,
  ) {}

  async create(actor: Actor, request: RunRequest): Promise<{ id: string }> {
    if (request.from && request.to && request.to < request.from) throw ValidationFailedError.of('to', 'must not be before from');
    const scope = countryScope(actor);
    const countries = request.countries ?? scope;
    if (scope && countries && countries.some((c) => !scope.includes(c))) throw new ForbiddenError(`You may run cross-checks only for ${scope.join(', ')}`);
    return this.dataSource.transaction(async (manager) => {
      const [{ id }] = await manager.query(
        `INSERT INTO crosscheck_runs (date_from, date_to, countries, as_of, requested_by) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
        [request.from ?? null, request.to ?? null, countries, request.asOf ?? today(), actor.userId],
      );
      await this.outbox.enqueue(manager, { name: JobName.CrosscheckRun, id: jobId('run', id), payload: { runId: id } });
      await this.audit.record(manager, actor, { action: 'crosscheck.run', entity: 'crosscheck_run', entityId: id, countries: countries ?? [], before: null, after: { ...request, countries } });
      return { id };
    });
  }

  async get(actor: Actor, id: string): Promise<RunView> {
    const [r] = await this.dataSource.query(
      `SELECT *, to_char(date_from, 'YYYY-MM-DD') AS f, to_char(date_to, 'YYYY-MM-DD') AS t, to_char(as_of, 'YYYY-MM-DD') AS a FROM crosscheck_runs WHERE id = $1`,
      [id],
    );
    if (!r) throw new NotFoundError('Run', id);
    if (r.countries) ensureVisible(actor, r.countries, 'Run', id);
    return {
      id: r.id, status: r.status, phase: r.phase, from: r.f, to: r.t, countries: r.countries, asOf: r.a, total: r.total, done: r.done, flagsRaised: r.flags_raised,
      startedAt: r.started_at?.toISOString() ?? null, finishedAt: r.finished_at?.toISOString() ?? null, failure: r.failure,
    };
  }

  /**
   * The worker's side: runs (or resumes) a run, set-based and in chunks. First the compliance rules on
   * every declaration dated in range, then matching and the pair rules on every export an import in
   * range may belong to, then the sweep and the statistics. Each chunk is one transaction that also
   * records the progress, so a worker killed mid-run resumes after the last committed chunk (in the
   * phase it was in) and ends with exactly the flags of an undisturbed run.
   */
  async execute(runId: string): Promise<void> {
    const [run] = await this.dataSource.query(
      `SELECT *, to_char(as_of, 'YYYY-MM-DD') AS a, to_char(date_from, 'YYYY-MM-DD') AS f, to_char(date_to, 'YYYY-MM-DD') AS t FROM crosscheck_runs WHERE id = $1`,
      [runId],
    );
    if (!run || run.status === 'completed' || run.status === 'failed') return;
    const phases = this.phases(run.f, run.t, run.countries);
    if (run.status === 'queued') {
      const [{ compliance }] = await this.dataSource.query(`SELECT count(*)::int AS compliance FROM declarations d WHERE ${phases.compliance.where}`, phases.compliance.params);
      const [{ pairs }] = await this.dataSource.query(`SELECT count(*)::int AS pairs FROM declarations d WHERE ${phases.pairs.where}`, phases.pairs.params);
      const [{ flags }] = await this.dataSource.query(`SELECT count(*)::int AS flags FROM flags WHERE holds`);
      await this.dataSource.query(
        `UPDATE crosscheck_runs SET status = 'running', phase = 'compliance', total = $2, flags_before = $3, slices = $4, slice_last_ids = NULL, started_at = now() WHERE id = $1`,
        [runId, compliance + pairs, flags, this.env.RUN_CONCURRENCY],
      );
      run.phase = 'compliance';
      run.slices = this.env.RUN_CONCURRENCY;
      run.slice_last_ids = null;
    }
    const slices = idSlices(run.slices);
    if (run.phase === 'compliance') {
      // The registries (and the kg used under each licence) are read once for the run: every chunk
      // judges against the same registries and totals, and none reads them again.
      const registry = await this.facts.registrySnapshot(this.dataSource.manager);
      await this.walk(runId, phases.compliance, slices, run.slice_last_ids, (manager, ids) => this.checks.checkRunChunk(manager, ids, registry));
      await this.dataSource.query(`UPDATE crosscheck_runs SET phase = 'pairs', slice_last_ids = NULL WHERE id = $1`, [runId]);
      run.phase = 'pairs';
      run.slice_last_ids = null;
    }
    if (run.phase === 'pairs') {
      // Each slice holds its routes' exports from one chunk to the next (see RouteExports).
      const routeExports = slices.map(() => RouteExports.kept());
      await this.walk(runId, phases.pairs, slices, run.slice_last_ids, (manager, ids, slice) => this.pairs.checkExports(manager, ids, routeExports[slice]));
      await this.dataSource.query(`UPDATE crosscheck_runs SET phase = 'statistics', slice_last_ids = NULL WHERE id = $1`, [runId]);
    }
    await this.dataSource.transaction(async (manager) => {
      await this.sweep(manager, run.a, run.countries);
      await this.statistics.recompute(manager, run.a);
      await manager.query(
        `UPDATE crosscheck_runs SET status = 'completed', phase = 'done', finished_at = now(),
                flags_raised = greatest((SELECT count(*)::int FROM flags WHERE holds) - flags_before, 0) WHERE id = $1`,
        [runId],
      );
    });
  }

  /**
   * What each phase walks. Compliance: declarations dated in range (of or to the run's countries).
   * Pairs: the exports whose candidate imports may be dated in range, i.e. from the window before
   * `from` to the date tolerance after `to`.
   */
  private phases(from: string | null, to: string | null, countries: string[] | null): Record<'compliance' | 'pairs', { where: string; params: unknown[] }> {
    const scope = `($3::text[] IS NULL OR d.country = ANY ($3) OR d.partner_country = ANY ($3))`;
    return {
      compliance: { where: `($1::date IS NULL OR d.date >= $1) AND ($2::date IS NULL OR d.date <= $2) AND ${scope}`, params: [from, to, countries] },
      pairs: {
        where: `d.flow = 'export' AND ($1::date IS NULL OR d.date >= $1::date - $4::int) AND ($2::date IS NULL OR d.date <= $2::date + $5::int) AND ${scope}`,
        params: [from, to, countries, this.env.MATCH_WINDOW_DAYS, this.env.DATE_TOLERANCE_DAYS],
      },
    };
  }

  /**
   * Walks a phase's declarations: every slice of the id space at once, each in date order, a chunk per
   * transaction committed with the slice's resume point and the run's progress. Slices hold disjoint
   * declarations (a chunk locks its own; the pair check takes each export's advisory lock), so they
   * never wait for each other but on the run row, updated last and for an instant.
   */
  private async walk(
    runId: string,
    phase: { where: string; params: unknown[] },
    slices: IdSlice[],
    lastIds: (string | null)[] | null,
    work: (manager: EntityManager, ids: string[], slice: number) => Promise<void>,
  ): Promise<void> {
    // A slice that fails stops the others after their chunk, and the run's job fails only once all have
    // stopped: its retry must not find a slice still walking.
    let failure: { error: unknown } | undefined;
    await Promise.all(
      slices.map((slice, index) =>
        this.walkSlice(runId, phase, slice, index, lastIds?.[index] ?? null, work, () => failure !== undefined).catch((error: unknown) => {
          failure ??= { error };
        })),
    );
    if (failure) throw failure.error;
  }

  private async walkSlice(
    runId: string,
    phase: { where: string; params: unknown[] },
    slice: IdSlice,
    index: number,
    after: string | null,
    work: (manager: EntityManager, ids: string[], slice: number) => Promise<void>,
    stopped: () => boolean,
  ): Promise<void> {
    let lastId = after;
    // Only the bounds that apply are written out, so that each is an index condition whatever the plan.
    // A slice is walked by date: the exports of a chunk then share their weeks, and the rivals the pair
    // check reads for them lie in a few months of each route, not in all of its history.
    const bounds = (params: unknown[]) => {
      const conditions: string[] = [];
      const add = (sql: (n: number) => string, value: string) => conditions.push(sql(params.push(value)));
      if (lastId !== null) add((n) => `(d.date, d.id) > (SELECT l.date, l.id FROM declarations l WHERE l.id = $${n}::uuid)`, lastId);
      if (slice.from !== null) add((n) => `d.id >= $${n}::uuid`, slice.from);
      if (slice.to !== null) add((n) => `d.id < $${n}::uuid`, slice.to);
      return conditions.map((c) => ` AND ${c}`).join('');
    };
    while (!stopped()) {
      const done = await this.dataSource.transaction(async (manager) => {
        // As in a check (CheckService.checkMany): the prepared statements of the work are planned for
        // the tables as they stand. A run fills the flags and matches tables as it goes, and a generic
        // plan made while they were small made every chunk slower than the one before.
        await manager.query(`SET LOCAL plan_cache_mode = force_custom_plan`);
        const params = [...phase.params];
        const where = bounds(params);
        const walked: string[] = (await manager.query(`SELECT d.id FROM declarations d WHERE ${phase.where}${where} ORDER BY d.date, d.id LIMIT ${CHUNK}`, params)).map((r: { id: string }) => r.id);
        if (walked.length === 0) return true;
        // The work takes its rows in id order, as checks do, so that overlapping work never deadlocks.
        const ids = [...walked].sort();
        await work(manager, ids, index);
        await manager.query(
          `UPDATE crosscheck_runs SET done = least(done + $2, total),
                  slice_last_ids = (SELECT array_agg(CASE WHEN i = $3 THEN $4::uuid ELSE (coalesce(slice_last_ids, '{}'::uuid[]))[i] END ORDER BY i) FROM generate_series(1, slices) i)
            WHERE id = $1`,
          [runId, ids.length, index + 1, walked[walked.length - 1]],
        );
        lastId = walked[walked.length - 1];
        return false;
      });
      if (done) return;
    }
  }

  /** The scheduled sweep: the windows that have passed by today, for every country, and the statistics. */
  async sweepNow(): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      const asOf = today();
      await this.sweep(manager, asOf, null);
      await this.statistics.recompute(manager, asOf);
    });
  }

  /** Raises and closes NO_MATCHING_IMPORT and NO_MATCHING_EXPORT as they stand at `asOf`, set-based. */
  async sweep(manager: EntityManager, asOf: string, countries: string[] | null): Promise<void> {
    const window = this.env.MATCH_WINDOW_DAYS;
    const scope = `($3::text[] IS NULL OR d.country = ANY ($3) OR d.partner_country = ANY ($3))`;
    const due = {
      NO_MATCHING_IMPORT: `SELECT d.* FROM declarations d WHERE d.flow = 'export' AND d.status <> 'cancelled' AND d.date <= $1::date - $2::int AND ${scope}
                              AND NOT EXISTS (SELECT 1 FROM matches m WHERE m.export_id = d.id)`,
      // Only imports from a country that files its declarations into hgtrace for that period can miss their export.
      NO_MATCHING_EXPORT: `SELECT d.* FROM declarations d WHERE d.flow = 'import' AND d.status <> 'cancelled' AND d.date <= $1::date - $2::int AND ${scope}
                              AND NOT EXISTS (SELECT 1 FROM matches m WHERE m.import_id = d.id)
                              AND EXISTS (SELECT 1 FROM declarations r WHERE r.country = d.partner_country AND r.flow = 'export'
                                           AND r.date BETWEEN d.date - $2::int AND d.date)`,
    };
    const summary = {
      NO_MATCHING_IMPORT: `'Export ' || d.number || ' of ' || ${KG} || ' kg to ' || d.partner_country || ' dated ' || d.date || ': no import was declared in ' || d.partner_country || ' within ' || $2 || ' days'`,
      NO_MATCHING_EXPORT: `'Import ' || d.number || ' of ' || ${KG} || ' kg from ' || d.partner_country || ' dated ' || d.date || ': ' || d.partner_country || ' declared no matching export'`,
    };
    for (const code of ['NO_MATCHING_IMPORT', 'NO_MATCHING_EXPORT'] as const) {
      const prefix = code === 'NO_MATCHING_IMPORT' ? 'export:' : 'import:';
      await manager.query(
        `WITH due AS (${due[code]}),
              upserted AS (
                INSERT INTO flags AS f (code, subject, severity, score, summary, countries, declaration_ids, evidence)
                SELECT '${code}', '${prefix}' || d.id, 'high', 0.9, ${summary[code]}, ARRAY(SELECT DISTINCT c FROM unnest(ARRAY[d.country::text, d.partner_country::text]) c ORDER BY c), ARRAY[d.id],
                       jsonb_build_object('declaration', jsonb_build_object('id', d.id, 'country', d.country, 'number', d.number, 'date', d.date, 'netMassKg', d.total_net_mass_kg),
                                          'asOf', $1::date, 'windowDays', $2::int)
                  FROM due d
                ON CONFLICT (code, subject) DO UPDATE SET holds = true, version = f.version + 1, updated_at = now(),
                       status = CASE WHEN f.status = 'dismissed' THEN 'open' ELSE f.status END
                 WHERE NOT f.holds
                RETURNING f.id, (xmax = 0) AS inserted)
         INSERT INTO flag_history (flag_id, action, to_status, reason, actor)
         SELECT id, CASE WHEN inserted THEN 'raised' ELSE 'holds_again' END, 'open', 'sweep at ' || $1, 'crosscheck' FROM upserted`,
        [asOf, window, countries],
      );
      const closed = rowsOf<{ id: string; status: string }>(
        await manager.query(
          `UPDATE flags f SET holds = false, version = f.version + 1, updated_at = now(), status = CASE WHEN f.status = 'open' THEN 'dismissed' ELSE f.status END
            WHERE f.code = '${code}' AND f.holds
              AND ($3::text[] IS NULL OR f.countries && $3)
              AND NOT EXISTS (SELECT 1 FROM (${due[code]}) d WHERE '${prefix}' || d.id = f.subject)
            RETURNING f.id, f.status`,
          [asOf, window, countries],
        ),
      );
      for (const flag of closed) {
        await manager.query(`INSERT INTO flag_history (flag_id, action, to_status, reason, actor) VALUES ($1, 'no_longer_holds', $2, 'a counterpart was declared', 'crosscheck')`, [flag.id, flag.status]);
      }
    }
  }
}
