import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { IsIn, IsInt, IsISO8601, IsOptional, IsString, IsUUID, Matches, Max, MaxLength, Min, MinLength, ValidateIf } from 'class-validator';
import type { DataSource, EntityManager } from 'typeorm';
import { AuditService } from '@hgtrace/audit';
import { canSee, countryScope, ensureVisible } from '@hgtrace/auth';
import {
  type Actor, BusinessRuleError, decodeCursor, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, NotFoundError, type Page, StaleVersionError, toPage, ValidationFailedError,
} from '@hgtrace/common';
import { RULE_CODES, type RuleCode, SEVERITIES, type Severity } from '@hgtrace/common';
import { rowsOf } from '@hgtrace/database';
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

export interface FlagDetail extends FlagView {
  comments: { id: string; author: string; text: string; createdAt: string }[];
  history: { action: string; from: string | null; to: string | null; reason: string | null; actor: string; at: string }[];
}

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
  limit: number;
  after?: [string, string] | null;
}

export class ListFlagsQuery {
  @ApiPropertyOptional({ enum: FLAG_STATUSES }) @IsOptional() @IsIn(FLAG_STATUSES) status?: FlagStatus;
  @ApiPropertyOptional({ enum: RULE_CODES }) @IsOptional() @Transform(upper) @IsIn(RULE_CODES) code?: RuleCode;
  @ApiPropertyOptional({ example: 'BO' }) @IsOptional() @Transform(upper) @IsString() @Matches(/^[A-Z]{2}$/, { message: 'must be an ISO 3166-1 alpha-2 country code' }) country?: string;
  @ApiPropertyOptional({ enum: SEVERITIES }) @IsOptional() @IsIn(SEVERITIES) severity?: Severity;
  @ApiPropertyOptional({ example: '2026-01-01', description: 'raised on or after' }) @IsOptional() @IsISO8601({ strict: true }) from?: string;
  @ApiPropertyOptional({ example: '2026-12-31', description: 'raised on or before' }) @IsOptional() @IsISO8601({ strict: true }) to?: string;
  @ApiPropertyOptional({ description: 'a user id, or "none" for unassigned flags' }) @IsOptional() @IsString() @Matches(/^(none|[0-9a-fA-F-]{36})$/, { message: 'must be a user id or none' }) assignee?: string;
  @ApiPropertyOptional({ example: 'MX-2026-000123', description: 'free text over declaration numbers and trader names' }) @IsOptional() @IsString() @MinLength(2) @MaxLength(200) q?: string;
  @ApiPropertyOptional({ default: DEFAULT_PAGE_SIZE, maximum: MAX_PAGE_SIZE }) @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(MAX_PAGE_SIZE) limit?: number;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(512) cursor?: string;
}

/**
 * Flags: raised and closed by the checks, idempotently (one flag per rule code and subject; raising an
 * unchanged flag again changes nothing), and read by everyone whose countries they involve.
 */
@Injectable()
export class FlagsService {
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
    const cursor = decodeCursor(query.cursor, 2) as [string, string] | null;
    const rows = await this.query({ ...query, scope: countryScope(actor), limit: limit + 1, after: cursor });
    return toPage(rows, limit, (f) => [f.createdAt, f.id]);
  }

  async get(actor: Actor, id: string): Promise<FlagDetail> {
    const [flag] = await this.query({ ids: [id], scope: null, limit: 1 });
    if (!flag) throw new NotFoundError('Flag', id);
    ensureVisible(actor, flag.countries, 'Flag', id);
    const [comments, history] = await Promise.all([
      this.dataSource.query(`SELECT id, author, text, created_at FROM flag_comments WHERE flag_id = $1 ORDER BY created_at, id`, [id]),
      this.dataSource.query(`SELECT action, from_status, to_status, reason, actor, at FROM flag_history WHERE flag_id = $1 ORDER BY id`, [id]),
    ]);
    return {
      ...flag,
      comments: comments.map((c: Record<string, unknown>) => ({ id: c.id as string, author: c.author as string, text: c.text as string, createdAt: (c.created_at as Date).toISOString() })),
      history: history.map((h: Record<string, unknown>) => ({
        action: h.action as string, from: h.from_status as string | null, to: h.to_status as string | null, reason: h.reason as string | null, actor: h.actor as string, at: (h.at as Date).toISOString(),
      })),
    };
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
        'ORDER BY f.created_at DESC, f.id DESC',
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
          AND ($10::text IS NULL OR (to_char(f.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), f.id) < ($10, $11::uuid))
          AND ($13::text IS NULL OR ($13 = 'none' AND f.assignee_id IS NULL) OR f.assignee_id::text = lower($13))
          AND ($14::text IS NULL OR EXISTS (SELECT 1 FROM declarations d WHERE d.id = ANY (f.declaration_ids)
                 AND (d.number ILIKE '%' || $14 || '%' OR hg_normalize_name(d.trader_name) LIKE '%' || hg_normalize_name($14) || '%'
                      OR hg_normalize_name(d.counterparty_name) LIKE '%' || hg_normalize_name($14) || '%')))
        ${tail} LIMIT $12`,
      [filter.ids ?? null, filter.declarationId ?? null, filter.scope, filter.status ?? null, filter.code ?? null, filter.country ?? null, filter.severity ?? null,
        filter.from ?? null, filter.to ?? null, filter.after?.[0] ?? null, filter.after?.[1] ?? null, filter.limit, filter.assignee ?? null, filter.q ?? null],
    ];
  }
}
