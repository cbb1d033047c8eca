import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { AuditService } from '@hgtrace/audit';
import { countryScope, ensureCanActIn, ensureVisible } from '@hgtrace/auth';
import { type Actor, BusinessRuleError, ConflictError, decodeCursor, DEFAULT_PAGE_SIZE, NotFoundError, type Page, toPage, ValidationFailedError } from '@hgtrace/common';
import { isUniqueViolation, rowsOf } from '@hgtrace/database';
import { ReferenceService } from '@hgtrace/reference';
import { today, toNumber, TradersService } from '@hgtrace/registry';
import type { ConsentPurpose, ConsentStatus, ConsentType, CreateConsentDto, ListConsentsQuery } from './consent.dto.js';

export interface ConsentView {
  id: string;
  reference: string;
  type: ConsentType;
  issuingCountry: string;
  exportingCountry: string;
  importingCountry: string;
  exporterId: string | null;
  importerId: string | null;
  hsCodes: string[];
  quantityKg: number | null;
  usedQuantityKg: number;
  remainingQuantityKg: number | null;
  purpose: ConsentPurpose;
  validFrom: string;
  validTo: string;
  nonPartyCertification: boolean;
  conditions: string | null;
  status: ConsentStatus;
  withdrawnReason: string | null;
  withdrawnAt: string | null;
  /** Whether the consent could be used on the date asked for (default today). */
  statusOn: { date: string; status: ConsentStatus | 'expired' | 'not_yet_valid'; valid: boolean };
  createdAt: string;
}

export interface Drawdown {
  requestedKg: number;
  drawnKg: number;
  /** What the declaration wanted beyond what the consent still held: the CONSENT_QUANTITY_EXCEEDED amount. */
  excessKg: number;
}

/** The focal point that issues a consent: the importing country's, or the exporting one's for an export notification. */
export function issuingCountryOf(type: ConsentType, exportingCountry: string, importingCountry: string): string {
  return type === 'export_notification' ? exportingCountry : importingCountry;
}

export function consentStatusOn(c: { status: ConsentStatus; validFrom: string; validTo: string; withdrawnAt: string | null }, date: string): ConsentView['statusOn'] {
  const withdrawn = c.status === 'withdrawn' && c.withdrawnAt !== null && c.withdrawnAt.slice(0, 10) <= date;
  const status = withdrawn ? 'withdrawn' : date < c.validFrom ? 'not_yet_valid' : date > c.validTo ? 'expired' : 'active';
  return { date, status, valid: status === 'active' };
}

