import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { AuditService } from '@hgtrace/audit';
import { countryScope, ensureCanActIn, ensureVisible } from '@hgtrace/auth';
import { type Actor, BusinessRuleError, ConflictError, decodeCursor, DEFAULT_PAGE_SIZE, NotFoundError, type Page, toPage, ValidationFailedError } from '@hgtrace/common';
import { isUniqueViolation } from '@hgtrace/database';
import { Licence, type LicenceStatus, type StoredLicenceStatus } from './licence.entity.js';
import type { CreateLicenceDto, ListLicencesQuery } from './registry.dto.js';
import { TradersService } from './traders.service.js';
import { toNumber } from './numeric.js';

export type LicenceAction = 'suspend' | 'revoke' | 'reinstate';

/** Which stored statuses each action starts from, and where it leads. Revocation is final. */
const TRANSITIONS: Record<LicenceAction, { from: StoredLicenceStatus[]; to: StoredLicenceStatus }> = {
  suspend: { from: ['active'], to: 'suspended' },
  revoke: { from: ['active', 'suspended'], to: 'revoked' },
  reinstate: { from: ['suspended'], to: 'active' },
};

export interface LicenceStatusChange {
  from: StoredLicenceStatus;
  to: StoredLicenceStatus;
  reason: string;
  actor: string;
  at: string;
}

export interface LicenceView {
  id: string;
  country: string;
  traderId: string;
  traderName: string;
  number: string;
  type: 'export' | 'import';
  hsCodes: string[];
  maxQuantityKg: number | null;
  usedQuantityKg: number;
  remainingQuantityKg: number | null;
  validFrom: string;
  validTo: string;
  /** The status today; `expired` once validTo has passed. */
  status: LicenceStatus;
  /** The status on the date asked for, and whether the licence could be used that day. */
  statusOn: { date: string; status: LicenceStatus; valid: boolean };
  history: LicenceStatusChange[];
  createdAt: string;
}

/** A licence's status changes as a JSON array, oldest first: a select-list expression over `licences l`. */
export const LICENCE_HISTORY = `
  coalesce((SELECT json_agg(json_build_object('from', h.from_status, 'to', h.to_status, 'reason', h.reason, 'actor', h.actor,
                                              'at', to_char(h.changed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')) ORDER BY h.id)
              FROM licence_status_changes h WHERE h.licence_id = l.id), '[]')`;

export function today(): string {
  return new Date().toISOString().slice(0, 10);
}

/**
 * The status a licence had on `date`: the stored status as the history had it at the end of that
 * day, and `expired` for an active licence past its validity.
 */
export function licenceStatusOn(licence: Pick<LicenceView, 'validFrom' | 'validTo'> & { stored: StoredLicenceStatus; history: LicenceStatusChange[] }, date: string): LicenceView['statusOn'] {
  const later = licence.history.find((h) => h.at.slice(0, 10) > date);
  const stored = later ? later.from : licence.stored;
  const status: LicenceStatus = stored === 'active' && date > licence.validTo ? 'expired' : stored;
  return { date, status, valid: status === 'active' && date >= licence.validFrom };
}

