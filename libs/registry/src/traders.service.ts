import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { AuditService } from '@hgtrace/audit';
import { countryScope, ensureCanActIn, ensureVisible } from '@hgtrace/auth';
import { type Actor, ConflictError, decodeCursor, DEFAULT_PAGE_SIZE, NotFoundError, type Page, toPage } from '@hgtrace/common';
import { isUniqueViolation } from '@hgtrace/database';
import { ReferenceService } from '@hgtrace/reference';
import type { CreateTraderDto, ListTradersQuery } from './registry.dto.js';
import { Trader } from './trader.entity.js';

export interface TraderView {
  id: string;
  country: string;
  nationalId: string;
  name: string;
  address: string | null;
  aliases: string[];
  createdAt: string;
  /** How close the name is to the search (0 to 1), when searching. */
  similarity?: number;
}

export function toTraderView(t: Trader): TraderView {
  return { id: t.id, country: t.country, nationalId: t.nationalId, name: t.name, address: t.address, aliases: t.aliases, createdAt: t.createdAt.toISOString() };
}

@Injectable()
export class TradersService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly audit: AuditService,
    private readonly reference: ReferenceService,
  ) {}

  async create(actor: Actor, dto: CreateTraderDto): Promise<TraderView> {
    this.reference.assertCountries({ country: dto.country });
    ensureCanActIn(actor, dto.country, 'register traders');
    const aliases = [...new Set((dto.aliases ?? []).map((a) => a.trim()).filter((a) => a && a !== dto.name))];
    try {
      return await this.dataSource.transaction(async (manager) => {
        const trader = await manager.save(manager.create(Trader, { country: dto.country, nationalId: dto.nationalId, name: dto.name, address: dto.address ?? null, aliases }));
        await manager.query(
          `INSERT INTO trader_names (trader_id, name, normalized) SELECT $1, n, hg_normalize_name(n) FROM unnest($2::text[]) n ON CONFLICT DO NOTHING`,
          [trader.id, [trader.name, ...aliases]],
        );
        const view = toTraderView(trader);
        await this.audit.record(manager, actor, { action: 'trader.create', entity: 'trader', entityId: trader.id, countries: [trader.country], after: view });
        return view;
      });
    } catch (error) {
      if (isUniqueViolation(error, 'traders_country_national_id_key')) {
        throw new ConflictError(`A trader with national id ${dto.nationalId} is registered in ${dto.country}`, [{ path: 'nationalId', message: 'is taken in this country' }]);
      }
      throw error;
    }
  }

  /**
   * Traders in the caller's countries. With `q`, a fuzzy search: names and aliases compared after
   * removing accents, case, punctuation and legal-form suffixes (trigram similarity), plus exact
   * national ids; best matches first. The `%` operator keeps names of trigram similarity 0.3 or more
   * (pg_trgm's default threshold) and uses the GIN index.
   */
  async list(actor: Actor, query: ListTradersQuery): Promise<Page<TraderView>> {
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const scope = countryScope(actor);
    const params: unknown[] = [scope, query.country ?? null];
    const filters = `($1::text[] IS NULL OR t.country = ANY ($1)) AND ($2::text IS NULL OR t.country = $2)`;
    if (query.q) {
      params.push(query.q, limit);
      const rows: (Record<string, unknown> & { similarity: number })[] = await this.dataSource.query(
        `WITH q AS (SELECT hg_normalize_name($3) AS n, $3::text AS raw)
         SELECT t.*, best.similarity FROM (
           SELECT trader_id, max(sim) AS similarity FROM (
             SELECT tn.trader_id, similarity(tn.normalized, q.n) AS sim FROM trader_names tn, q
              WHERE tn.normalized % q.n OR tn.normalized LIKE '%' || q.n || '%'
             UNION ALL
             SELECT t.id, 1 FROM traders t, q WHERE lower(t.national_id) = lower(q.raw)
           ) c GROUP BY trader_id
         ) best JOIN traders t ON t.id = best.trader_id
         WHERE ${filters}
         ORDER BY best.similarity DESC, t.name, t.id LIMIT $4`,
        params,
      );
      return { items: rows.map((r) => ({ ...rowToView(r), similarity: Math.round(Number(r.similarity) * 1000) / 1000 })), nextCursor: null };
    }
    const cursor = decodeCursor(query.cursor, 2);
    params.push(cursor?.[0] ?? null, cursor?.[1] ?? null, limit + 1);
    const rows: Record<string, unknown>[] = await this.dataSource.query(
      `SELECT t.* FROM traders t WHERE ${filters}
          AND ($3::text IS NULL OR (t.name, t.id) > ($3, $4::uuid))
        ORDER BY t.name, t.id LIMIT $5`,
      params,
    );
    return toPage(rows.map(rowToView), limit, (t) => [t.name, t.id]);
  }

  async get(actor: Actor, id: string): Promise<TraderView> {
    return toTraderView(await this.findVisible(actor, id));
  }

  /** A trader the actor may see, or a 404 (also for one that exists in another country). */
  async findVisible(actor: Actor, id: string, manager: EntityManager = this.dataSource.manager, field?: string): Promise<Trader> {
    const trader = await manager.findOne(Trader, { where: { id } });
    if (!trader) throw notFound(id, field);
    try {
      ensureVisible(actor, [trader.country], 'Trader', id);
    } catch {
      throw notFound(id, field);
    }
    return trader;
  }
}

function notFound(id: string, field?: string): NotFoundError {
  const error = new NotFoundError('Trader', id);
  if (field) error.details.push({ path: field, message: 'no such trader' });
  return error;
}

function rowToView(r: Record<string, unknown>): TraderView {
  return {
    id: r.id as string,
    country: r.country as string,
    nationalId: r.national_id as string,
    name: r.name as string,
    address: (r.address as string | null) ?? null,
    aliases: r.aliases as string[],
    createdAt: (r.created_at as Date).toISOString(),
  };
}