@Injectable()
export class ConsentsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly audit: AuditService,
    private readonly reference: ReferenceService,
    private readonly traders: TradersService,
  ) {}

  async create(actor: Actor, dto: CreateConsentDto): Promise<ConsentView> {
    this.reference.assertCountries({ exportingCountry: dto.exportingCountry, importingCountry: dto.importingCountry });
    if (dto.exportingCountry === dto.importingCountry) throw ValidationFailedError.of('importingCountry', 'must differ from exportingCountry');
    if (dto.validTo < dto.validFrom) throw ValidationFailedError.of('validTo', 'must not be before validFrom');
    const issuer = issuingCountryOf(dto.type, dto.exportingCountry, dto.importingCountry);
    ensureCanActIn(actor, issuer, `issue a ${dto.type.replace('_', ' ')} (issued by the ${dto.type === 'export_notification' ? 'exporting' : 'importing'} country)`);
    try {
      const id = await this.dataSource.transaction(async (manager) => {
        await this.checkNamedTrader(manager, dto.exporterId, dto.exportingCountry, 'exporterId');
        await this.checkNamedTrader(manager, dto.importerId, dto.importingCountry, 'importerId');
        const [{ id }] = await manager.query(
          `INSERT INTO consents (reference, type, issuing_country, exporting_country, importing_country, exporter_id, importer_id, hs_codes, quantity_kg,
                                 purpose, valid_from, valid_to, non_party_certification, conditions)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id`,
          [dto.reference, dto.type, issuer, dto.exportingCountry, dto.importingCountry, dto.exporterId ?? null, dto.importerId ?? null, dto.hsCodes,
            dto.quantityKg === undefined ? null : String(dto.quantityKg), dto.purpose, dto.validFrom, dto.validTo, dto.nonPartyCertification ?? false, dto.conditions ?? null],
        );
        await this.audit.record(manager, actor, { action: 'consent.issue', entity: 'consent', entityId: id, countries: [dto.exportingCountry, dto.importingCountry], after: { ...dto, issuingCountry: issuer } });
        return id as string;
      });
      return this.get(actor, id);
    } catch (error) {
      if (isUniqueViolation(error, 'consents_issuer_reference_key')) throw new ConflictError(`Consent reference ${dto.reference} is already used by ${issuer}`, [{ path: 'reference', message: 'is taken' }]);
      throw error;
    }
  }

  async withdraw(actor: Actor, id: string, reason: string): Promise<ConsentView> {
    await this.dataSource.transaction(async (manager) => {
      const [row] = await manager.query(`SELECT issuing_country, exporting_country, importing_country, status FROM consents WHERE id = $1 FOR UPDATE`, [id]);
      if (!row) throw new NotFoundError('Consent', id);
      ensureVisible(actor, [row.exporting_country, row.importing_country], 'Consent', id);
      ensureCanActIn(actor, row.issuing_country, 'withdraw this consent (only its issuing country may)');
      if (row.status === 'withdrawn') throw new BusinessRuleError('The consent is already withdrawn', [{ path: 'status', message: 'is withdrawn' }]);
      await manager.query(`UPDATE consents SET status = 'withdrawn', withdrawn_reason = $2, withdrawn_at = now(), updated_at = now() WHERE id = $1`, [id, reason]);
      await this.audit.record(manager, actor, { action: 'consent.withdraw', entity: 'consent', entityId: id, countries: [row.exporting_country, row.importing_country], before: { status: 'active' }, after: { status: 'withdrawn', reason } });
    });
    return this.get(actor, id);
  }

  async get(actor: Actor, id: string, date = today()): Promise<ConsentView> {
    const [view] = await this.query({ ids: [id], scope: null, date, limit: 1 });
    if (!view) throw new NotFoundError('Consent', id);
    ensureVisible(actor, [view.exportingCountry, view.importingCountry], 'Consent', id);
    return view;
  }

  /** Consents that involve one of the caller's countries, as exporter or importer. */
  async list(actor: Actor, query: ListConsentsQuery): Promise<Page<ConsentView>> {
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const cursor = decodeCursor(query.cursor, 2);
    const rows = await this.query({ ...query, scope: countryScope(actor), date: query.date ?? today(), limit: limit + 1, after: cursor as [string, string] | null });
    return toPage(rows, limit, (c) => [c.createdAt, c.id]);
  }

  /**
   * Draws a declaration's quantity from a consent, atomically: the consent row is locked, so
   * declarations landing together queue up, and none can take what another already took. The
   * consent never gives more than it holds: what is asked beyond that is returned as excess (for
   * CONSENT_QUANTITY_EXCEEDED), not drawn. Drawing again for the same declaration (an amendment)
   * first gives back its earlier share. Call within the transaction that stores the declaration.
   */
  async drawDown(manager: EntityManager, consentId: string, declarationId: string, requestedKg: number): Promise<Drawdown> {
    const [row] = rowsOf<{ drawn: string }>(await manager.query(
      `WITH consent AS (SELECT id, quantity_kg, used_quantity_kg FROM consents WHERE id = $1 FOR UPDATE),
            previous AS (SELECT drawn_kg FROM consent_drawdowns WHERE consent_id = $1 AND declaration_id = $2 FOR UPDATE),
            available AS (
              SELECT c.id, c.used_quantity_kg - coalesce((SELECT drawn_kg FROM previous), 0) AS used_without,
                     CASE WHEN c.quantity_kg IS NULL THEN $3::numeric
                          ELSE least($3::numeric, greatest(c.quantity_kg - (c.used_quantity_kg - coalesce((SELECT drawn_kg FROM previous), 0)), 0)) END AS drawn
                FROM consent c
            ),
            upsert AS (
              INSERT INTO consent_drawdowns (consent_id, declaration_id, requested_kg, drawn_kg)
              SELECT $1, $2, $3::numeric, drawn FROM available
              ON CONFLICT (consent_id, declaration_id) DO UPDATE SET requested_kg = EXCLUDED.requested_kg, drawn_kg = EXCLUDED.drawn_kg
            )
       UPDATE consents c SET used_quantity_kg = a.used_without + a.drawn, updated_at = now()
         FROM available a WHERE c.id = a.id
       RETURNING a.drawn::text AS drawn`,
      [consentId, declarationId, String(requestedKg)],
    ));
    if (!row) throw new NotFoundError('Consent', consentId);
    const drawnKg = Number(row.drawn);
    return { requestedKg, drawnKg, excessKg: Math.round((requestedKg - drawnKg) * 1000) / 1000 };
  }

  /** Gives back what a declaration drew (a cancellation). */
  async release(manager: EntityManager, consentId: string, declarationId: string): Promise<number> {
    const [row] = rowsOf<{ released: string }>(await manager.query(
      `WITH removed AS (DELETE FROM consent_drawdowns WHERE consent_id = $1 AND declaration_id = $2 RETURNING drawn_kg)
       UPDATE consents c SET used_quantity_kg = c.used_quantity_kg - r.drawn_kg, updated_at = now()
         FROM removed r WHERE c.id = $1 RETURNING r.drawn_kg::text AS released`,
      [consentId, declarationId],
    ));
    return row ? Number(row.released) : 0;
  }

  private async checkNamedTrader(manager: EntityManager, traderId: string | undefined, country: string, field: string): Promise<void> {
    if (!traderId) return;
    const [trader] = await manager.query(`SELECT country FROM traders WHERE id = $1`, [traderId]);
    if (!trader) throw Object.assign(new NotFoundError('Trader', traderId), { details: [{ path: field, message: 'no such trader' }] });
    if (trader.country !== country) throw ValidationFailedError.of(field, `must be a trader of ${country}, not of ${trader.country}`);
  }

  private async query(filter: {
    ids?: string[];
    scope: string[] | null;
    exportingCountry?: string;
    importingCountry?: string;
    status?: ConsentStatus;
    reference?: string;
    date: string;
    limit: number;
    after?: [string, string] | null;
  }): Promise<ConsentView[]> {
    const rows: Record<string, unknown>[] = await this.dataSource.query(
      `SELECT c.*, c.quantity_kg - c.used_quantity_kg AS remaining_kg,
              to_char(c.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS created,
              to_char(c.withdrawn_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS withdrawn
         FROM consents c
        WHERE ($1::uuid[] IS NULL OR c.id = ANY ($1))
          AND ($2::text[] IS NULL OR c.exporting_country = ANY ($2) OR c.importing_country = ANY ($2))
          AND ($3::text IS NULL OR c.exporting_country = $3)
          AND ($4::text IS NULL OR c.importing_country = $4)
          AND ($5::text IS NULL OR c.status = $5)
          AND ($6::text IS NULL OR c.reference = $6)
          AND ($7::text IS NULL OR (to_char(c.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), c.id) < ($7, $8::uuid))
        ORDER BY c.created_at DESC, c.id DESC LIMIT $9`,
      [filter.ids ?? null, filter.scope, filter.exportingCountry ?? null, filter.importingCountry ?? null, filter.status ?? null, filter.reference ?? null,
        filter.after?.[0] ?? null, filter.after?.[1] ?? null, filter.limit],
    );
    return rows.map((r) => {
      const view = {
        id: r.id as string,
        reference: r.reference as string,
        type: r.type as ConsentType,
        issuingCountry: r.issuing_country as string,
        exportingCountry: r.exporting_country as string,
        importingCountry: r.importing_country as string,
        exporterId: (r.exporter_id as string | null) ?? null,
        importerId: (r.importer_id as string | null) ?? null,
        hsCodes: r.hs_codes as string[],
        quantityKg: toNumber(r.quantity_kg as string | null),
        usedQuantityKg: toNumber(r.used_quantity_kg as string) ?? 0,
        remainingQuantityKg: toNumber(r.remaining_kg as string | null),
        purpose: r.purpose as ConsentPurpose,
        validFrom: r.valid_from as string,
        validTo: r.valid_to as string,
        nonPartyCertification: r.non_party_certification as boolean,
        conditions: (r.conditions as string | null) ?? null,
        status: r.status as ConsentStatus,
        withdrawnReason: (r.withdrawn_reason as string | null) ?? null,
        withdrawnAt: (r.withdrawn as string | null) ?? null,
        createdAt: r.created as string,
      };
      return { ...view, statusOn: consentStatusOn(view, filter.date) };
    });
  }
}
