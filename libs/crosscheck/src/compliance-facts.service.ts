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

/** A licence of a run's snapshot: with its trader's country, which a chunk's facts filter on as the chunk's statement does. */
interface SnapshotLicenceRow extends LicenceRow {
  trader_country: string;
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
 * What the registries held when a cross-check run started (or resumed): every trader, licence (with
 * its status history and the kg used within its validity) and consent, read once so that no chunk of
 * the run reads them again, and every chunk judges against the same registries and totals.
 */
export interface RegistrySnapshot {
  /** The registries' version when they were read (migration RegistryVersion). */
  version: string;
  registered: Set<string>;
  licencesOfTrader: Map<string, SnapshotLicenceRow[]>;
  licenceByNumber: Map<string, SnapshotLicenceRow>;
  consentsOfPair: Map<string, ConsentRow[]>;
  referencedBy: Map<string, ConsentRow[]>;
}

/** Kg used within their validity under licences, and drawn from consents, by licence or consent id: read apart from a snapshot of the registries. */
export interface UsedQuantities {
  licences: Map<string, number>;
  consents: Map<string, number>;
}

/** What a stored declaration itself counts: kg against licences (dated within their validity) and drawn from consents. */
export interface OwnQuantities {
  licences: { licenceId: string; kg: string }[];
  consents: { consentId: string; kg: string }[];
}

/** A stored declaration of a run's chunk, with what it counts itself. */
export interface SnapshotRequest {
  content: DeclarationContent;
  declarationId: string;
  own: OwnQuantities;
}

/** The registry rows a set of declarations needs, indexed, from a chunk's statement or from a run's snapshot. */
interface RegistryIndex {
  registered: Set<string>;
  /** The licences of a trader (country and national id) the statement would have read, newest validity first. */
  licencesOf: (country: string, nationalId: string) => LicenceRow[];
  citedByNumber: Map<string, LicenceRow>;
  consentsOfPair: Map<string, ConsentRow[]>;
  referencedBy: Map<string, ConsentRow[]>;
  /** Kg used under a licence within its validity, all declarations. */
  total: (licence: LicenceRow) => number;
  /** Kg drawn from a consent, all declarations. */
  consentTotal: (consent: ConsentRow) => number;
  /** Kg each declaration itself counts against a licence, and draws from a consent, by declaration id then licence or consent id. */
  ownUsage: Map<string, Map<string, number>>;
  ownDraw: Map<string, Map<string, number>>;
}

/** Every trader, licence and consent, in the orders the facts statement aggregates them in. */
const SNAPSHOT_SQL = `SELECT
     (SELECT version::text FROM registry_version) AS version,
     (SELECT coalesce(json_agg(json_build_object('country', t.country, 'national_id', t.national_id)), '[]') FROM traders t) AS traders,
     (SELECT coalesce(json_agg(x ORDER BY x.valid_to DESC, x.number), '[]') FROM (${LICENCE_SELECT.replace('SELECT l.id,', 'SELECT t.country AS trader_country, l.id,')}) x) AS licences,
     (SELECT coalesce(json_agg(x ORDER BY x.valid_from, x.created_at, x.id), '[]') FROM (${CONSENT_SELECT}) x) AS consents,
     (SELECT coalesce(json_agg(x ORDER BY x.created_at, x.id), '[]') FROM (${CONSENT_SELECT}) x) AS referenced`;

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

  /**
   * The registries as they stand, for a run: read once, in one statement, and indexed as a chunk's
   * facts statement would index its rows. Registries are small (thousands of traders and licences
   * for a national feed of millions of declarations), so the run holds them in memory.
   */
  async registrySnapshot(manager: EntityManager = this.dataSource.manager): Promise<RegistrySnapshot> {
    const [rows] = await manager.query(SNAPSHOT_SQL);
    const licences = rows.licences as SnapshotLicenceRow[];
    return {
      version: rows.version,
      registered: new Set((rows.traders as { country: string; national_id: string }[]).map((t) => `${t.country}:${t.national_id}`)),
      licencesOfTrader: groupBy(licences, (r) => `${r.country}:${r.trader_national_id}`),
      licenceByNumber: new Map(licences.map((r) => [`${r.country}:${r.number}`, r])),
      consentsOfPair: groupBy(rows.consents as ConsentRow[], (r) => pairKey(r.exporting_country, r.importing_country)),
      referencedBy: groupBy(rows.referenced as ConsentRow[], (r) => r.reference),
    };
  }

