import { Readable } from 'node:stream';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { stringify } from 'csv-stringify/sync';
import { IsIn, IsInt, IsISO8601, IsOptional, IsString, IsUUID, Matches, Max, MaxLength, Min, MinLength, ValidateIf } from 'class-validator';
import type { DataSource, EntityManager } from 'typeorm';
import { AuditService } from '@hgtrace/audit';
import { canSee, countryScope, ensureVisible } from '@hgtrace/auth';
import {
  type Actor, BusinessRuleError, decodeCursor, DomainError, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, NotFoundError, type Page, StaleVersionError, toPage, ValidationFailedError,
} from '@hgtrace/common';
import { RULE_CODES, type RuleCode, SEVERITIES, type Severity } from '@hgtrace/common';
import { rowsOf } from '@hgtrace/database';
import { today, toNumber } from '@hgtrace/registry';
import { type DesiredFlag, type ReconcileScope, reconcileFlags } from './reconcile.js';

export const FLAG_STATUSES = ['open', 'in_review', 'confirmed', 'dismissed'] as const;
export type FlagStatus = (typeof FLAG_STATUSES)[number];

export interface FlagView {
  id: string;
  code: RuleCode;
  severity: Severity;
  score: number;
  status: FlagStatus;
  /** False once the rule no longer holds (after an amendment or a cancellation). */
  holds: boolean;
  summary: string;
  countries: string[];
  declarationIds: string[];
  evidence: Record<string, unknown>;
  assigneeId: string | null;
  version: number;
  createdAt: string;
  updatedAt: string;
}

/** A declaration a flag is about, with the licence and consent it cites, for the evidence side by side. */
export interface RelatedDeclaration {
  id: string;
  number: string;
  country: string;
  flow: 'export' | 'import';
  status: 'received' | 'amended' | 'cancelled';
  version: number;
  date: string;
  trader: { nationalId: string; name: string };
  counterparty: { name: string; country: string };
  partnerCountry: string;
  originCountry: string;
  transportDocument: string | null;
  totalNetMassKg: number;
  totalValueUsd: number;
  hsCodes: string[];
  /** As cited on the declaration. */
  licenceNumber: string | null;
  consentReference: string | null;
  /** The licence cited (else the one the declaration was counted against), with its status today; null if none. */
  licence: { id: string; number: string; type: string; status: string; validFrom: string; validTo: string; maxQuantityKg: number | null; usedQuantityKg: number } | null;
  /** The consent cited (else the one drawn from); null if none. */
  consent: {
    id: string; reference: string; type: string; status: string; exportingCountry: string; importingCountry: string; validFrom: string; validTo: string;
    quantityKg: number | null; usedQuantityKg: number; remainingQuantityKg: number | null;
  } | null;
}

/** Another case about the same trader that is still being worked. */
export interface TraderFlag {
  id: string;
  code: RuleCode;
  severity: Severity;
  status: FlagStatus;
  summary: string;
  createdAt: string;
}

export interface FlagRelated {
  /** The declarations of the flag, exports first, then by date. */
  declarations: RelatedDeclaration[];
  /** For each trader declaring one of them (national id within its country): its other flags that hold and are open or in review, newest first (up to 50), among those the caller can see. */
  traders: { country: string; nationalId: string; name: string; openFlags: TraderFlag[] }[];
}

export interface FlagDetail extends FlagView {
  comments: { id: string; author: string; text: string; createdAt: string }[];
  history: { action: string; from: string | null; to: string | null; reason: string | null; actor: string; at: string }[];
  related: FlagRelated;
}

/** The columns of the CSV export, in order. */
const EXPORT_COLUMNS = ['id', 'code', 'severity', 'score', 'status', 'countries', 'declaration_numbers', 'summary', 'assignee_email', 'created_at', 'updated_at'];
/** Rows fetched from the export cursor at a time: what the export holds in memory at most. */
const EXPORT_BATCH = 1000;
/** Exports at once per process: each holds a connection of the pool for as long as its client downloads. */
const MAX_CONCURRENT_EXPORTS = 3;
/** A client that stops reading for this long loses its export (Postgres ends the idle transaction), so it cannot hold back vacuum for ever. */
const EXPORT_IDLE_TIMEOUT = '10min';

const upper = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim().toUpperCase() : value);

