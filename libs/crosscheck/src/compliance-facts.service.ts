import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { groupBy } from '@hgtrace/common';
import { preparedStatement, queryPrepared } from '@hgtrace/database';
import { ReferenceService } from '@hgtrace/reference';
import { LICENCE_HISTORY, licenceStatusOn, type LicenceStatusChange } from '@hgtrace/registry';
import { type ComplianceFacts, type ConsentFacts, type DeclarationFacts, type ItemFacts, LICENSED_CLASSES, type LicenceFacts } from './compliance/index.js';

/** A declaration's content as the rules need it: from a request body (verify) or from the database (checks). */
export type DeclarationContent = Omit<DeclarationFacts, 'items' | 'licenceNumber' | 'consentReference'> & {
  licenceNumber?: string | null;
  consentReference?: string | null;
  /** The items as filed; their mercury class is looked up here. */
  items: (Omit<ItemFacts, 'mercuryClass' | 'description'> & { description?: string | null })[];
};

interface LicenceRow {
  id: string;
  number: string;
  country: string;
  trader_id: string;
  trader_national_id: string;
  type: 'export' | 'import';
  hs_codes: string[];
  max_quantity_kg: string | null;
  valid_from: string;
  valid_to: string;
  status: 'active' | 'suspended' | 'revoked';
  /** Kg used by the declarations dated within its validity, all of them. */
  used_in_validity: string;
  history: LicenceStatusChange[];
}

interface ConsentRow {
  id: string;
  reference: string;
  type: ConsentFacts['type'];
  exporting_country: string;
  importing_country: string;
  exporter_national_id: string | null;
  importer_name: string | null;
  hs_codes: string[];
  quantity_kg: string | null;
  valid_from: string;
  valid_to: string;
  status: 'active' | 'withdrawn';
  withdrawn_on: string | null;
  non_party_certification: boolean;
  used_total: string;
}

const LICENCE_SELECT = `
  SELECT l.id, l.number, l.country, l.trader_id, t.national_id AS trader_national_id, l.type, l.hs_codes, l.max_quantity_kg::text,
         l.valid_from, l.valid_to, l.status, l.used_in_validity_kg::text AS used_in_validity,
         ${LICENCE_HISTORY} AS history
    FROM licences l JOIN traders t ON t.id = l.trader_id`;

// The named exporter and importer are looked up by primary key for each consent found: joined, the
// generic plan of verify hashed the whole traders table twice for the one consent a reference names.
const CONSENT_SELECT = `
  SELECT c.id, c.reference, c.type, c.exporting_country, c.importing_country,
         (SELECT ex.national_id FROM traders ex WHERE ex.id = c.exporter_id) AS exporter_national_id,
         (SELECT im.name FROM traders im WHERE im.id = c.importer_id) AS importer_name,
         c.hs_codes, c.quantity_kg::text, c.valid_from, c.valid_to, c.status, to_char(c.withdrawn_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS withdrawn_on,
         c.non_party_certification, c.used_quantity_kg::text AS used_total, c.created_at
    FROM consents c`;

/**
 * How the facts statement spells its inputs: parameters holding arrays, or arrays built of scalar
 * parameters. Countries are typed as the char(2) columns they are compared with, so that the unique
 * (country, ...) indexes serve the lookups (compared as text, they cannot).
 */
interface FactsInputs {
  countries: string;
  nationalIds: string;
  /** The traders whose licences of a type are wanted: country, national id and type (the flow). */
  licensingCountries: string;
  licensingNationalIds: string;
  licensingTypes: string;
  citedCountries: string;
  citedNumbers: string;
  exporting: string;
  importing: string;
  references: string;
  ids: string;
}