  /** Facts for each request, in order. */
  async gatherMany(requests: FactsRequest[], manager: EntityManager = this.dataSource.manager): Promise<ComplianceFacts[]> {
    if (requests.length === 0) return [];
    const contents = requests.map((r) => r.content);
    const ids = requests.map((r) => r.declarationId).filter((id): id is string => id !== null);
    const cited = contents.filter((c) => c.licenceNumber);
    const references = [...new Set(contents.map((c) => c.consentReference).filter((r): r is string => !!r))];
    const pairs = [...new Set(contents.flatMap((c) => [`${c.country}:${c.partnerCountry}`, `${c.partnerCountry}:${c.country}`]))].map((p) => p.split(':'));
    // Licences of the flow's type are all the rules look at, and only for mercury and compound items:
    // a chunk asks for the licences of the traders that declare such items. (Verify asks for its
    // trader's licences in any case: its verdict names the licence any item would use.)
    const licensing = this.licensing(contents);
    // One round trip: a customs officer waits for verify, and a check does this for every batch.
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
    const ownUsageRows = facts.own_usage as { declaration_id: string; licence_id: string; used: string }[];
    const ownDrawRows = facts.own_draws as { declaration_id: string; consent_id: string; drawn_kg: string }[];
    // Indexed once, so that a chunk of thousands finds each declaration's rows without scanning them all.
    const licencesOfTrader = groupBy(facts.licences as LicenceRow[], (r) => `${r.country}:${r.trader_national_id}`);
    return this.assemble(requests, {
      registered: new Set(traderRows.map((t) => `${t.country}:${t.national_id}`)),
      licencesOf: (country, nationalId) => licencesOfTrader.get(`${country}:${nationalId}`) ?? [],
      citedByNumber: new Map((facts.cited as LicenceRow[]).map((r) => [`${r.country}:${r.number}`, r])),
      consentsOfPair: groupBy(facts.consents as ConsentRow[], (r) => pairKey(r.exporting_country, r.importing_country)),
      referencedBy: groupBy(facts.referenced as ConsentRow[], (r) => r.reference),
      total: (licence) => Number(licence.used_in_validity),
      consentTotal: (consent) => Number(consent.used_total),
      ownUsage: byDeclaration(ownUsageRows.map((u) => [u.declaration_id, u.licence_id, Number(u.used)])),
      ownDraw: byDeclaration(ownDrawRows.map((d) => [d.declaration_id, d.consent_id, Number(d.drawn_kg)])),
    });
  }

  /**
   * Facts for each of a run's declarations, in order, from the run's registry snapshot and what each
   * declaration counts itself: exactly the facts {@link gatherMany} gathers for the same chunk from
   * the same registries, without a statement. As the chunk's statement does, a trader's licences are
   * those of the types the chunk's mercury and compound declarations of that trader are filed under.
   */
  factsFromSnapshot(snapshot: RegistrySnapshot, requests: SnapshotRequest[], used?: UsedQuantities): ComplianceFacts[] {
    if (requests.length === 0) return [];
    // One declaration is asked for with its trader's licences of its flow in any case, as the
    // single-declaration statement (FACTS_OF_ONE) does.
    const licensing = requests.length === 1 ? [requests[0].content] : this.licensing(requests.map((r) => r.content));
    const licensed = new Set(licensing.map((c) => `${c.country}:${c.trader.nationalId}:${c.flow}`));
    const licensingCountries = new Set(licensing.map((c) => c.country));
    const licencesOfTrader = new Map<string, LicenceRow[]>();
    return this.assemble(requests, {
      registered: snapshot.registered,
      licencesOf: (country, nationalId) => {
        // A trader's rows are keyed by the licence's country and the trader's national id, as `key` is.
        const key = `${country}:${nationalId}`;
        let rows = licencesOfTrader.get(key);
        if (!rows) {
          rows = (snapshot.licencesOfTrader.get(key) ?? []).filter((r) => licensed.has(`${key}:${r.type}`) && licensingCountries.has(r.trader_country));
          licencesOfTrader.set(key, rows);
        }
        return rows;
      },
      // Each declaration looks up only its own cited licence, pair and reference, which its chunk's
      // statement would have read: the whole registry answers those lookups the same.
      citedByNumber: snapshot.licenceByNumber,
      consentsOfPair: snapshot.consentsOfPair,
      referencedBy: snapshot.referencedBy,
      // The used quantities read with the snapshot, or read since for the licences and consents at hand (verify).
      total: used ? (licence) => used.licences.get(licence.id)! : (licence) => Number(licence.used_in_validity),
      consentTotal: used ? (consent) => used.consents.get(consent.id)! : (consent) => Number(consent.used_total),
      ownUsage: byDeclaration(requests.flatMap((r) => r.own.licences.map((u): [string, string, number] => [r.declarationId, u.licenceId, Number(u.kg)]))),
      ownDraw: byDeclaration(requests.flatMap((r) => r.own.consents.map((d): [string, string, number] => [r.declarationId, d.consentId, Number(d.kg)]))),
    });
  }

