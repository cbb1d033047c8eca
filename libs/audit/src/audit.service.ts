import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { type Actor, decodeCursor, DEFAULT_PAGE_SIZE, type Page, toPage } from '@hgtrace/common';

export interface AuditRecord {
  action: string;
  entity: string;
  entityId: string;
  /** The countries whose users may read this event: those of the record it concerns. */
  countries: string[];
  before?: unknown;
  after?: unknown;
}

export interface AuditEventView {
  id: string;
  occurredAt: string;
  actorId: string | null;
  actor: string;
  action: string;
  entity: string;
  entityId: string;
  countries: string[];
  before: unknown;
  after: unknown;
  requestId: string | null;
  ip: string | null;
  hash: string;
}

export interface AuditFilter {
  /** Only events of records in these countries; null for every event. */
  countries: string[] | null;
  entity?: string;
  entityId?: string;
  actor?: string;
  limit?: number;
  cursor?: string;
}

export interface AuditVerification {
  ok: boolean;
  events: number;
  firstBrokenId: string | null;
}

/**
 * The append-only, hash-chained audit log. `record` must be called with the manager of the
 * transaction that makes the change, so the change and its audit event commit together; the chain
 * itself is kept by a database trigger (see the Platform migration).
 */
@Injectable()
export class AuditService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * The events go in one statement, in the order given, as one JSON parameter: a thousand events
   * with their bodies cost one parse of one document instead of ten thousand bound parameters.
   */
  async record(manager: EntityManager, actor: Actor, ...records: AuditRecord[]): Promise<void> {
    if (records.length === 0) return;
    const rows = records.map((r) => ({ action: r.action, entity: r.entity, entity_id: r.entityId, countries: [...new Set(r.countries)].sort(), before: r.before ?? null, after: r.after ?? null }));
    await manager.query(
      `INSERT INTO audit_events (actor_id, actor, action, entity, entity_id, countries, before, after, request_id, ip)
       SELECT $1::uuid, $2, r.action, r.entity, r.entity_id, r.countries, r.before, r.after, $3, $4
         FROM ROWS FROM (jsonb_to_recordset($5::jsonb) AS (action text, entity text, entity_id text, countries text[], before jsonb, after jsonb)) WITH ORDINALITY
              AS r(action, entity, entity_id, countries, before, after, ord)
        ORDER BY r.ord`,
      [actor.userId, actor.email, actor.requestId ?? null, actor.ip ?? null, JSON.stringify(rows)],
    );
  }

  async list(filter: AuditFilter): Promise<Page<AuditEventView>> {
    const limit = filter.limit ?? DEFAULT_PAGE_SIZE;
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (sql: string, value: unknown) => {
      params.push(value);
      where.push(sql.replace('?', `$${params.length}`));
    };
    if (filter.countries) add('countries && ?::text[]', filter.countries);
    if (filter.entity) add('entity = ?', filter.entity);
    if (filter.entityId) add('entity_id = ?', filter.entityId);
    if (filter.actor) {
      if (/^[0-9a-f-]{36}$/i.test(filter.actor)) add('actor_id = ?::uuid', filter.actor);
      else add('actor = lower(?)', filter.actor);
    }
    const cursor = decodeCursor(filter.cursor, 1);
    if (cursor) add('id < ?::bigint', String(cursor[0]));
    params.push(limit + 1);
    const rows = await this.dataSource.query(
      `SELECT id::text, occurred_at, actor_id, actor, action, entity, entity_id, countries, before, after, request_id, ip, hash
         FROM audit_events ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY id DESC LIMIT $${params.length}`,
      params,
    );
    const page = toPage<Record<string, unknown>>(rows, limit, (r) => [r.id as string]);
    return { items: page.items.map(toView), nextCursor: page.nextCursor };
  }

  /**
   * Recomputes every row's digest and checks that each row points at the one before it, and that the
   * head (last id, last hash, count) matches what is there: a row changed, removed from the middle or
   * cut from the end is found. Runs in the database, in one pass over the table.
   */
  async verify(): Promise<AuditVerification> {
    const [result] = await this.dataSource.query(`
      WITH chain AS (
        SELECT id, hash, prev_hash, audit_event_digest(a) AS recomputed,
               lag(hash) OVER (ORDER BY id) AS previous
          FROM audit_events a
      ), summary AS (
        SELECT count(*) AS events,
               min(id) FILTER (WHERE hash <> recomputed OR prev_hash <> coalesce(previous, repeat('0', 64))) AS first_broken,
               max(id) AS last_id,
               (SELECT hash FROM audit_events ORDER BY id DESC LIMIT 1) AS last_hash
          FROM chain
      )
      SELECT s.events::int AS events, s.first_broken::text AS first_broken,
             (h.events = s.events AND h.last_id = coalesce(s.last_id, 0) AND h.last_hash = coalesce(s.last_hash, repeat('0', 64))) AS head_ok,
             h.last_id::text AS head_last_id
        FROM summary s CROSS JOIN audit_head h`);
    const firstBrokenId: string | null = result.first_broken ?? (result.head_ok ? null : result.head_last_id);
    return { ok: firstBrokenId === null, events: result.events, firstBrokenId };
  }
}

function toView(r: Record<string, unknown>): AuditEventView {
  return {
    id: r.id as string,
    occurredAt: (r.occurred_at as Date).toISOString(),
    actorId: r.actor_id as string | null,
    actor: r.actor as string,
    action: r.action as string,
    entity: r.entity as string,
    entityId: r.entity_id as string,
    countries: r.countries as string[],
    before: r.before ?? null,
    after: r.after ?? null,
    requestId: r.request_id as string | null,
    ip: r.ip as string | null,
    hash: r.hash as string,
  };
}