/** The registry facts of declarations in one statement. */
const factsSql = (p: FactsInputs) => `WITH declaring AS (SELECT * FROM unnest(${p.countries}, ${p.nationalIds}) AS k(country, national_id)),
        -- The = ANY conditions let each lookup take its (country, ...) unique index; the IN keeps the exact pairs.
        trader_licences AS (${LICENCE_SELECT} WHERE t.country = ANY (${p.licensingCountries}) AND t.national_id = ANY (${p.licensingNationalIds})
                               AND (l.country, t.national_id, l.type) IN (SELECT * FROM unnest(${p.licensingCountries}, ${p.licensingNationalIds}, ${p.licensingTypes}))),
        cited_licences AS (${LICENCE_SELECT} WHERE l.country = ANY (${p.citedCountries}) AND l.number = ANY (${p.citedNumbers}) AND (l.country, l.number) IN (SELECT * FROM unnest(${p.citedCountries}, ${p.citedNumbers})))
   SELECT
     (SELECT coalesce(json_agg(json_build_object('country', t.country, 'national_id', t.national_id)), '[]')
        FROM traders t WHERE t.country = ANY (${p.countries}) AND t.national_id = ANY (${p.nationalIds}) AND (t.country, t.national_id) IN (SELECT * FROM declaring)) AS traders,
     (SELECT coalesce(json_agg(x ORDER BY x.valid_to DESC, x.number), '[]') FROM trader_licences x) AS licences,
     (SELECT coalesce(json_agg(x), '[]') FROM cited_licences x) AS cited,
     (SELECT coalesce(json_agg(x ORDER BY x.valid_from, x.created_at, x.id), '[]')
        FROM (${CONSENT_SELECT} WHERE (c.exporting_country, c.importing_country) IN (SELECT * FROM unnest(${p.exporting}, ${p.importing}))) x) AS consents,
     (SELECT coalesce(json_agg(x ORDER BY x.created_at, x.id), '[]') FROM (${CONSENT_SELECT} WHERE c.reference = ANY (${p.references})) x) AS referenced,
     (SELECT coalesce(json_agg(x), '[]') FROM (
        SELECT u.declaration_id, u.licence_id, u.quantity_kg::text AS used
          FROM licence_usages u JOIN licences l ON l.id = u.licence_id
         WHERE u.declaration_id = ANY (${p.ids}) AND u.declaration_date BETWEEN l.valid_from AND l.valid_to) x) AS own_usage,
     (SELECT coalesce(json_agg(x), '[]') FROM (SELECT declaration_id, consent_id, drawn_kg::text FROM consent_drawdowns WHERE declaration_id = ANY (${p.ids})) x) AS own_draws`;

/** For a chunk: one array parameter per input, planned for the arrays at hand. */
const FACTS_OF_MANY = factsSql({
  countries: '$1::bpchar[]', nationalIds: '$2::text[]', licensingCountries: '$9::bpchar[]', licensingNationalIds: '$10::text[]', licensingTypes: '$11::text[]', citedCountries: '$3::bpchar[]', citedNumbers: '$4::text[]', exporting: '$5::bpchar[]', importing: '$6::bpchar[]', references: '$7::text[]',
  ids: '$8::uuid[]',
});

/**
 * For one declaration (verify, a single check), prepared: planning the statement cost three times its
 * execution. The same facts as {@link factsSql}, with each input a scalar parameter compared by
 * equality: the plan PostgreSQL keeps for the connection (the generic one) is then the plan for the
 * values, each lookup one probe of a unique index, without the unnest, semi-joins and hash steps
 * that sets of inputs need (with array parameters it would assume ten elements each, find the
 * generic plan dearer, and plan every call again). $1 country, $2 trader's national id, $3 and $4
 * the cited licence's country and number (null when none is cited), $5 partner country, $6 cited
 * consent reference, $7 the declaration's id when it is stored, $8 the flow (the licence type).
 */
const FACTS_OF_ONE = preparedStatement('hg_compliance_facts_one', `WITH
        trader_licences AS (${LICENCE_SELECT} WHERE t.country = $1::bpchar AND t.national_id = $2::text AND l.country = $1::bpchar AND l.type = $8::text),
        cited_licences AS (${LICENCE_SELECT} WHERE l.country = $3::bpchar AND l.number = $4::text)
   SELECT
     (SELECT coalesce(json_agg(json_build_object('country', t.country, 'national_id', t.national_id)), '[]')
        FROM traders t WHERE t.country = $1::bpchar AND t.national_id = $2::text) AS traders,
     (SELECT coalesce(json_agg(x ORDER BY x.valid_to DESC, x.number), '[]') FROM trader_licences x) AS licences,
     (SELECT coalesce(json_agg(x), '[]') FROM cited_licences x) AS cited,
     (SELECT coalesce(json_agg(x ORDER BY x.valid_from, x.created_at, x.id), '[]')
        FROM (${CONSENT_SELECT} WHERE (c.exporting_country = $1::bpchar AND c.importing_country = $5::bpchar)
                                 OR (c.exporting_country = $5::bpchar AND c.importing_country = $1::bpchar)) x) AS consents,
     (SELECT coalesce(json_agg(x ORDER BY x.created_at, x.id), '[]') FROM (${CONSENT_SELECT} WHERE c.reference = $6::text) x) AS referenced,
     (SELECT coalesce(json_agg(x), '[]') FROM (
        SELECT u.declaration_id, u.licence_id, u.quantity_kg::text AS used
          FROM licence_usages u JOIN licences l ON l.id = u.licence_id
         WHERE u.declaration_id = $7::uuid AND u.declaration_date BETWEEN l.valid_from AND l.valid_to) x) AS own_usage,
     (SELECT coalesce(json_agg(x), '[]') FROM (SELECT declaration_id, consent_id, drawn_kg::text FROM consent_drawdowns WHERE declaration_id = $7::uuid) x) AS own_draws`);