/** The workflow: open → in_review → confirmed | dismissed; a closed case can be reopened. */
const TRANSITIONS: Record<FlagStatus, FlagStatus[]> = {
  open: ['in_review', 'confirmed', 'dismissed'],
  in_review: ['open', 'confirmed', 'dismissed'],
  confirmed: ['open'],
  dismissed: ['open'],
};

export class UpdateFlagDto {
  @ApiProperty({ example: 3, description: 'the version read; 409 if the flag has changed since' }) @IsInt() @Min(1) version: number;
  @ApiPropertyOptional({ enum: FLAG_STATUSES }) @IsOptional() @IsIn(FLAG_STATUSES) status?: FlagStatus;
  @ApiPropertyOptional({ nullable: true, description: 'an analyst who can see the flag; null to unassign' })
  @ValidateIf((_, value) => value !== null) @IsOptional() @IsUUID('all')
  assigneeId?: string | null;
  @ApiPropertyOptional({ example: 'Seizure report SUNAT 2026-114 confirms the diversion', description: 'required to confirm or dismiss' })
  @IsOptional() @IsString() @MinLength(3) @MaxLength(4000)
  reason?: string;
}

export class CommentDto {
  @ApiProperty({ example: 'Asked BO customs for the container seal records' }) @IsString() @MinLength(1) @MaxLength(10000) text: string;
}

export const FLAG_SORTS = ['date', 'score'] as const;
export type FlagSort = (typeof FLAG_SORTS)[number];

/**
 * Each order of the list and its keyset: a page starts after the key of the last row served, so
 * paging stays right under either order. Every order ends on (created_at, id), which is unique.
 */
const ORDERS: Record<FlagSort, { orderBy: string; after: string; arity: number }> = {
  date: { orderBy: 'f.created_at DESC, f.id DESC', after: '(f.created_at, f.id) < ($10::timestamptz, $11::uuid)', arity: 2 },
  score: { orderBy: 'f.score DESC, f.created_at DESC, f.id DESC', after: '(f.score, f.created_at, f.id) < ($15::numeric, $10::timestamptz, $11::uuid)', arity: 3 },
};

interface FlagFilter {
  ids?: string[];
  declarationId?: string;
  scope: string[] | null;
  status?: string;
  code?: string;
  country?: string;
  severity?: string;
  from?: string;
  to?: string;
  assignee?: string;
  q?: string;
  sort?: FlagSort;
  /** null for no limit (the export). */
  limit: number | null;
  /** The key of the last row served: [createdAt, id] by date, [score, createdAt, id] by score. */
  after?: (string | number)[] | null;
}

/** The filters and order shared by the list, the summary and the export. */
export class FlagFiltersQuery {
  @ApiPropertyOptional({ enum: FLAG_STATUSES }) @IsOptional() @IsIn(FLAG_STATUSES) status?: FlagStatus;
  @ApiPropertyOptional({ enum: RULE_CODES }) @IsOptional() @Transform(upper) @IsIn(RULE_CODES) code?: RuleCode;
  @ApiPropertyOptional({ example: 'BO' }) @IsOptional() @Transform(upper) @IsString() @Matches(/^[A-Z]{2}$/, { message: 'must be an ISO 3166-1 alpha-2 country code' }) country?: string;
  @ApiPropertyOptional({ enum: SEVERITIES }) @IsOptional() @IsIn(SEVERITIES) severity?: Severity;
  @ApiPropertyOptional({ example: '2026-01-01', description: 'raised on or after' }) @IsOptional() @IsISO8601({ strict: true }) from?: string;
  @ApiPropertyOptional({ example: '2026-12-31', description: 'raised on or before' }) @IsOptional() @IsISO8601({ strict: true }) to?: string;
  @ApiPropertyOptional({ description: 'a user id, or "none" for unassigned flags' }) @IsOptional() @IsString() @Matches(/^(none|[0-9a-fA-F-]{36})$/, { message: 'must be a user id or none' }) assignee?: string;
  @ApiPropertyOptional({ example: 'MX-2026-000123', description: 'free text over declaration numbers and trader names' }) @IsOptional() @IsString() @MinLength(2) @MaxLength(200) q?: string;
  @ApiPropertyOptional({ enum: FLAG_SORTS, default: 'date', description: 'date: newest first; score: highest score first, ties newest first' })
  @IsOptional() @IsIn(FLAG_SORTS, { message: `must be one of ${FLAG_SORTS.join(', ')}` })
  sort?: FlagSort;
}