@Injectable()
export class LicencesService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly audit: AuditService,
    private readonly traders: TradersService,
  ) {}

  async create(actor: Actor, dto: CreateLicenceDto): Promise<LicenceView> {
    if (dto.validTo < dto.validFrom) throw ValidationFailedError.of('validTo', 'must not be before validFrom');
    try {
      const id = await this.dataSource.transaction(async (manager) => {
        const trader = await this.traders.findVisible(actor, dto.traderId, manager, 'traderId');
        ensureCanActIn(actor, trader.country, 'issue licences');
        const licence = await manager.save(
          manager.create(Licence, {
            country: trader.country,
            traderId: trader.id,
            number: dto.number,
            type: dto.type,
            hsCodes: dto.hsCodes,
            maxQuantityKg: dto.maxQuantityKg ?? null,
            validFrom: dto.validFrom,
            validTo: dto.validTo,
            status: 'active',
          }),
        );
        await this.audit.record(manager, actor, { action: 'licence.issue', entity: 'licence', entityId: licence.id, countries: [trader.country], after: { ...dto, country: trader.country, status: 'active' } });
        return licence.id;
      });
      return this.get(actor, id);
    } catch (error) {
      if (isUniqueViolation(error, 'licences_country_number_key')) throw new ConflictError(`Licence number ${dto.number} is already used in this country`, [{ path: 'number', message: 'is taken in this country' }]);
      throw error;
    }
  }

  /** Suspends, revokes or reinstates a licence, with a reason kept in its history and the audit log. */
  async changeStatus(actor: Actor, id: string, action: LicenceAction, reason: string): Promise<LicenceView> {
    const transition = TRANSITIONS[action];
    await this.dataSource.transaction(async (manager) => {
      const licence = await manager.getRepository(Licence).createQueryBuilder('l').setLock('pessimistic_write').where('l.id = :id', { id }).getOne();
      if (!licence) throw new NotFoundError('Licence', id);
      ensureVisible(actor, [licence.country], 'Licence', id);
      ensureCanActIn(actor, licence.country, 'change licences');
      if (!transition.from.includes(licence.status)) {
        throw new BusinessRuleError(`A ${licence.status} licence cannot be ${action === 'reinstate' ? 'reinstated' : `${action}d`}`, [{ path: 'status', message: `is ${licence.status}` }]);
      }
      await manager.query(`UPDATE licences SET status = $2, updated_at = now() WHERE id = $1`, [id, transition.to]);
      await manager.query(
        `INSERT INTO licence_status_changes (licence_id, from_status, to_status, reason, actor_id, actor) VALUES ($1, $2, $3, $4, $5, $6)`,
        [id, licence.status, transition.to, reason, actor.userId, actor.email],
      );
      await this.audit.record(manager, actor, {
        action: `licence.${action}`,
        entity: 'licence',
        entityId: id,
        countries: [licence.country],
        before: { status: licence.status },
        after: { status: transition.to, reason },
      });
    });
    return this.get(actor, id);
  }

  async get(actor: Actor, id: string, date = today()): Promise<LicenceView> {
    const [view] = await this.query({ ids: [id], date, scope: null, limit: 1 });
    if (!view) throw new NotFoundError('Licence', id);
    ensureVisible(actor, [view.country], 'Licence', id);
    return view;
  }

  async list(actor: Actor, query: ListLicencesQuery): Promise<Page<LicenceView>> {
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const cursor = decodeCursor(query.cursor, 2);
    const rows = await this.query({ ...query, date: query.date ?? today(), scope: countryScope(actor), limit: limit + 1, after: cursor as [string, string] | null });
    return toPage(rows, limit, (l) => [l.number, l.id]);
  }

  private async query(filter: {
    ids?: string[];
    country?: string;
    traderId?: string;
    status?: LicenceStatus;
    number?: string;
    date: string;
    scope: string[] | null;
    limit: number;
    after?: [string, string] | null;
  }): Promise<LicenceView[]> {
    const current = today();
    const rows: Record<string, unknown>[] = await this.dataSource.query(
      `SELECT l.*, t.name AS trader_name, l.max_quantity_kg - l.used_quantity_kg AS remaining_kg,
              ${LICENCE_HISTORY} AS history
         FROM licences l JOIN traders t ON t.id = l.trader_id
        WHERE ($1::uuid[] IS NULL OR l.id = ANY ($1))
          AND ($2::text[] IS NULL OR l.country = ANY ($2))
          AND ($3::text IS NULL OR l.country = $3)
          AND ($4::uuid IS NULL OR l.trader_id = $4)
          AND ($5::text IS NULL OR l.number = $5)
          AND ($6::text IS NULL
               OR ($6 = 'expired' AND l.status = 'active' AND l.valid_to < $7::date)
               OR ($6 = 'active' AND l.status = 'active' AND l.valid_to >= $7::date)
               OR ($6 IN ('suspended', 'revoked') AND l.status = $6))
          AND ($8::text IS NULL OR (l.number, l.id) > ($8, $9::uuid))
        ORDER BY l.number, l.id LIMIT $10`,
      [filter.ids ?? null, filter.scope, filter.country ?? null, filter.traderId ?? null, filter.number ?? null, filter.status ?? null, current,
        filter.after?.[0] ?? null, filter.after?.[1] ?? null, filter.limit],
    );
    return rows.map((r) => {
      const history = r.history as LicenceStatusChange[];
      const base = { validFrom: r.valid_from as string, validTo: r.valid_to as string, stored: r.status as StoredLicenceStatus, history };
      return {
        id: r.id as string,
        country: r.country as string,
        traderId: r.trader_id as string,
        traderName: r.trader_name as string,
        number: r.number as string,
        type: r.type as 'export' | 'import',
        hsCodes: r.hs_codes as string[],
        maxQuantityKg: toNumber(r.max_quantity_kg as string | null),
        usedQuantityKg: toNumber(r.used_quantity_kg as string) ?? 0,
        remainingQuantityKg: toNumber(r.remaining_kg as string | null),
        validFrom: base.validFrom,
        validTo: base.validTo,
        status: licenceStatusOn(base, current).status,
        statusOn: licenceStatusOn(base, filter.date),
        history,
        createdAt: (r.created_at as Date).toISOString(),
      };
    });
  }
}