/** A declaration to gather facts for, with its id when it is stored (its own usage is then left out). */
export interface FactsRequest {
  content: DeclarationContent;
  declarationId: string | null;
}

/**
 * Kg used under each licence by declarations dated within its validity. A run reads it once for all
 * licences ({@link ComplianceFactsService.licenceUsage}), so that every chunk judges against the same
 * totals; otherwise each licence's own running total is read with it.
 */
export type LicenceUsage = Map<string, number>;

/**
 * Gathers what the registries hold about declarations, for the pure compliance rules: a handful of
 * set-based queries whether one declaration is checked or a chunk of thousands. Quantities used by
 * other declarations exclude the declaration itself, so a stored declaration is judged exactly as it
 * was at verify time.
 */
@Injectable()
export class ComplianceFactsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly reference: ReferenceService,
  ) {}

  async gather(content: DeclarationContent, declarationId: string | null = null, manager: EntityManager = this.dataSource.manager): Promise<ComplianceFacts> {
    const [facts] = await this.gatherMany([{ content, declarationId }], manager);
    return facts;
  }

  /** Kg used under every licence (or those given) by declarations dated within its validity. */
  async licenceUsage(manager: EntityManager, licenceIds: string[] | null = null): Promise<LicenceUsage> {
    const rows: { id: string; used: string }[] = await manager.query(
      `SELECT id, used_in_validity_kg::text AS used FROM licences WHERE $1::uuid[] IS NULL OR id = ANY ($1)`,
      [licenceIds],
    );
    return new Map(rows.map((r) => [r.id, Number(r.used)]));
  }

  /** Facts for each request, in order. */
  async gatherMany(requests: FactsRequest[], manager: EntityManager = this.dataSource.manager, usage?: LicenceUsage): Promise<ComplianceFacts[]> {
    if (requests.length === 0) return [];
    const contents = requests.map((r) => r.content);
    const ids = requests.map((r) => r.declarationId).filter((id): id is string => id !== null);
    const cited = contents.filter((c) => c.licenceNumber);
    const references = [...new Set(contents.map((c) => c.consentReference).filter((r): r is string => !!r))];
    const pairs = [...new Set(contents.flatMap((c) => [`${c.country}:${c.partnerCountry}`, `${c.partnerCountry}:${c.country}`]))].map((p) => p.split(':'));
    // Licences of the flow's type are all the rules look at, and only for mercury and compound items:
    // a chunk asks for the licences of the traders that declare such items. (Verify asks for its
    // trader's licences in any case: its verdict names the licence any item would use.)
    const licensing = contents.filter((c) => c.items.some((i) => LICENSED_CLASSES.includes(this.reference.mercuryClassOf(i.hsCode))));
    // One round trip: a customs officer waits for verify, and a run does this for every chunk.
    let rows: Record<string, unknown>[];
    if (requests.length === 1) {
      const [{ content, declarationId }] = requests;
      rows = await queryPrepared(manager, FACTS_OF_ONE, [
        content.country, content.trader.nationalId, content.licenceNumber ? content.country : null, content.licenceNumber || null, content.partnerCountry,
        content.consentReference || null, declarationId, content.flow,
      ]);
    } else {
      rows = await manager.query(FACTS_OF_MANY, [
        contents.map((c) => c.country), contents.map((c) => c.trader.nationalId),
        cited.map((c) => c.country), cited.map((c) => c.licenceNumber),
        pairs.map((p) => p[0]), pairs.map((p) => p[1]),
        references, ids,
        licensing.map((c) => c.country), licensing.map((c) => c.trader.nationalId), licensing.map((c) => c.flow),
      ]);
    }
    const [facts] = rows;
    const traderRows = facts.traders as { country: string; national_id: string }[];
    const licenceRows = facts.licences as LicenceRow[];
    const citedRows = facts.cited as LicenceRow[];
    const consentRows = facts.consents as ConsentRow[];
    const referencedRows = facts.referenced as ConsentRow[];
    const ownUsageRows = facts.own_usage as { declaration_id: string; licence_id: string; used: string }[];
    const ownDrawRows = facts.own_draws as { declaration_id: string; consent_id: string; drawn_kg: string }[];
    const total = (licence: LicenceRow) => (usage ? (usage.get(licence.id) ?? 0) : Number(licence.used_in_validity));
    const registered = new Set(traderRows.map((t) => `${t.country}:${t.national_id}`));
    const ownUsage = new Map(ownUsageRows.map((u) => [`${u.declaration_id}:${u.licence_id}`, Number(u.used)]));
    const ownDraw = new Map(ownDrawRows.map((d) => [`${d.declaration_id}:${d.consent_id}`, Number(d.drawn_kg)]));
    // Quantities are numeric(…, 3) in kg: subtract in grams so that no float residue tips a ceiling.
    const kgMinus = (total: number, own: number) => (Math.round(total * 1000) - Math.round(own * 1000)) / 1000;
    const usedByOthers = (licence: LicenceRow, declarationId: string | null) =>
      kgMinus(total(licence), declarationId ? (ownUsage.get(`${declarationId}:${licence.id}`) ?? 0) : 0);
    const drawnByOthers = (consent: ConsentRow, declarationId: string | null) =>
      kgMinus(Number(consent.used_total), declarationId ? (ownDraw.get(`${declarationId}:${consent.id}`) ?? 0) : 0);

    // Indexed once, so that a chunk of thousands finds each declaration's rows without scanning them all.
    const licencesOfTrader = groupBy(licenceRows, (r) => `${r.country}:${r.trader_national_id}`);
    const citedByNumber = new Map(citedRows.map((r) => [`${r.country}:${r.number}`, r]));
    const consentsOfPair = groupBy(consentRows, (r) => [r.exporting_country, r.importing_country].sort().join(':'));
    const referencedBy = groupBy(referencedRows, (r) => r.reference);

    return requests.map(({ content, declarationId }) => {
      const licence = (r: LicenceRow) => toLicenceFacts(r, content.date, usedByOthers(r, declarationId));
      const consent = (r: ConsentRow) => toConsentFacts(r, drawnByOthers(r, declarationId));
      const between = (r: ConsentRow) => [r.exporting_country, r.importing_country].every((c) => c === content.country || c === content.partnerCountry);
      const citedLicence = content.licenceNumber ? citedByNumber.get(`${content.country}:${content.licenceNumber}`) : undefined;
      // A reference may exist between several pairs: the one between these two countries first, then the oldest.
      const referenced = content.consentReference ? (referencedBy.get(content.consentReference) ?? []) : [];
      const citedConsent = referenced.find(between) ?? referenced[0];
      const pairConsents = (consentsOfPair.get([content.country, content.partnerCountry].sort().join(':')) ?? []).filter(between);
      return {
        declaration: {
          country: content.country,
          flow: content.flow,
          number: content.number,
          date: content.date,
          trader: content.trader,
          counterparty: content.counterparty,
          partnerCountry: content.partnerCountry,
          originCountry: content.originCountry,
          licenceNumber: content.licenceNumber ?? null,
          consentReference: content.consentReference ?? null,
          items: content.items.map((i) => ({ ...i, description: i.description ?? null, mercuryClass: this.reference.mercuryClassOf(i.hsCode) })),
        },
        traderRegistered: registered.has(`${content.country}:${content.trader.nationalId}`),
        traderLicences: (licencesOfTrader.get(`${content.country}:${content.trader.nationalId}`) ?? []).map(licence),
        citedLicence: citedLicence ? licence(citedLicence) : null,
        pairConsents: pairConsents.map(consent),
        citedConsent: citedConsent ? consent(citedConsent) : null,
        partySince: {
          country: this.reference.country(content.country)?.minamataPartySince ?? null,
          partner: this.reference.country(content.partnerCountry)?.minamataPartySince ?? null,
        },
      };
    });
  }
}