export class ListFlagsQuery extends FlagFiltersQuery {
  @ApiPropertyOptional({ default: DEFAULT_PAGE_SIZE, maximum: MAX_PAGE_SIZE }) @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(MAX_PAGE_SIZE) limit?: number;
  @ApiPropertyOptional({ description: 'nextCursor of the previous page, with the same sort' }) @IsOptional() @IsString() @MaxLength(512) cursor?: string;
}

/**
 * Flags: raised and closed by the checks, idempotently (one flag per rule code and subject; raising an
 * unchanged flag again changes nothing), and read by everyone whose countries they involve.
 */
@Injectable()
export class FlagsService {
  private exportsRunning = 0;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly audit: AuditService,
  ) {}

  /**
   * An analyst's change: status (a reason to confirm or dismiss), assignment, or both, against the
   * version they read (409 when someone changed the flag in between). Each change goes into the
   * flag's history and the audit log.
   */
  async update(actor: Actor, id: string, dto: UpdateFlagDto): Promise<FlagDetail> {
    if (dto.status === undefined && dto.assigneeId === undefined) throw ValidationFailedError.of('status', 'give a status or an assigneeId to change');
    if ((dto.status === 'confirmed' || dto.status === 'dismissed') && !dto.reason) throw ValidationFailedError.of('reason', `is required to ${dto.status === 'confirmed' ? 'confirm' : 'dismiss'} a flag`);
    await this.dataSource.transaction(async (manager) => {
      const [flag] = await manager.query(`SELECT status, version, countries, assignee_id FROM flags WHERE id = $1 FOR UPDATE`, [id]);
      if (!flag) throw new NotFoundError('Flag', id);
      ensureVisible(actor, flag.countries, 'Flag', id);
      if (flag.version !== dto.version) throw new StaleVersionError('Flag', dto.version, flag.version);
      const status: FlagStatus = dto.status ?? flag.status;
      if (status !== flag.status && !TRANSITIONS[flag.status as FlagStatus].includes(status)) {
        throw new BusinessRuleError(`A ${flag.status} flag cannot become ${status}`, [{ path: 'status', message: `must be one of ${TRANSITIONS[flag.status as FlagStatus].join(', ')}` }]);
      }
      const assignee = dto.assigneeId === undefined ? flag.assignee_id : dto.assigneeId;
      if (dto.assigneeId) {
        const [user] = await manager.query(`SELECT role, countries FROM users WHERE id = $1 AND deleted_at IS NULL`, [dto.assigneeId]);
        if (!user || user.role !== 'analyst' || !canSee(user, flag.countries)) throw ValidationFailedError.of('assigneeId', 'must be an analyst who can see this flag');
      }
      await manager.query(`UPDATE flags SET status = $2, assignee_id = $3, version = version + 1, updated_at = now() WHERE id = $1`, [id, status, assignee]);
      if (status !== flag.status) await this.history(manager, id, status === 'open' ? 'reopened' : 'status', flag.status, status, dto.reason ?? null, actor.email, actor.userId);
      if (assignee !== flag.assignee_id) await this.history(manager, id, assignee ? 'assigned' : 'unassigned', null, null, assignee, actor.email, actor.userId);
      await this.audit.record(manager, actor, {
        action: 'flag.update', entity: 'flag', entityId: id, countries: flag.countries,
        before: { status: flag.status, assigneeId: flag.assignee_id, version: flag.version },
        after: { status, assigneeId: assignee, version: flag.version + 1, reason: dto.reason ?? null },
      });
    });
    return this.get(actor, id);
  }

  async comment(actor: Actor, id: string, text: string): Promise<FlagDetail['comments'][number]> {
    return this.dataSource.transaction(async (manager) => {
      const [flag] = await manager.query(`SELECT countries FROM flags WHERE id = $1`, [id]);
      if (!flag) throw new NotFoundError('Flag', id);
      ensureVisible(actor, flag.countries, 'Flag', id);
      const [row] = await manager.query(`INSERT INTO flag_comments (flag_id, author_id, author, text) VALUES ($1, $2, $3, $4) RETURNING id, created_at`, [id, actor.userId, actor.email, text]);
      await this.audit.record(manager, actor, { action: 'flag.comment', entity: 'flag', entityId: id, countries: flag.countries, after: { commentId: row.id, text } });
      return { id: row.id, author: actor.email, text, createdAt: (row.created_at as Date).toISOString() };
    });
  }

  /** Counts by code, severity and status for a dashboard, with the same filters as the list. */
  async summary(actor: Actor, query: ListFlagsQuery): Promise<{ total: number; byCode: Record<string, number>; bySeverity: Record<string, number>; byStatus: Record<string, number> }> {
    const groups: { code: string; severity: string; status: string; n: number }[] = await this.dataSource.query(
      ...this.filtered('SELECT f.code, f.severity, f.status, count(*)::int AS n', 'GROUP BY 1, 2, 3', { ...query, scope: countryScope(actor), limit: 1000 }),
    );
    const count = (key: 'code' | 'severity' | 'status') => groups.reduce<Record<string, number>>((acc, g) => ({ ...acc, [g[key]]: (acc[g[key]] ?? 0) + g.n }), {});
    return { total: groups.reduce((sum, g) => sum + g.n, 0), byCode: count('code'), bySeverity: count('severity'), byStatus: count('status') };
  }

  /**
   * Makes the flags of `codes` about `subjects` be exactly `desired`: raises the new ones, updates the
   * changed ones, closes (holds = false) those that no longer hold and reopens those that hold again,
   * each with a history line. Within the caller's transaction.
   */
  async reconcile(manager: EntityManager, scope: ReconcileScope, desired: DesiredFlag[], actor: string): Promise<{ raised: number; closed: number }> {
    return reconcileFlags(manager, scope, desired, actor);
  }

  async list(actor: Actor, query: ListFlagsQuery): Promise<Page<FlagView>> {
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const sort = query.sort ?? 'date';
    const rows = await this.query({ ...query, scope: countryScope(actor), limit: limit + 1, after: flagCursor(query.cursor, sort) });
    return toPage(rows, limit, (f) => (sort === 'score' ? [f.score, f.createdAt, f.id] : [f.createdAt, f.id]));
  }

  async get(actor: Actor, id: string): Promise<FlagDetail> {
    const [flag] = await this.query({ ids: [id], scope: null, limit: 1 });
    if (!flag) throw new NotFoundError('Flag', id);
    ensureVisible(actor, flag.countries, 'Flag', id);
    const [comments, history, related] = await Promise.all([
      this.dataSource.query(`SELECT id, author, text, created_at FROM flag_comments WHERE flag_id = $1 ORDER BY created_at, id`, [id]),
      this.dataSource.query(`SELECT action, from_status, to_status, reason, actor, at FROM flag_history WHERE flag_id = $1 ORDER BY id`, [id]),
      this.related(actor, flag),
    ]);
    return {
      related,
      ...flag,
      comments: comments.map((c: Record<string, unknown>) => ({ id: c.id as string, author: c.author as string, text: c.text as string, createdAt: (c.created_at as Date).toISOString() })),
      history: history.map((h: Record<string, unknown>) => ({
        action: h.action as string, from: h.from_status as string | null, to: h.to_status as string | null, reason: h.reason as string | null, actor: h.actor as string, at: (h.at as Date).toISOString(),
      })),
    };
  }

  /**
   * The flags of the list's filters and order as CSV, read from a server-side cursor a batch at a
   * time as the client takes them (backpressure), so that an export of any size holds only a batch in
   * memory. The cursor lives in a read-only transaction on a connection of its own, given back when
   * the stream ends, fails or is destroyed (a client that goes away). Errors in the statement surface
   * here, before any byte is sent. A few exports run at once per process; one more is a 429.
   */
  async exportCsv(actor: Actor, query: FlagFiltersQuery): Promise<Readable> {
    const [sql, params] = this.filtered(
      `SELECT f.id, f.code, f.severity, f.score::float8 AS score, f.status, array_to_string(f.countries, ';') AS countries,
              (SELECT string_agg(d.number, ';' ORDER BY d.number) FROM declarations d WHERE d.id = ANY (f.declaration_ids)) AS declaration_numbers,
              f.summary, (SELECT u.email FROM users u WHERE u.id = f.assignee_id) AS assignee_email,
              to_char(f.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS created_at,
              to_char(f.updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS updated_at`,
      `ORDER BY ${ORDERS[query.sort ?? 'date'].orderBy}`,
      { ...query, scope: countryScope(actor), limit: null },
    );
    if (this.exportsRunning >= MAX_CONCURRENT_EXPORTS) {
      throw new DomainError('RATE_LIMITED', `${MAX_CONCURRENT_EXPORTS} exports are running; try again when one has finished`);
    }
    this.exportsRunning += 1;
    const runner = this.dataSource.createQueryRunner();
    const done = async () => {
      // Ending the transaction closes the cursor; then the connection goes back to the pool.
      await runner.rollbackTransaction().catch(() => undefined);
      await runner.release();
      this.exportsRunning -= 1;
    };
    try {
      await runner.startTransaction();
      await runner.query('SET TRANSACTION READ ONLY');
      await runner.query(`SET LOCAL idle_in_transaction_session_timeout = '${EXPORT_IDLE_TIMEOUT}'`);
      await runner.query(`DECLARE flag_export NO SCROLL CURSOR FOR ${sql}`, params);
    } catch (error) {
      await done();
      throw error;
    }
    // One chunk of CSV per batch: a write per row would cost a chunk of the HTTP response per row.
    async function* batches(): AsyncGenerator<string> {
      yield stringify([EXPORT_COLUMNS]);
      for (;;) {
        const rows: Record<string, unknown>[] = await runner.query(`FETCH ${EXPORT_BATCH} FROM flag_export`);
        if (rows.length > 0) yield stringify(rows, { columns: EXPORT_COLUMNS, escape_formulas: true });
        if (rows.length < EXPORT_BATCH) return;
      }
    }
    const csv = Readable.from(batches(), { objectMode: false });
    // 'close' follows the end, an error and a destroy alike, and only once a pending FETCH has returned.
    csv.once('close', () => void done());
    return csv;
  }

  /** The evidence around a flag: its declarations with the licences and consents they cite, and their traders' other open cases. */
  private async related(actor: Actor, flag: FlagView): Promise<FlagRelated> {
    if (flag.declarationIds.length === 0) return { declarations: [], traders: [] };
    const [declarations, traderFlags] = await Promise.all([
      this.dataSource.query(
        `SELECT d.id, d.number, d.country, d.flow, d.status, d.version, to_char(d.date, 'YYYY-MM-DD') AS date, d.trader_national_id, d.trader_name,
                d.counterparty_name, d.counterparty_country, d.partner_country, d.origin_country, d.transport_document,
                d.total_net_mass_kg::text AS total_kg, d.total_value_usd::text AS total_usd, d.licence_number, d.consent_reference,
                ARRAY(SELECT DISTINCT i.hs_code FROM declaration_items i WHERE i.declaration_id = d.id ORDER BY 1) AS hs_codes,
                CASE WHEN l.id IS NULL THEN NULL ELSE json_build_object(
                  'id', l.id, 'number', l.number, 'type', l.type,
                  'status', CASE WHEN l.status = 'active' AND l.valid_to < $2::date THEN 'expired' ELSE l.status END,
                  'validFrom', to_char(l.valid_from, 'YYYY-MM-DD'), 'validTo', to_char(l.valid_to, 'YYYY-MM-DD'),
                  'maxQuantityKg', l.max_quantity_kg::text, 'usedQuantityKg', l.used_quantity_kg::text) END AS licence,
                CASE WHEN c.id IS NULL THEN NULL ELSE json_build_object(
                  'id', c.id, 'reference', c.reference, 'type', c.type, 'status', c.status,
                  'exportingCountry', c.exporting_country, 'importingCountry', c.importing_country,
                  'validFrom', to_char(c.valid_from, 'YYYY-MM-DD'), 'validTo', to_char(c.valid_to, 'YYYY-MM-DD'),
                  'quantityKg', c.quantity_kg::text, 'usedQuantityKg', c.used_quantity_kg::text,
                  'remainingQuantityKg', (c.quantity_kg - c.used_quantity_kg)::text) END AS consent
           FROM declarations d
           LEFT JOIN LATERAL (
                SELECT l.* FROM licences l
                 WHERE (l.country = d.country AND l.number = d.licence_number) OR l.id = d.licence_id
                 ORDER BY (l.number = d.licence_number) DESC LIMIT 1) l ON true
           LEFT JOIN LATERAL (
                SELECT c.* FROM consents c
                 WHERE (c.reference = d.consent_reference AND d.country IN (c.exporting_country, c.importing_country)
                        AND d.partner_country IN (c.exporting_country, c.importing_country))
                    OR c.id = d.consent_id
                 ORDER BY (c.reference = d.consent_reference) DESC, (c.type <> 'export_notification') DESC LIMIT 1) c ON true
          WHERE d.id = ANY ($1)
          ORDER BY d.flow, d.date, d.number`,
        [flag.declarationIds, today()],
      ),
      this.dataSource.query(
        `SELECT t.country, t.national_id, t.name, o.id, o.code, o.severity, o.status, o.summary,
                to_char(o.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS created
           FROM (SELECT DISTINCT ON (country, trader_national_id) country, trader_national_id AS national_id, trader_name AS name
                   FROM declarations WHERE id = ANY ($1) ORDER BY country, trader_national_id, date DESC) t
           LEFT JOIN LATERAL (
                SELECT f.* FROM flags f
                 WHERE f.declaration_ids && ARRAY(SELECT d.id FROM declarations d WHERE d.country = t.country AND d.trader_national_id = t.national_id)
                   AND f.id <> $2 AND f.holds AND f.status IN ('open', 'in_review') AND ($3::text[] IS NULL OR f.countries && $3)
                 ORDER BY f.created_at DESC, f.id DESC LIMIT 50) o ON true
          ORDER BY t.country, t.national_id, o.created_at DESC, o.id DESC`,
        [flag.declarationIds, flag.id, countryScope(actor)],
      ),
    ]);
    const traders = new Map<string, FlagRelated['traders'][number]>();
    for (const r of traderFlags as Record<string, string | null>[]) {
      const key = `${r.country}|${r.national_id}`;
      if (!traders.has(key)) traders.set(key, { country: r.country!, nationalId: r.national_id!, name: r.name!, openFlags: [] });
      if (r.id) {
        traders.get(key)!.openFlags.push({ id: r.id, code: r.code as RuleCode, severity: r.severity as Severity, status: r.status as FlagStatus, summary: r.summary!, createdAt: r.created! });
      }
    }
    return { declarations: (declarations as Record<string, unknown>[]).map(toRelatedDeclaration), traders: [...traders.values()] };
  }

  /** The flags about one declaration, for its detail. */
  async forDeclaration(declarationId: string): Promise<FlagView[]> {
    return this.query({ declarationId, scope: null, limit: 500 });
  }

  private history(manager: EntityManager, flagId: string, action: string, from: string | null, to: string | null, reason: string | null, actor: string, actorId: string | null = null): Promise<unknown> {
    return manager.query(`INSERT INTO flag_history (flag_id, action, from_status, to_status, reason, actor, actor_id) VALUES ($1, $2, $3, $4, $5, $6, $7)`, [flagId, action, from, to, reason, actor, actorId]);
  }

  private async query(filter: FlagFilter): Promise<FlagView[]> {
    const rows: Record<string, unknown>[] = await this.dataSource.query(
      ...this.filtered(
        `SELECT f.*, to_char(f.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS created`,
        `ORDER BY ${ORDERS[filter.sort ?? 'date'].orderBy}`,
        filter,
      ),
    );
    return rows.map((r) => ({
      id: r.id as string,
      code: r.code as RuleCode,
      severity: r.severity as Severity,
      score: Number(r.score),
      status: r.status as FlagStatus,
      holds: r.holds as boolean,
      summary: r.summary as string,
      countries: r.countries as string[],
      declarationIds: r.declaration_ids as string[],
      evidence: r.evidence as Record<string, unknown>,
      assigneeId: (r.assignee_id as string | null) ?? null,
      version: r.version as number,
      createdAt: r.created as string,
      updatedAt: (r.updated_at as Date).toISOString(),
    }));
  }

  /** One set of filters for the list, the summary and the export: the statement and its parameters. */
  private filtered(select: string, tail: string, filter: FlagFilter): [string, unknown[]] {
    const sort = filter.sort ?? 'date';
    const [createdAt, id] = filter.after?.slice(-2) ?? [null, null];
    return [
      `${select}
         FROM flags f
        WHERE ($1::uuid[] IS NULL OR f.id = ANY ($1))
          AND ($2::uuid IS NULL OR f.declaration_ids @> ARRAY[$2::uuid])
          AND ($3::text[] IS NULL OR f.countries && $3)
          AND ($4::text IS NULL OR f.status = $4)
          AND ($5::text IS NULL OR f.code = $5)
          AND ($6::text IS NULL OR $6 = ANY (f.countries))
          AND ($7::text IS NULL OR f.severity = $7)
          AND ($8::timestamptz IS NULL OR f.created_at >= $8)
          AND ($9::timestamptz IS NULL OR f.created_at < $9::date + 1)
          AND ($11::uuid IS NULL OR ${ORDERS[sort].after})
          AND ($13::text IS NULL OR ($13 = 'none' AND f.assignee_id IS NULL) OR f.assignee_id::text = lower($13))
          AND ($14::text IS NULL OR EXISTS (SELECT 1 FROM declarations d WHERE d.id = ANY (f.declaration_ids)
                 AND (d.number ILIKE '%' || $14 || '%' OR hg_normalize_name(d.trader_name) LIKE '%' || hg_normalize_name($14) || '%'
                      OR hg_normalize_name(d.counterparty_name) LIKE '%' || hg_normalize_name($14) || '%')))
        ${tail} LIMIT $12`,
      [filter.ids ?? null, filter.declarationId ?? null, filter.scope, filter.status ?? null, filter.code ?? null, filter.country ?? null, filter.severity ?? null,
        filter.from ?? null, filter.to ?? null, createdAt, id, filter.limit, filter.assignee ?? null, filter.q ?? null,
        ...(sort === 'score' ? [filter.after?.[0] ?? null] : [])],
    ];
  }
}