  /**
   * The licences and consents whose used quantities the facts of `content` would count, as
   * {@link factsFromSnapshot} finds them in `snapshot` (a few more, never fewer): its trader's
   * licences, the licence it cites, the consents between its two countries and those of the
   * reference it cites.
   */
  countedBy(snapshot: RegistrySnapshot, content: DeclarationContent): { licenceIds: string[]; consentIds: string[] } {
    const licences = [...(snapshot.licencesOfTrader.get(`${content.country}:${content.trader.nationalId}`) ?? [])];
    const cited = content.licenceNumber ? snapshot.licenceByNumber.get(`${content.country}:${content.licenceNumber}`) : undefined;
    if (cited) licences.push(cited);
    const consents = [...(snapshot.consentsOfPair.get(pairKey(content.country, content.partnerCountry)) ?? []), ...(content.consentReference ? (snapshot.referencedBy.get(content.consentReference) ?? []) : [])];
    return { licenceIds: [...new Set(licences.map((l) => l.id))], consentIds: [...new Set(consents.map((c) => c.id))] };
  }

  /** The declarations of `contents` whose licences the licence rules look at: those with mercury or compound items. */
  private licensing(contents: DeclarationContent[]): DeclarationContent[] {
    return contents.filter((c) => c.items.some((i) => LICENSED_CLASSES.includes(this.reference.mercuryClassOf(i.hsCode))));
  }

  private assemble(requests: { content: DeclarationContent; declarationId: string | null }[], index: RegistryIndex): ComplianceFacts[] {
    const { registered, citedByNumber, consentsOfPair, referencedBy, total, consentTotal, ownUsage, ownDraw } = index;
    // Quantities are numeric(…, 3) in kg: subtract in grams so that no float residue tips a ceiling.
    const kgMinus = (total: number, own: number) => (Math.round(total * 1000) - Math.round(own * 1000)) / 1000;

    return requests.map(({ content, declarationId }) => {
      const ownLicences = declarationId ? ownUsage.get(declarationId) : undefined;
      const ownConsents = declarationId ? ownDraw.get(declarationId) : undefined;
      const licence = (r: LicenceRow) => toLicenceFacts(r, content.date, kgMinus(total(r), ownLicences?.get(r.id) ?? 0));
      const consent = (r: ConsentRow) => toConsentFacts(r, kgMinus(consentTotal(r), ownConsents?.get(r.id) ?? 0));
      const between = (r: ConsentRow) => isBetween(r.exporting_country, content) && isBetween(r.importing_country, content);
      const citedLicence = content.licenceNumber ? citedByNumber.get(`${content.country}:${content.licenceNumber}`) : undefined;
      // A reference may exist between several pairs: the one between these two countries first, then the oldest.
      const referenced = content.consentReference ? (referencedBy.get(content.consentReference) ?? []) : [];
      const citedConsent = referenced.find(between) ?? referenced[0];
      const pairConsents = (consentsOfPair.get(pairKey(content.country, content.partnerCountry)) ?? []).filter(between);
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
        traderLicences: index.licencesOf(content.country, content.trader.nationalId).map(licence),
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

/** The key of a pair of countries whichever way round: the two codes in order (as [a, b].sort() orders them). */
function pairKey(a: string, b: string): string {
  return a < b ? `${a}:${b}` : `${b}:${a}`;
}

function isBetween(country: string, content: DeclarationContent): boolean {
  return country === content.country || country === content.partnerCountry;
}

/** Quantities by declaration id, then licence or consent id. */
function byDeclaration(rows: [string, string, number][]): Map<string, Map<string, number>> {
  const map = new Map<string, Map<string, number>>();
  for (const [declarationId, id, kg] of rows) {
    const own = map.get(declarationId);
    if (own) own.set(id, kg);
    else map.set(declarationId, new Map([[id, kg]]));
  }
  return map;
}

function toLicenceFacts(r: LicenceRow, date: string, usedByOthersKg: number): LicenceFacts {
  const statusOn = licenceStatusOn({ validFrom: r.valid_from, validTo: r.valid_to, stored: r.status, history: r.history }, date);
  const stored = statusOn.status === 'expired' ? 'active' : statusOn.status;
  let lastChange: LicenceStatusChange | null = null;
  for (let i = r.history.length - 1; i >= 0 && !lastChange; i--) if (r.history[i].at.slice(0, 10) <= date) lastChange = r.history[i];
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