function toLicenceFacts(r: LicenceRow, date: string, usedByOthersKg: number): LicenceFacts {
  const statusOn = licenceStatusOn({ validFrom: r.valid_from, validTo: r.valid_to, stored: r.status, history: r.history }, date);
  const stored = statusOn.status === 'expired' ? 'active' : statusOn.status;
  const lastChange = [...r.history].reverse().find((h) => h.at.slice(0, 10) <= date) ?? null;
  return {
    id: r.id,
    number: r.number,
    country: r.country,
    traderId: r.trader_id,
    traderNationalId: r.trader_national_id,
    type: r.type,
    hsCodes: r.hs_codes,
    maxQuantityKg: r.max_quantity_kg === null ? null : Number(r.max_quantity_kg),
    validFrom: r.valid_from,
    validTo: r.valid_to,
    statusOnDate: stored,
    lastChange: lastChange ? { to: lastChange.to, at: lastChange.at.slice(0, 10), reason: lastChange.reason } : null,
    usedByOthersKg,
  };
}

function toConsentFacts(r: ConsentRow, usedByOthersKg: number): ConsentFacts {
  return {
    id: r.id,
    reference: r.reference,
    type: r.type,
    exportingCountry: r.exporting_country,
    importingCountry: r.importing_country,
    exporterNationalId: r.exporter_national_id,
    importerName: r.importer_name,
    hsCodes: r.hs_codes,
    quantityKg: r.quantity_kg === null ? null : Number(r.quantity_kg),
    validFrom: r.valid_from,
    validTo: r.valid_to,
    status: r.status,
    withdrawnOn: r.withdrawn_on,
    nonPartyCertification: r.non_party_certification,
    usedByOthersKg,
  };
}