const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The keyset a list cursor holds for `sort`; a cursor of the other order, or a forged one, is a 400. */
function flagCursor(cursor: string | undefined, sort: FlagSort): (string | number)[] | null {
  const key = decodeCursor(cursor, ORDERS[sort].arity);
  if (!key) return null;
  const [createdAt, id] = key.slice(-2);
  const score = sort === 'score' ? key[0] : 0;
  if (typeof score !== 'number' || !Number.isFinite(score) || typeof createdAt !== 'string' || !TIMESTAMP.test(createdAt) || typeof id !== 'string' || !UUID.test(id)) {
    throw ValidationFailedError.of('cursor', `is not a cursor of this list sorted by ${sort}`);
  }
  return key;
}

function toRelatedDeclaration(r: Record<string, unknown>): RelatedDeclaration {
  const licence = r.licence as Record<string, string | null> | null;
  const consent = r.consent as Record<string, string | null> | null;
  return {
    id: r.id as string,
    number: r.number as string,
    country: r.country as string,
    flow: r.flow as RelatedDeclaration['flow'],
    status: r.status as RelatedDeclaration['status'],
    version: r.version as number,
    date: r.date as string,
    trader: { nationalId: r.trader_national_id as string, name: r.trader_name as string },
    counterparty: { name: r.counterparty_name as string, country: r.counterparty_country as string },
    partnerCountry: r.partner_country as string,
    originCountry: r.origin_country as string,
    transportDocument: (r.transport_document as string | null) ?? null,
    totalNetMassKg: toNumber(r.total_kg as string) ?? 0,
    totalValueUsd: toNumber(r.total_usd as string) ?? 0,
    hsCodes: r.hs_codes as string[],
    licenceNumber: (r.licence_number as string | null) ?? null,
    consentReference: (r.consent_reference as string | null) ?? null,
    licence: licence && {
      id: licence.id!, number: licence.number!, type: licence.type!, status: licence.status!, validFrom: licence.validFrom!, validTo: licence.validTo!,
      maxQuantityKg: toNumber(licence.maxQuantityKg), usedQuantityKg: toNumber(licence.usedQuantityKg) ?? 0,
    },
    consent: consent && {
      id: consent.id!, reference: consent.reference!, type: consent.type!, status: consent.status!, exportingCountry: consent.exportingCountry!,
      importingCountry: consent.importingCountry!, validFrom: consent.validFrom!, validTo: consent.validTo!,
      quantityKg: toNumber(consent.quantityKg), usedQuantityKg: toNumber(consent.usedQuantityKg) ?? 0, remainingQuantityKg: toNumber(consent.remainingQuantityKg),
    },
  };
}
