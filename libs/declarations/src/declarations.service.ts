import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { AuditService } from '@hgtrace/audit';
import { countryScope, ensureCanActIn, ensureVisible } from '@hgtrace/auth';
import {
  type Actor, BusinessRuleError, ConflictError, decodeCursor, DEFAULT_PAGE_SIZE, DomainError, type ErrorDetail, groupBy, NotFoundError, type Page, StaleVersionError, toPage,
  validateInput, ValidationFailedError,
} from '@hgtrace/common';
import { ConsentsService } from '@hgtrace/consents';
import { rowsOf } from '@hgtrace/database';
import { JobName, jobId, OutboxService } from '@hgtrace/queue';
import { coveredBy, ReferenceService } from '@hgtrace/reference';
import { today, toNumber } from '@hgtrace/registry';
import { contentHash } from './content-hash.js';
import { fastValidateDeclaration } from './declaration.fast-validation.js';
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

function sumUsd(values: number[]): number {
  return values.reduce((s, v) => s + Math.round(v * 100), 0) / 100;
}

/** What storeMany made of one declaration: stored (or found stored with the same content), or a conflict. */
export type StoreOutcome = { id: string; created: boolean } | { error: DomainError };

/** The licence and consent a declaration counts against, with the kg it counts. */
interface RegistryUse {
  licence?: { id: string; kg: number };
  consent?: { id: string; kg: number };
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
    // PostgreSQL stores neither a NUL character nor half a surrogate pair: said here, per field, rather than failing the whole batch in the database.
    const texts: [string, string | undefined][] = [
      ['trader.nationalId', dto.trader.nationalId], ['trader.name', dto.trader.name], ['counterparty.name', dto.counterparty.name], ['counterparty.address', dto.counterparty.address],
      ['transportDocument', dto.transportDocument], ['licenceNumber', dto.licenceNumber], ['consentReference', dto.consentReference],
      ...containers.map((c, i): [string, string] => [`containers[${i}]`, c]), ...dto.items.map((item, i): [string, string | undefined] => [`items[${i}].description`, item.description]),
    ];
    for (const [path, text] of texts) if (text !== undefined && UNSTORABLE.test(text)) details.push({ path, message: 'must not contain a NUL character or an unpaired surrogate' });
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
        const dto = fastValidateDeclaration(item) ?? (await validateInput(DeclarationDto, item));
        ensureCanActIn(actor, dto.country, 'file declarations');
        this.validateSemantics(dto);
        valid.push({ index, dto });
      } catch (error) {
        results[index] = { index, status: 'rejected', errors: rejectionDetails(error) };
      }
    }
    await this.dataSource.transaction(async (manager) => {
      const outcomes = await this.storeMany(manager, actor, valid.map((v) => v.dto), source);
      outcomes.forEach((outcome, i) => {
        const { index } = valid[i];
        results[index] = 'error' in outcome ? { index, status: 'rejected', errors: rejectionDetails(outcome.error) } : { index, status: outcome.created ? 'created' : 'duplicate', id: outcome.id };
      });
    });
    return results;
  }

  /** Stores a validated declaration within the caller's transaction. Never throws on a duplicate with equal content. */
  async store(manager: EntityManager, actor: Actor, dto: DeclarationDto, source: DeclarationSource): Promise<{ id: string; created: boolean }> {
    const [outcome] = await this.storeMany(manager, actor, [dto], source);
    if ('error' in outcome) throw outcome.error;
    return outcome;
  }

  /**
   * Stores validated declarations within the caller's transaction, as `store` would one after the
   * other (the first of two with the same number is stored, the second is its duplicate or a
   * conflict; consents are drawn in the order given), but with a few set-based statements for the
   * whole lot instead of a dozen round trips per declaration. A conflict is reported in place of its
   * declaration; the others are stored.
   */
  async storeMany(manager: EntityManager, actor: Actor, dtos: DeclarationDto[], source: DeclarationSource): Promise<StoreOutcome[]> {
    if (dtos.length === 0) return [];
    const bodies = dtos.map(bodyOf);
    const hashes = bodies.map((b) => contentHash(b));
    const uses = await this.registryUses(manager, dtos);
    // One JSON parameter for the lot, exploded by json_to_recordset: far cheaper to build, send and
    // parse than two dozen array parameters (each element escaped) or a VALUES list.
    const rows = dtos.map((d, i) => ({
      country: d.country, number: d.number, flow: d.flow, date: d.date, trader_national_id: d.trader.nationalId, trader_name: d.trader.name,
      counterparty_name: d.counterparty.name, counterparty_country: d.counterparty.country, counterparty_address: d.counterparty.address ?? null,
      partner_country: d.partnerCountry, origin_country: d.originCountry, transport_document: d.transportDocument ?? null, containers: d.containers ?? [],
      licence_number: d.licenceNumber ?? null, consent_reference: d.consentReference ?? null, transport_mode: d.transportMode ?? null,
      kg: String(sumKg(d.items.map((item) => item.netMassKg))), usd: String(sumUsd(d.items.map((item) => item.valueUsd))), hash: hashes[i],
      licence_id: uses[i].licence?.id ?? null, consent_id: uses[i].consent?.id ?? null,
    }));
    const inserted: { id: string; country: string; number: string }[] = await manager.query(
      `INSERT INTO declarations (country, number, flow, date, trader_national_id, trader_name, trader_id, counterparty_name, counterparty_country,
                                 counterparty_address, partner_country, origin_country, transport_document, containers, licence_number, consent_reference,
                                 transport_mode, total_net_mass_kg, total_value_usd, content_hash, source, created_by, licence_id, consent_id)
       SELECT u.country, u.number, u.flow, u.date, u.trader_national_id, u.trader_name,
              (SELECT t.id FROM traders t WHERE t.country = u.country AND t.national_id = u.trader_national_id),
              u.counterparty_name, u.counterparty_country, u.counterparty_address, u.partner_country, u.origin_country, u.transport_document,
              u.containers, u.licence_number, u.consent_reference, u.transport_mode, u.kg, u.usd, u.hash, $2, $3, u.licence_id, u.consent_id
         FROM ROWS FROM (jsonb_to_recordset($1::jsonb) AS (country text, number text, flow text, date date, trader_national_id text, trader_name text, counterparty_name text,
                                                         counterparty_country text, counterparty_address text, partner_country text, origin_country text,
                                                         transport_document text, containers text[], licence_number text, consent_reference text, transport_mode text,
                                                         kg numeric, usd numeric, hash text, licence_id uuid, consent_id uuid))
              WITH ORDINALITY AS u(country, number, flow, date, trader_national_id, trader_name, counterparty_name, counterparty_country, counterparty_address,
                                   partner_country, origin_country, transport_document, containers, licence_number, consent_reference, transport_mode, kg, usd, hash,
                                   licence_id, consent_id, ord)
        ORDER BY u.ord
       ON CONFLICT (country, number) DO NOTHING RETURNING id, country, number`,
      [JSON.stringify(rows), source, actor.userId],
    );
    // The first declaration of each (country, number) is the one stored; any later one with the same key is checked below.
    const insertedIds = new Map(inserted.map((r) => [`${r.country}|${r.number}`, r.id]));
    const outcomes: (StoreOutcome | undefined)[] = dtos.map((d) => {
      const key = `${d.country}|${d.number}`;
      const id = insertedIds.get(key);
      if (id === undefined) return undefined;
      insertedIds.delete(key);
      return { id, created: true };
    });
    const created = outcomes.flatMap((o, i) => (o && 'id' in o ? [{ id: o.id, dto: dtos[i], body: bodies[i], hash: hashes[i], use: uses[i] }] : []));
    await this.writeParts(manager, created);
    if (created.length) {
      await manager.query(
        `INSERT INTO declaration_versions (declaration_id, version, status, body, content_hash, created_by)
         SELECT v.id, 1, 'received', v.body, v.hash, $2 FROM jsonb_to_recordset($1::jsonb) AS v(id uuid, body jsonb, hash text)`,
        [JSON.stringify(created.map((c) => ({ id: c.id, body: c.body, hash: c.hash }))), actor.userId],
      );
    }
    const others = outcomes.flatMap((o, i) => (o ? [] : [i]));
    if (others.length) {
      const existing: { ord: string; id: string | null; same: boolean }[] = await manager.query(
        `SELECT u.ord::text, d.id, EXISTS (SELECT 1 FROM declaration_versions v WHERE v.declaration_id = d.id AND v.content_hash = u.hash) AS same
           FROM unnest($1::text[], $2::text[], $3::text[]) WITH ORDINALITY AS u(country, number, hash, ord)
           LEFT JOIN declarations d ON d.country = u.country AND d.number = u.number`,
        [others.map((i) => dtos[i].country), others.map((i) => dtos[i].number), others.map((i) => hashes[i])],
      );
      for (const row of existing) {
        const index = others[Number(row.ord) - 1];
        const dto = dtos[index];
        outcomes[index] = row.id && row.same
          ? { id: row.id, created: false }
          : { error: new ConflictError(`Declaration ${dto.number} of ${dto.country} exists with different content; amend it with PUT and its version`, [{ path: 'number', message: 'exists with different content' }]) };
      }
    }
    await this.countAgainstRegistries(manager, created.map((c) => ({ id: c.id, date: c.dto.date, use: c.use })));
    await this.outbox.enqueue(manager, ...created.map((c) => ({ name: JobName.CheckDeclaration, id: jobId('check', c.id, 1), payload: { declarationId: c.id, version: 1 } })));
    // Last: the audit chain's row lock is held from here to the commit, so concurrent filings wait for it as briefly as possible.
    await this.audit.record(manager, actor, ...created.map((c) => ({ action: 'declaration.file', entity: 'declaration', entityId: c.id, countries: [c.dto.country], after: { ...c.body, source } })));
    return outcomes as StoreOutcome[];
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
          dto.transportMode ?? null, String(sumKg(dto.items.map((i) => i.netMassKg))), String(sumUsd(dto.items.map((i) => i.valueUsd))), hash],
      );
      await manager.query(`DELETE FROM declaration_items WHERE declaration_id = $1`, [id]);
      await manager.query(`DELETE FROM declaration_containers WHERE declaration_id = $1`, [id]);
      await this.writeParts(manager, [{ id, dto }]);
      await manager.query(`INSERT INTO declaration_versions (declaration_id, version, status, body, content_hash, created_by) VALUES ($1, $2, 'amended', $3, $4, $5)`, [
        id, next, JSON.stringify(body), hash, actor.userId,
      ]);
      await this.releaseRegistries(manager, id);
      const [use] = await this.registryUses(manager, [dto]);
      await this.countAgainstRegistries(manager, [{ id, date: dto.date, use }]);
      await manager.query(`UPDATE declarations SET licence_id = $2, consent_id = $3 WHERE id = $1`, [id, use.licence?.id ?? null, use.consent?.id ?? null]);
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

  private async writeParts(manager: EntityManager, declarations: { id: string; dto: DeclarationDto }[]): Promise<void> {
    const items = declarations.flatMap(({ id, dto }) => dto.items.map((item, i) => ({ id, line: i + 1, item })));
    if (items.length) {
      await manager.query(
        `INSERT INTO declaration_items (declaration_id, line, hs_code, net_mass_kg, value_usd, description)
         SELECT id, line, hs, kg::numeric, usd::numeric, descr FROM unnest($1::uuid[], $2::int[], $3::text[], $4::text[], $5::text[], $6::text[]) AS u(id, line, hs, kg, usd, descr)`,
        [items.map((r) => r.id), items.map((r) => r.line), items.map((r) => r.item.hsCode), items.map((r) => String(r.item.netMassKg)), items.map((r) => String(r.item.valueUsd)),
          items.map((r) => r.item.description ?? null)],
      );
    }
    const containers = declarations.flatMap(({ id, dto }) => (dto.containers ?? []).map((container) => ({ id, container })));
    if (containers.length) {
      await manager.query(
        `INSERT INTO declaration_containers (declaration_id, container_key)
         SELECT id, key FROM (SELECT id, hg_shipping_key(c) AS key FROM unnest($1::uuid[], $2::text[]) AS u(id, c)) k WHERE key IS NOT NULL ON CONFLICT DO NOTHING`,
        [containers.map((r) => r.id), containers.map((r) => r.container)],
      );
    }
  }

  /**
   * The licence and consent each declaration counts against: for mercury and compound items, the
   * licence cited if it is the trader's and of the right type, else the trader's licence valid on the
   * date; for a mercury export, the consent cited, else one valid on the date. Two queries for the
   * whole lot; the choice per declaration is made here, in the order the single query used to sort.
   */
  private async registryUses(manager: EntityManager, dtos: DeclarationDto[]): Promise<RegistryUse[]> {
    const controlledOf = (dto: DeclarationDto) => dto.items.filter((i) => ['mercury', 'compound'].includes(this.reference.mercuryClassOf(i.hsCode)));
    const mercuryOf = (dto: DeclarationDto) => (dto.flow === 'export' ? dto.items.filter((i) => this.reference.mercuryClassOf(i.hsCode) === 'mercury') : []);
    const controlled = dtos.map(controlledOf);
    const mercury = dtos.map(mercuryOf);
    const traderKeys = [...new Set(dtos.filter((_, i) => controlled[i].length).map((d) => JSON.stringify([d.country, d.flow, d.trader.nationalId])))].map((k) => JSON.parse(k) as string[]);
    const pairKeys = [...new Set(dtos.filter((_, i) => mercury[i].length).map((d) => JSON.stringify([d.country, d.partnerCountry])))].map((k) => JSON.parse(k) as string[]);
    const licences: { id: string; hs_codes: string[]; number: string; country: string; type: string; national_id: string; status: string; valid_from: string; valid_to: string }[] = traderKeys.length
      ? await manager.query(
        `SELECT l.id, l.hs_codes, l.number, l.country, l.type, t.national_id, l.status, to_char(l.valid_from, 'YYYY-MM-DD') AS valid_from, to_char(l.valid_to, 'YYYY-MM-DD') AS valid_to
           FROM unnest($1::text[], $2::text[], $3::text[]) AS k(country, type, national_id)
           JOIN traders t ON t.country = k.country AND t.national_id = k.national_id
           JOIN licences l ON l.trader_id = t.id AND l.country = k.country AND l.type = k.type
          ORDER BY l.valid_to DESC`,
        [traderKeys.map((k) => k[0]), traderKeys.map((k) => k[1]), traderKeys.map((k) => k[2])],
      )
      : [];
    const consents: { id: string; hs_codes: string[]; reference: string; exporting_country: string; importing_country: string; status: string; valid_from: string; valid_to: string }[] = pairKeys.length
      ? await manager.query(
        `SELECT c.id, c.hs_codes, c.reference, c.exporting_country, c.importing_country, c.status, to_char(c.valid_from, 'YYYY-MM-DD') AS valid_from, to_char(c.valid_to, 'YYYY-MM-DD') AS valid_to
           FROM unnest($1::text[], $2::text[]) AS k(exporting_country, importing_country)
           JOIN consents c ON c.exporting_country = k.exporting_country AND c.importing_country = k.importing_country
          WHERE c.type IN ('written_consent', 'general_notification')
          ORDER BY c.valid_from, c.created_at`,
        [pairKeys.map((k) => k[0]), pairKeys.map((k) => k[1])],
      )
      : [];
    // Array.prototype.sort is stable: sorting by the leading keys keeps the SQL order (valid_to, valid_from) as the last key.
    const first = <T>(rows: T[], keys: ((row: T) => boolean)[]) =>
      [...rows].sort((a, b) => {
        for (const key of keys) if (key(a) !== key(b)) return key(a) ? -1 : 1;
        return 0;
      });
    // Grouped by trader and by country pair, each group in the SQL order, so a declaration looks only at its own.
    const licencesOf = groupBy(licences, (l) => `${l.country}|${l.type}|${l.national_id}`);
    const consentsOf = groupBy(consents, (c) => `${c.exporting_country}|${c.importing_country}`);
    return dtos.map((dto, i) => {
      const use: RegistryUse = {};
      if (controlled[i].length) {
        const own = licencesOf.get(`${dto.country}|${dto.flow}|${dto.trader.nationalId}`) ?? [];
        const ranked = first(own, [(l) => l.number === (dto.licenceNumber ?? ''), (l) => l.status === 'active' && dto.date >= l.valid_from && dto.date <= l.valid_to]);
        const licence = ranked.find((l) => controlled[i].some((item) => coveredBy(item.hsCode, l.hs_codes)));
        if (licence) use.licence = { id: licence.id, kg: sumKg(controlled[i].filter((item) => coveredBy(item.hsCode, licence.hs_codes)).map((item) => item.netMassKg)) };
      }
      if (mercury[i].length) {
        const cited = dto.consentReference ?? '';
        const eligible = (consentsOf.get(`${dto.country}|${dto.partnerCountry}`) ?? [])
          .filter((c) => c.reference === cited || (c.status === 'active' && dto.date >= c.valid_from && dto.date <= c.valid_to));
        const consent = first(eligible, [(c) => c.reference === cited]).find((c) => mercury[i].every((item) => coveredBy(item.hsCode, c.hs_codes)));
        if (consent) use.consent = { id: consent.id, kg: sumKg(mercury[i].map((item) => item.netMassKg)) };
      }
      return use;
    });
  }

  /**
   * Counts declarations against their licences and draws their consents, in the order given. The
   * licences and consents are locked first, in id order (so concurrent filings never deadlock); a
   * licence's totals follow its usages by trigger (migration LicenceUsageTotals). NO KEY UPDATE, because the declarations rows inserted before
   * already hold KEY SHARE locks on them through their foreign keys; FOR UPDATE would wait on those. A consent draws what each declaration asks while quantity
   * remains (ConsentsService.drawDown for one declaration): what it takes beyond is left for the
   * rules to flag.
   */
  private async countAgainstRegistries(manager: EntityManager, declarations: { id: string; date: string; use: RegistryUse }[]): Promise<void> {
    const licenced = declarations.filter((d) => d.use.licence);
    if (licenced.length) {
      const ids = [...new Set(licenced.map((d) => d.use.licence!.id))];
      await manager.query(`SELECT 1 FROM licences WHERE id = ANY ($1::uuid[]) ORDER BY id FOR NO KEY UPDATE`, [ids]);
      await manager.query(`INSERT INTO licence_usages (licence_id, declaration_id, quantity_kg, declaration_date) SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::numeric[], $4::date[])`, [
        licenced.map((d) => d.use.licence!.id), licenced.map((d) => d.id), licenced.map((d) => String(d.use.licence!.kg)), licenced.map((d) => d.date),
      ]);
    }
    const drawing = declarations.filter((d) => d.use.consent);
    if (drawing.length) {
      await manager.query(`SELECT 1 FROM consents WHERE id = ANY ($1::uuid[]) ORDER BY id FOR NO KEY UPDATE`, [[...new Set(drawing.map((d) => d.use.consent!.id))]]);
      // Each declaration draws the least of what it asks and what the ones before it left.
      await manager.query(
        `WITH asked AS (
           SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::numeric[]) WITH ORDINALITY AS a(consent_id, declaration_id, requested_kg, ord)
         ), drawn AS (
           SELECT a.consent_id, a.declaration_id, a.requested_kg,
                  CASE WHEN c.quantity_kg IS NULL THEN a.requested_kg
                       ELSE least(a.requested_kg, greatest(c.quantity_kg - c.used_quantity_kg
                                  - coalesce(sum(a.requested_kg) OVER (PARTITION BY a.consent_id ORDER BY a.ord ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0), 0)) END AS drawn_kg
             FROM asked a JOIN consents c ON c.id = a.consent_id
         ), stored AS (
           INSERT INTO consent_drawdowns (consent_id, declaration_id, requested_kg, drawn_kg) SELECT consent_id, declaration_id, requested_kg, drawn_kg FROM drawn
         )
         UPDATE consents c SET used_quantity_kg = c.used_quantity_kg + t.drawn_kg, updated_at = now()
           FROM (SELECT consent_id, sum(drawn_kg) AS drawn_kg FROM drawn GROUP BY consent_id) t
          WHERE c.id = t.consent_id`,
        [drawing.map((d) => d.use.consent!.id), drawing.map((d) => d.id), drawing.map((d) => String(d.use.consent!.kg))],
      );
    }
  }

  /**
   * Gives back what the declaration took from licences and consents: licences first, then consents,
   * each locked in id order as countAgainstRegistries takes them, so a cancellation or an amendment
   * never deadlocks with a filing on the same licence and consent.
   */
  private async releaseRegistries(manager: EntityManager, id: string): Promise<void> {
    await manager.query(`SELECT 1 FROM licences WHERE id IN (SELECT licence_id FROM licence_usages WHERE declaration_id = $1) ORDER BY id FOR NO KEY UPDATE`, [id]);
    await manager.query(`DELETE FROM licence_usages WHERE declaration_id = $1`, [id]);
    const drawn: { consent_id: string }[] = await manager.query(`SELECT consent_id FROM consent_drawdowns WHERE declaration_id = $1 ORDER BY consent_id`, [id]);
    for (const { consent_id } of drawn) await this.consents.release(manager, consent_id, id);
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

/** A NUL character, or a surrogate without its other half. */
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Transport documents and containers as hg_shipping_key() compares them. */
export function shippingKey(value: string): string {
  return value.replace(/[\s./-]+/g, '').toUpperCase();
}

function rejectionDetails(error: unknown): ErrorDetail[] {
  if (error instanceof DomainError) return error.details.length ? error.details : [{ path: '', message: error.message }];
  throw error;
}
