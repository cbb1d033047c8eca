import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { AuditService } from '@hgtrace/audit';
import { countryScope, ensureCanActIn, ensureVisible } from '@hgtrace/auth';
import {
  type Actor, BusinessRuleError, ConflictError, decodeCursor, DEFAULT_PAGE_SIZE, DomainError, type ErrorDetail, NotFoundError, type Page, StaleVersionError, toPage,
  validateInput, ValidationFailedError,
} from '@hgtrace/common';
import { ConsentsService } from '@hgtrace/consents';
import { rowsOf } from '@hgtrace/database';
import { JobName, jobId, OutboxService } from '@hgtrace/queue';
import { coveredBy, ReferenceService } from '@hgtrace/reference';
import { today, toNumber } from '@hgtrace/registry';
import { contentHash } from './content-hash.js';
import { type AmendDeclarationDto, DeclarationDto, type DeclarationStatus, type ListDeclarationsQuery } from './declaration.dto.js';

export type DeclarationSource = 'api' | 'batch' | 'csv' | 'system';

export interface DeclarationView {
  id: string;
  version: number;
  status: DeclarationStatus;
  country: string;
  flow: 'export' | 'import';
  number: string;
  date: string;
  trader: { nationalId: string; name: string; id: string | null };
  counterparty: { name: string; country: string; address: string | null };
  partnerCountry: string;
  originCountry: string;
  transportDocument: string | null;
  containers: string[];
  licenceNumber: string | null;
  consentReference: string | null;
  transportMode: string | null;
  items: { line: number; hsCode: string; description: string | null; netMassKg: number; valueUsd: number; mercuryClass: string }[];
  totalNetMassKg: number;
  totalValueUsd: number;
  /** The licence and consent this declaration counts against, as resolved from the registries. */
  licenceId: string | null;
  consentId: string | null;
  checkStatus: 'pending' | 'checked';
  source: DeclarationSource;
  cancelReason: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface DeclarationMatch {
  /** The counterpart: the import(s) of an export, or the export of an import. */
  id: string;
  country: string;
  flow: 'export' | 'import';
  number: string;
  date: string;
  totalNetMassKg: number;
  basis: 'transport_document' | 'container' | 'attributes';
  score: number;
}

export interface DeclarationDetail extends DeclarationView {
  versions: { version: number; status: DeclarationStatus; reason: string | null; createdAt: string }[];
  matches: DeclarationMatch[];
}

export type BatchResult =
  | { index: number; status: 'created' | 'duplicate'; id: string }
  | { index: number; status: 'rejected'; errors: ErrorDetail[] };

/** The body as filed: what the content hash and the version history keep. */
function bodyOf(dto: DeclarationDto): Record<string, unknown> {
  return {
    country: dto.country,
    flow: dto.flow,
    number: dto.number,
    date: dto.date,
    trader: { nationalId: dto.trader.nationalId, name: dto.trader.name },
    counterparty: { name: dto.counterparty.name, country: dto.counterparty.country, address: dto.counterparty.address },
    partnerCountry: dto.partnerCountry,
    originCountry: dto.originCountry,
    transportDocument: dto.transportDocument,
    containers: dto.containers ?? [],
    licenceNumber: dto.licenceNumber,
    consentReference: dto.consentReference,
    transportMode: dto.transportMode,
    items: dto.items.map((i) => ({ hsCode: i.hsCode, description: i.description, netMassKg: i.netMassKg, valueUsd: i.valueUsd })),
  };
}

/** Sums in integer grams and cents, so that totals are exact. */
function sumKg(values: number[]): number {
  return values.reduce((s, v) => s + Math.round(v * 1000), 0) / 1000;
}

@Injectable()
export class DeclarationsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly audit: AuditService,
    private readonly outbox: OutboxService,
    private readonly reference: ReferenceService,
    private readonly consents: ConsentsService,
  ) {}

  /** The checks class-validator cannot make: known countries, no future date, a partner other than oneself. */
  validateSemantics(dto: DeclarationDto): void {
    this.reference.assertCountries({ country: dto.country, partnerCountry: dto.partnerCountry, originCountry: dto.originCountry, 'counterparty.country': dto.counterparty.country });
    const details: ErrorDetail[] = [];
    if (dto.date > today()) details.push({ path: 'date', message: 'must not be in the future' });
    if (dto.partnerCountry === dto.country) details.push({ path: 'partnerCountry', message: `must differ from the declaring country ${dto.country}` });
    const containers = dto.containers ?? [];
    if (new Set(containers.map(shippingKey)).size !== containers.length) details.push({ path: 'containers', message: 'must not repeat a container number' });
    if (details.length) throw new ValidationFailedError(details);
  }

  /**
   * Files one declaration. The same (country, number) with the same content answers the stored one
   * (created: false); with different content, 409. Concurrent identical requests store one: the
   * unique key makes the others wait for the first and then find it.
   */
  async submit(actor: Actor, dto: DeclarationDto, source: DeclarationSource): Promise<{ created: boolean; declaration: DeclarationDetail }> {
    ensureCanActIn(actor, dto.country, 'file declarations');
    this.validateSemantics(dto);
    const result = await this.dataSource.transaction((manager) => this.store(manager, actor, dto, source));
    return { created: result.created, declaration: await this.get(actor, result.id) };
  }

  /**
   * Files up to 1,000 declarations: each is validated on its own and reported by index; the valid
   * ones are stored in one transaction, so a failure of the database leaves none of them half-stored
   * and the batch can be sent again (those already stored then answer `duplicate`).
   */
  async submitBatch(actor: Actor, raw: unknown[], source: DeclarationSource): Promise<BatchResult[]> {
    const results: BatchResult[] = new Array(raw.length);
    const valid: { index: number; dto: DeclarationDto }[] = [];
    for (const [index, item] of raw.entries()) {
      try {
        const dto = await validateInput(DeclarationDto, item);
        ensureCanActIn(actor, dto.country, 'file declarations');
        this.validateSemantics(dto);
        valid.push({ index, dto });
      } catch (error) {
        results[index] = { index, status: 'rejected', errors: rejectionDetails(error) };
      }
    }
    await this.dataSource.transaction(async (manager) => {
      for (const { index, dto } of valid) {
        try {
          const stored = await this.store(manager, actor, dto, source);
          results[index] = { index, status: stored.created ? 'created' : 'duplicate', id: stored.id };
        } catch (error) {
          if (!(error instanceof DomainError)) throw error;
          results[index] = { index, status: 'rejected', errors: rejectionDetails(error) };
        }
      }
    });
    return results;
  }

  /** Stores a validated declaration within the caller's transaction. Never throws on a duplicate with equal content. */
  async store(manager: EntityManager, actor: Actor, dto: DeclarationDto, source: DeclarationSource): Promise<{ id: string; created: boolean }> {
    const body = bodyOf(dto);
    const hash = contentHash(body);
    const inserted: { id: string }[] = await manager.query(
      `INSERT INTO declarations (country, number, flow, date, trader_national_id, trader_name, trader_id, counterparty_name, counterparty_country,
                                 counterparty_address, partner_country, origin_country, transport_document, containers, licence_number, consent_reference,
                                 transport_mode, total_net_mass_kg, total_value_usd, content_hash, source, created_by)
       VALUES ($1, $2, $3, $4, $5, $6, (SELECT id FROM traders WHERE country = $1 AND national_id = $5), $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)
       ON CONFLICT (country, number) DO NOTHING RETURNING id`,
      [dto.country, dto.number, dto.flow, dto.date, dto.trader.nationalId, dto.trader.name, dto.counterparty.name, dto.counterparty.country,
        dto.counterparty.address ?? null, dto.partnerCountry, dto.originCountry, dto.transportDocument ?? null, dto.containers ?? [], dto.licenceNumber ?? null,
        dto.consentReference ?? null, dto.transportMode ?? null, String(sumKg(dto.items.map((i) => i.netMassKg))),
        String(dto.items.reduce((s, i) => s + Math.round(i.valueUsd * 100), 0) / 100), hash, source, actor.userId],
    );
    if (inserted.length === 0) {
      const [existing] = await manager.query(
        `SELECT d.id, EXISTS (SELECT 1 FROM declaration_versions v WHERE v.declaration_id = d.id AND v.content_hash = $3) AS same
           FROM declarations d WHERE d.country = $1 AND d.number = $2`,
        [dto.country, dto.number, hash],
      );
      if (existing?.same) return { id: existing.id, created: false };
      throw new ConflictError(`Declaration ${dto.number} of ${dto.country} exists with different content; amend it with PUT and its version`, [
        { path: 'number', message: 'exists with different content' },
      ]);
    }
    const id = inserted[0].id;
    await this.writeParts(manager, id, dto);
    await manager.query(`INSERT INTO declaration_versions (declaration_id, version, status, body, content_hash, created_by) VALUES ($1, 1, 'received', $2, $3, $4)`, [
      id, JSON.stringify(body), hash, actor.userId,
    ]);
    await this.countAgainstRegistries(manager, id, dto);
    await this.outbox.enqueue(manager, { name: JobName.CheckDeclaration, id: jobId('check', id, 1), payload: { declarationId: id, version: 1 } });
    await this.audit.record(manager, actor, { action: 'declaration.file', entity: 'declaration', entityId: id, countries: [dto.country], after: { ...body, source } });
    return { id, created: true };
  }

  /** An amendment: the full new content with the version it amends; every version is kept. */
  async amend(actor: Actor, id: string, dto: AmendDeclarationDto): Promise<DeclarationDetail> {
    await this.dataSource.transaction(async (manager) => {
      const current = await this.lockVisible(manager, actor, id);
      ensureCanActIn(actor, current.country, 'amend declarations');
      const { version, ...content } = dto;
      const details: ErrorDetail[] = [];
      if (content.country !== current.country) details.push({ path: 'country', message: `cannot change (${current.country})` });
      if (content.number !== current.number) details.push({ path: 'number', message: `cannot change (${current.number})` });
      if (content.flow !== current.flow) details.push({ path: 'flow', message: `cannot change (${current.flow})` });
      if (details.length) throw new ValidationFailedError(details);
      this.validateSemantics(dto);
      if (current.status === 'cancelled') throw new BusinessRuleError('A cancelled declaration cannot be amended');
      if (version !== current.version) throw new StaleVersionError('Declaration', version, current.version);
      const body = bodyOf(dto);
      const hash = contentHash(body);
      const next = current.version + 1;
      await manager.query(
        `UPDATE declarations SET version = $2, status = 'amended', date = $3, trader_national_id = $4, trader_name = $5,
                trader_id = (SELECT id FROM traders WHERE country = declarations.country AND national_id = $4),
                counterparty_name = $6, counterparty_country = $7, counterparty_address = $8, partner_country = $9, origin_country = $10,
                transport_document = $11, containers = $12, licence_number = $13, consent_reference = $14, transport_mode = $15,
                total_net_mass_kg = $16, total_value_usd = $17, content_hash = $18, check_status = 'pending', updated_at = now()
          WHERE id = $1`,
        [id, next, dto.date, dto.trader.nationalId, dto.trader.name, dto.counterparty.name, dto.counterparty.country, dto.counterparty.address ?? null,
          dto.partnerCountry, dto.originCountry, dto.transportDocument ?? null, dto.containers ?? [], dto.licenceNumber ?? null, dto.consentReference ?? null,
          dto.transportMode ?? null, String(sumKg(dto.items.map((i) => i.netMassKg))), String(dto.items.reduce((s, i) => s + Math.round(i.valueUsd * 100), 0) / 100), hash],
      );
      await manager.query(`DELETE FROM declaration_items WHERE declaration_id = $1`, [id]);
      await manager.query(`DELETE FROM declaration_containers WHERE declaration_id = $1`, [id]);
      await this.writeParts(manager, id, dto);
      await manager.query(`INSERT INTO declaration_versions (declaration_id, version, status, body, content_hash, created_by) VALUES ($1, $2, 'amended', $3, $4, $5)`, [
        id, next, JSON.stringify(body), hash, actor.userId,
      ]);
      await this.releaseRegistries(manager, id);
      await this.countAgainstRegistries(manager, id, dto);
      await this.outbox.enqueue(manager, { name: JobName.CheckDeclaration, id: jobId('check', id, next), payload: { declarationId: id, version: next } });
      const [before] = await manager.query(`SELECT body FROM declaration_versions WHERE declaration_id = $1 AND version = $2`, [id, current.version]);
      await this.audit.record(manager, actor, { action: 'declaration.amend', entity: 'declaration', entityId: id, countries: [current.country], before: before.body, after: { ...body, version: next } });
    });
    return this.get(actor, id);
  }

  /** A cancellation: gives back what the declaration took from its consent and licence, and is checked again. */
  async cancel(actor: Actor, id: string, reason: string): Promise<DeclarationDetail> {
    await this.dataSource.transaction(async (manager) => {
      const current = await this.lockVisible(manager, actor, id);
      ensureCanActIn(actor, current.country, 'cancel declarations');
      if (current.status === 'cancelled') throw new BusinessRuleError('The declaration is already cancelled', [{ path: 'status', message: 'is cancelled' }]);
      const next = current.version + 1;
      await manager.query(
        `UPDATE declarations SET status = 'cancelled', version = $2, cancel_reason = $3, cancelled_at = now(), check_status = 'pending', updated_at = now() WHERE id = $1`,
        [id, next, reason],
      );
      await manager.query(
        `INSERT INTO declaration_versions (declaration_id, version, status, body, content_hash, reason, created_by)
         SELECT declaration_id, $2, 'cancelled', body, content_hash, $3, $4 FROM declaration_versions WHERE declaration_id = $1 AND version = $5`,
        [id, next, reason, actor.userId, current.version],
      );
      await this.releaseRegistries(manager, id);
      await this.outbox.enqueue(manager, { name: JobName.CheckDeclaration, id: jobId('check', id, next), payload: { declarationId: id, version: next } });
      await this.audit.record(manager, actor, { action: 'declaration.cancel', entity: 'declaration', entityId: id, countries: [current.country], before: { status: current.status }, after: { status: 'cancelled', reason } });
    });
    return this.get(actor, id);
  }

  async get(actor: Actor, id: string): Promise<DeclarationDetail> {
    const [view] = await this.query({ ids: [id], scope: null, limit: 1 });
    if (!view) throw new NotFoundError('Declaration', id);
    ensureVisible(actor, [view.country], 'Declaration', id);
    const versions: { version: number; status: DeclarationStatus; reason: string | null; created_at: Date }[] = await this.dataSource.query(
      `SELECT version, status, reason, created_at FROM declaration_versions WHERE declaration_id = $1 ORDER BY version`,
      [id],
    );
    const matches: Record<string, unknown>[] = await this.dataSource.query(
      `SELECT c.id, c.country, c.flow, c.number, to_char(c.date, 'YYYY-MM-DD') AS day, c.total_net_mass_kg::text AS kg, m.basis, m.score::text AS score
         FROM matches m JOIN declarations c ON c.id = CASE WHEN m.export_id = $1 THEN m.import_id ELSE m.export_id END
        WHERE m.export_id = $1 OR m.import_id = $1 ORDER BY c.date, c.number`,
      [id],
    );
    return {
      ...view,
      versions: versions.map((v) => ({ version: v.version, status: v.status, reason: v.reason, createdAt: v.created_at.toISOString() })),
      matches: matches.map((m) => ({
        id: m.id as string, country: m.country as string, flow: m.flow as 'export' | 'import', number: m.number as string, date: m.day as string,
        totalNetMassKg: Number(m.kg), basis: m.basis as DeclarationMatch['basis'], score: Number(m.score),
      })),
    };
  }

  async list(actor: Actor, query: ListDeclarationsQuery): Promise<Page<DeclarationView>> {
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const cursor = decodeCursor(query.cursor, 2) as [string, string] | null;
    const rows = await this.query({ ...query, scope: countryScope(actor), limit: limit + 1, after: cursor });
    return toPage(rows, limit, (d) => [d.date, d.id]);
  }

  private async lockVisible(manager: EntityManager, actor: Actor, id: string): Promise<{ country: string; number: string; flow: string; version: number; status: DeclarationStatus }> {
    const [row] = await manager.query(`SELECT country, number, flow, version, status FROM declarations WHERE id = $1 FOR UPDATE`, [id]);
    if (!row) throw new NotFoundError('Declaration', id);
    ensureVisible(actor, [row.country], 'Declaration', id);
    return row;
  }

  private async writeParts(manager: EntityManager, id: string, dto: DeclarationDto): Promise<void> {
    await manager.query(
      `INSERT INTO declaration_items (declaration_id, line, hs_code, net_mass_kg, value_usd, description)
       SELECT $1, line, hs, kg::numeric, usd::numeric, descr FROM unnest($2::int[], $3::text[], $4::text[], $5::text[], $6::text[]) AS u(line, hs, kg, usd, descr)`,
      [id, dto.items.map((_, i) => i + 1), dto.items.map((i) => i.hsCode), dto.items.map((i) => String(i.netMassKg)), dto.items.map((i) => String(i.valueUsd)), dto.items.map((i) => i.description ?? null)],
    );
    if (dto.containers?.length) {
      await manager.query(`INSERT INTO declaration_containers (declaration_id, container_key) SELECT $1, hg_shipping_key(c) FROM unnest($2::text[]) c WHERE hg_shipping_key(c) IS NOT NULL ON CONFLICT DO NOTHING`, [
        id, dto.containers,
      ]);
    }
  }

  /**
   * Counts the declaration against the licence it uses (its mercury and compound items covered by
   * the licence) and, for a mercury export, draws from the consent it uses. The licence is the one
   * cited if it is the trader's and of the right type, else the trader's licence valid on the date;
   * the consent likewise. What these take beyond what is allowed is left for the rules to flag.
   */
  private async countAgainstRegistries(manager: EntityManager, id: string, dto: DeclarationDto): Promise<void> {
    const controlled = dto.items.filter((i) => ['mercury', 'compound'].includes(this.reference.mercuryClassOf(i.hsCode)));
    const mercury = dto.items.filter((i) => this.reference.mercuryClassOf(i.hsCode) === 'mercury');
    if (controlled.length > 0) {
      const licences: { id: string; hs_codes: string[]; number: string }[] = await manager.query(
        `SELECT l.id, l.hs_codes, l.number FROM licences l
          WHERE l.country = $1 AND l.type = $2 AND l.trader_id = (SELECT id FROM traders WHERE country = $1 AND national_id = $3)
          ORDER BY (l.number = $4) DESC, (l.status = 'active' AND $5::date BETWEEN l.valid_from AND l.valid_to) DESC, l.valid_to DESC`,
        [dto.country, dto.flow, dto.trader.nationalId, dto.licenceNumber ?? '', dto.date],
      );
      const licence = licences.find((l) => controlled.some((i) => coveredBy(i.hsCode, l.hs_codes)));
      if (licence) {
        const kg = sumKg(controlled.filter((i) => coveredBy(i.hsCode, licence.hs_codes)).map((i) => i.netMassKg));
        await manager.query(`INSERT INTO licence_usages (licence_id, declaration_id, quantity_kg) VALUES ($1, $2, $3)`, [licence.id, id, String(kg)]);
        await manager.query(`UPDATE licences SET used_quantity_kg = (SELECT coalesce(sum(quantity_kg), 0) FROM licence_usages WHERE licence_id = $1) WHERE id = $1`, [licence.id]);
        await manager.query(`UPDATE declarations SET licence_id = $2 WHERE id = $1`, [id, licence.id]);
      }
    }
    if (dto.flow === 'export' && mercury.length > 0) {
      const consents: { id: string; hs_codes: string[] }[] = await manager.query(
        `SELECT c.id, c.hs_codes FROM consents c
          WHERE c.exporting_country = $1 AND c.importing_country = $2 AND c.type IN ('written_consent', 'general_notification')
            AND (c.reference = $3 OR (c.status = 'active' AND $4::date BETWEEN c.valid_from AND c.valid_to))
          ORDER BY (c.reference = $3) DESC, c.valid_from, c.created_at`,
        [dto.country, dto.partnerCountry, dto.consentReference ?? '', dto.date],
      );
      const consent = consents.find((c) => mercury.every((i) => coveredBy(i.hsCode, c.hs_codes)));
      if (consent) {
        await this.consents.drawDown(manager, consent.id, id, sumKg(mercury.map((i) => i.netMassKg)));
        await manager.query(`UPDATE declarations SET consent_id = $2 WHERE id = $1`, [id, consent.id]);
      }
    }
  }

  /** Gives back what the declaration took from licences and consents. */
  private async releaseRegistries(manager: EntityManager, id: string): Promise<void> {
    const drawn: { consent_id: string }[] = await manager.query(`SELECT consent_id FROM consent_drawdowns WHERE declaration_id = $1`, [id]);
    for (const { consent_id } of drawn) await this.consents.release(manager, consent_id, id);
    const used = rowsOf<{ licence_id: string }>(await manager.query(`DELETE FROM licence_usages WHERE declaration_id = $1 RETURNING licence_id`, [id]));
    for (const { licence_id } of used) {
      await manager.query(`UPDATE licences SET used_quantity_kg = (SELECT coalesce(sum(quantity_kg), 0) FROM licence_usages WHERE licence_id = $1) WHERE id = $1`, [licence_id]);
    }
    await manager.query(`UPDATE declarations SET licence_id = NULL, consent_id = NULL WHERE id = $1`, [id]);
  }

  private async query(filter: {
    ids?: string[];
    scope: string[] | null;
    country?: string;
    flow?: string;
    from?: string;
    to?: string;
    hsCode?: string;
    trader?: string;
    status?: string;
    limit: number;
    after?: [string, string] | null;
  }): Promise<DeclarationView[]> {
    const rows: Record<string, unknown>[] = await this.dataSource.query(
      `SELECT d.*, to_char(d.date, 'YYYY-MM-DD') AS day,
              (SELECT json_agg(json_build_object('line', i.line, 'hsCode', i.hs_code, 'description', i.description,
                                                 'netMassKg', i.net_mass_kg, 'valueUsd', i.value_usd) ORDER BY i.line)
                 FROM declaration_items i WHERE i.declaration_id = d.id) AS items
         FROM declarations d
        WHERE ($1::uuid[] IS NULL OR d.id = ANY ($1))
          AND ($2::text[] IS NULL OR d.country = ANY ($2))
          AND ($3::text IS NULL OR d.country = $3)
          AND ($4::text IS NULL OR d.flow = $4)
          AND ($5::date IS NULL OR d.date >= $5)
          AND ($6::date IS NULL OR d.date <= $6)
          AND ($7::text IS NULL OR EXISTS (SELECT 1 FROM declaration_items i WHERE i.declaration_id = d.id AND i.hs_code LIKE $7 || '%'))
          AND ($8::text IS NULL OR d.trader_national_id = $8 OR hg_normalize_name(d.trader_name) LIKE '%' || hg_normalize_name($8) || '%')
          AND ($9::text IS NULL OR d.status = $9)
          AND ($10::date IS NULL OR (d.date, d.id) < ($10::date, $11::uuid))
        ORDER BY d.date DESC, d.id DESC LIMIT $12`,
      [filter.ids ?? null, filter.scope, filter.country ?? null, filter.flow ?? null, filter.from ?? null, filter.to ?? null, filter.hsCode ?? null,
        filter.trader ?? null, filter.status ?? null, filter.after?.[0] ?? null, filter.after?.[1] ?? null, filter.limit],
    );
    return rows.map((r) => this.toView(r));
  }

  private toView(r: Record<string, unknown>): DeclarationView {
    const items = (r.items as { line: number; hsCode: string; description: string | null; netMassKg: string | number; valueUsd: string | number }[] | null) ?? [];
    return {
      id: r.id as string,
      version: r.version as number,
      status: r.status as DeclarationStatus,
      country: r.country as string,
      flow: r.flow as 'export' | 'import',
      number: r.number as string,
      date: r.day as string,
      trader: { nationalId: r.trader_national_id as string, name: r.trader_name as string, id: (r.trader_id as string | null) ?? null },
      counterparty: { name: r.counterparty_name as string, country: r.counterparty_country as string, address: (r.counterparty_address as string | null) ?? null },
      partnerCountry: r.partner_country as string,
      originCountry: r.origin_country as string,
      transportDocument: (r.transport_document as string | null) ?? null,
      containers: r.containers as string[],
      licenceNumber: (r.licence_number as string | null) ?? null,
      consentReference: (r.consent_reference as string | null) ?? null,
      transportMode: (r.transport_mode as string | null) ?? null,
      items: items.map((i) => ({ ...i, netMassKg: Number(i.netMassKg), valueUsd: Number(i.valueUsd), mercuryClass: this.reference.mercuryClassOf(i.hsCode) })),
      totalNetMassKg: toNumber(r.total_net_mass_kg as string) ?? 0,
      totalValueUsd: toNumber(r.total_value_usd as string) ?? 0,
      licenceId: (r.licence_id as string | null) ?? null,
      consentId: (r.consent_id as string | null) ?? null,
      checkStatus: r.check_status === 'checked' && r.checked_version === r.version ? 'checked' : 'pending',
      source: r.source as DeclarationSource,
      cancelReason: (r.cancel_reason as string | null) ?? null,
      createdAt: (r.created_at as Date).toISOString(),
      updatedAt: (r.updated_at as Date).toISOString(),
    };
  }
}

/** Transport documents and containers as hg_shipping_key() compares them. */
export function shippingKey(value: string): string {
  return value.replace(/[\s./-]+/g, '').toUpperCase();
}

function rejectionDetails(error: unknown): ErrorDetail[] {
  if (error instanceof DomainError) return error.details.length ? error.details : [{ path: '', message: error.message }];
  throw error;
}
