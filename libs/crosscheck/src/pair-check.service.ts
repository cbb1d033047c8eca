import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { RuleCode } from '@hgtrace/common';
import { Env } from '@hgtrace/config';
import { preparedStatement, queryPrepared } from '@hgtrace/database';
import { type DesiredFlag, FlagsService } from '@hgtrace/flags';
import { ReferenceService } from '@hgtrace/reference';
import { addDays, RouteExports } from './route-exports.js';
import { assignLazily, type AttributePair, attributePair, attributeScore, compareAttributePairs, type Match, matchBasis, type MatchingOptions, nameSimilarity, pairFindings, selectMatches, type ShipmentFacts, totalNetMassKg } from './matching/index.js';

/** The codes the pair check owns, per export: it raises and closes these, and only these. */
export const PAIR_CODES: readonly RuleCode[] = ['ROUTE_MISMATCH', 'QUANTITY_MISMATCH', 'HS_CODE_MISMATCH', 'COUNTERPARTY_MISMATCH', 'DATE_ANOMALY', 'VALUE_ANOMALY'];
const SCORE = { high: 0.9, medium: 0.6, low: 0.3 } as const;
/** How far below COUNTERPARTY_SIMILARITY names may be for an export to count as affected (see exportsAffectedBy). */
const AFFECTED_NAME_MARGIN = 0.75;

const SHIPMENT_SELECT = `
  SELECT d.id, d.country, d.flow, d.number, to_char(d.date, 'YYYY-MM-DD') AS date, d.status, d.trader_name, d.counterparty_name, d.counterparty_country,
         d.partner_country, d.origin_country, d.transport_document_key,
         coalesce((SELECT array_agg(c.container_key ORDER BY c.container_key) FROM declaration_containers c WHERE c.declaration_id = d.id), '{}') AS container_keys,
         (SELECT json_agg(json_build_object('hsCode', i.hs_code, 'netMassKg', i.net_mass_kg, 'valueUsd', i.value_usd) ORDER BY i.line)
            FROM declaration_items i WHERE i.declaration_id = d.id) AS items
    FROM declarations d`;

/** The shipment facts of declarations $1, by date then number. */
const SHIPMENTS = preparedStatement('hg_pairs_shipments', `${SHIPMENT_SELECT} WHERE d.id = ANY ($1) ORDER BY d.date, d.number`);

/**
 * The shipment facts of those of exports $1 that may compete for imports by attributes: not
 * cancelled, not matched by documents, and not tied by their transport document to an import at their
 * destination (matching keeps only that import, selectMatches, whether or not its check has stored the
 * match yet). The rest (route, dates, headings, names) is matchBasis's, on these facts.
 */
const RIVAL_SHIPMENTS = preparedStatement('hg_pairs_rival_shipments', `${SHIPMENT_SELECT}
   WHERE d.id = ANY ($1) AND d.flow = 'export' AND d.status <> 'cancelled'
     AND NOT EXISTS (SELECT 1 FROM matches m WHERE m.export_id = d.id AND m.basis <> 'attributes')
     AND NOT EXISTS (SELECT 1 FROM declarations i WHERE i.transport_document_key = d.transport_document_key AND i.flow = 'import'
                        AND i.country = d.partner_country AND i.status <> 'cancelled')
   ORDER BY d.date, d.number`);

/** Shipment facts as loaded, with the status; IMPORT_SHIPMENTS adds the exports tied to an attribute candidate. */
type LoadedShipment = ShipmentFacts & { status: string; tied?: string[] };

/** A row of CANDIDATES: an import found by documents (one id, no names), or an export's imports by attributes with their names. */
interface CandidateRow {
  export_id: string;
  import_ids: string;
  trader_names: string[] | null;
  counterparty_names: string[] | null;
}

/** An import whose rivals by attributes exportsAffectedBy looks for, as AFFECTED gives it. */
interface ContestedImport {
  country: string;
  partner: string;
  date: string;
  documented: boolean;
  headings: string[];
  traderName: string;
  counterpartyName: string;
}

/** A row of AFFECTED: an export affected (id), or a contested import with the names of the exports of its route and window. */
interface AffectedRow {
  id: string | null;
  contested: ContestedImport | null;
  counterparty_names: string[] | null;
  trader_names: string[] | null;
}

/** One pair check per export at a time, the locks taken in id order. */
const LOCK_EXPORTS = preparedStatement('hg_pairs_lock_exports', `SELECT pg_advisory_xact_lock(hashtextextended('export:' || id, 0)) FROM (SELECT unnest($1::uuid[]) AS id ORDER BY 1) ids`);

/**
 * The matches stored for exports $1, looked up per export on the primary key (LATERAL, OFFSET 0): a
 * run fills the table as it goes, and a planner that still takes it for the empty table it was at
 * the run's start reads all of it for `export_id = ANY ($1)` (about 50 ms a chunk at 500,000
 * matches, and more with every chunk).
 */
const STORED_MATCHES = preparedStatement('hg_pairs_stored_matches', `SELECT m.export_id, m.import_id, m.basis, m.score::text AS score
  FROM unnest($1::uuid[]) AS x(id) CROSS JOIN LATERAL (SELECT * FROM matches m WHERE m.export_id = x.id OFFSET 0) m`);

/** Deletes the matches $1 (export and import ids) and inserts or updates $2 in key order; the two never share a key. */
const WRITE_MATCHES = preparedStatement('hg_pairs_write_matches', `WITH gone AS (
     DELETE FROM matches m USING jsonb_to_recordset($1::jsonb) AS k("exportId" uuid, "importId" uuid)
      WHERE m.export_id = k."exportId" AND m.import_id = k."importId"
   )
   INSERT INTO matches (export_id, import_id, basis, score)
   SELECT "exportId", "importId", basis, score FROM jsonb_to_recordset($2::jsonb) AS k("exportId" uuid, "importId" uuid, basis text, score numeric) ORDER BY 1, 2
   ON CONFLICT (export_id, import_id) DO UPDATE SET basis = EXCLUDED.basis, score = EXCLUDED.score`);

/**
 * Whether one name is alike another (nameSimilarity at least a threshold), for the attribute
 * assignment's walks: a route's exports repeat a few thousand names and its imports' names recur
 * from one chunk of a run to the next, so the answers are kept per pair of names as given, in a map
 * per name, until there are `limit` of them (then forgotten, so memory stays flat).
 */
class AlikeNames {
  private readonly known = new Map<string, Map<string, boolean>>();
  private size = 0;
  private threshold = NaN;

  constructor(private readonly limit = 300_000) {}

  alike(name: string, other: string, threshold: number): boolean {
    if (threshold !== this.threshold || this.size >= this.limit) {
      this.known.clear();
      this.size = 0;
      this.threshold = threshold;
    }
    let answers = this.known.get(other);
    if (!answers) this.known.set(other, (answers = new Map()));
    let yes = answers.get(name);
    if (yes === undefined) {
      answers.set(name, (yes = nameSimilarity(name, other) >= threshold));
      this.size++;
    }
    return yes;
  }
}

/** The index of the first of `list` (sorted by kg) weighing at least `kg`. */
function lowerBound(list: readonly { kg: number }[], kg: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (list[mid].kg < kg) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * What a change to declarations $1 affects (see exportsAffectedBy), with $2 and $3 the window and date
 * tolerance: as rows with an `id`, the exports among them, the exports tied by documents to the imports
 * among them, and the exports matched to those imports; then a row per `contested` import (those among
 * them that no export's documents claim, and those the tied exports held by attributes) with the
 * distinct counterparty and trader names of the exports of its route and window that its documents do
 * not rule out (not both with transport documents). Nothing is looked up per export here: a dense
 * route's window has thousands of exports but a few hundred names, which rule out most of them, so
 * exportsAffectedBy compares the names and AFFECTED_RIVALS looks up the rest only for exports with
 * names alike.
 */
const AFFECTED = preparedStatement('hg_pairs_affected', `WITH d AS (
     SELECT d.id, d.flow, d.country, d.partner_country, d.date, d.transport_document_key, d.trader_name, d.counterparty_name,
            ARRAY(SELECT DISTINCT left(i.hs_code, 4) FROM declaration_items i WHERE i.declaration_id = d.id) AS headings
       FROM declarations d WHERE d.id = ANY ($1)),
   tied AS (
     SELECT d.id AS import_id, e.id FROM d JOIN declarations e ON e.transport_document_key = d.transport_document_key
      WHERE d.flow = 'import' AND e.flow = 'export' AND e.status <> 'cancelled'
     UNION
     SELECT d.id, e.id FROM d JOIN declaration_containers dc ON dc.declaration_id = d.id JOIN declaration_containers ec ON ec.container_key = dc.container_key
       JOIN declarations e ON e.id = ec.declaration_id
      WHERE d.flow = 'import' AND e.flow = 'export' AND e.status <> 'cancelled'),
   -- The imports whose attribute matches may change: the undocumented-by-export new ones, and those the tied exports held by attributes.
   contested AS (
     SELECT d.id, d.country, d.partner_country, d.date, d.transport_document_key, d.trader_name, d.counterparty_name, d.headings
       FROM d WHERE d.flow = 'import' AND NOT EXISTS (SELECT 1 FROM tied t WHERE t.import_id = d.id)
     UNION
     SELECT i.id, i.country, i.partner_country, i.date, i.transport_document_key, i.trader_name, i.counterparty_name,
            ARRAY(SELECT DISTINCT left(it.hs_code, 4) FROM declaration_items it WHERE it.declaration_id = i.id)
       FROM (SELECT DISTINCT id FROM tied) t JOIN matches m ON m.export_id = t.id AND m.basis = 'attributes' JOIN declarations i ON i.id = m.import_id)
   SELECT d.id, NULL::json AS contested, NULL::json AS counterparty_names, NULL::json AS trader_names FROM d WHERE d.flow = 'export'
   UNION ALL
   SELECT id, NULL, NULL, NULL FROM tied
   UNION ALL
   SELECT m.export_id, NULL, NULL, NULL FROM matches m WHERE m.import_id = ANY ($1)
   UNION ALL
   SELECT NULL, json_build_object('country', c.country, 'partner', c.partner_country, 'date', c.date, 'documented', c.transport_document_key IS NOT NULL,
                                  'headings', c.headings, 'traderName', c.trader_name, 'counterpartyName', c.counterparty_name),
          e.counterparty_names, e.trader_names
     FROM contested c
    CROSS JOIN LATERAL (SELECT json_agg(DISTINCT e.counterparty_name) AS counterparty_names, json_agg(DISTINCT e.trader_name) AS trader_names
                          FROM declarations e
                         WHERE e.partner_country = c.country AND e.country = c.partner_country AND e.flow = 'export'
                           AND e.date BETWEEN c.date - $2::int AND c.date + $3::int AND e.status <> 'cancelled'
                           AND (c.transport_document_key IS NULL OR e.transport_document_key IS NULL)) e
    WHERE e.counterparty_names IS NOT NULL`);

/**
 * The exports that may match contested imports by attributes (see exportsAffectedBy): for each import
 * of $1 (its route, date, whether it carries a transport document, its HS headings), the exports of
 * its route and window ($2 and $3 the window and date tolerance) with one of the counterparty or
 * trader names $1 gives it, not cancelled, not both with transport documents, sharing an HS heading,
 * and not tied by their transport document to an import at their destination.
 */
const AFFECTED_RIVALS = preparedStatement('hg_pairs_affected_rivals', `WITH c AS MATERIALIZED (
     SELECT * FROM jsonb_to_recordset($1::jsonb)
         AS c(country character(2), partner character(2), date date, documented boolean, headings text[], counterparties text[], traders text[]))
   SELECT DISTINCT e.id FROM c
    CROSS JOIN LATERAL (SELECT e.id, e.partner_country, e.transport_document_key FROM declarations e
                         WHERE e.partner_country = c.country AND e.country = c.partner AND e.flow = 'export'
                           AND e.date BETWEEN c.date - $2::int AND c.date + $3::int AND e.status <> 'cancelled'
                           AND (NOT c.documented OR e.transport_document_key IS NULL)
                           AND (e.counterparty_name = ANY (c.counterparties) OR e.trader_name = ANY (c.traders)) OFFSET 0) e
    WHERE EXISTS (SELECT 1 FROM declaration_items ei WHERE ei.declaration_id = e.id AND left(ei.hs_code, 4) = ANY (c.headings))
      AND (e.transport_document_key IS NULL
           OR NOT EXISTS (SELECT 1 FROM declarations t WHERE t.transport_document_key = e.transport_document_key AND t.flow = 'import'
                             AND t.country = e.partner_country AND t.status <> 'cancelled'))`);

/**
 * Each export's candidate imports (see candidatesOf): the exports $1 as loaded (id, transport document,
 * countries, date, containers), not read again; $2 and $3 are the date tolerance and the window.
 * Every lookup is a LATERAL per export (OFFSET 0 keeps it one) on the index for it: without them, a
 * planner short of statistics (a table grown since its last ANALYZE) hashes every import of the table.
 * A row is an import found by documents (`import_ids` one id, no names; a pair may come from both
 * its transport document and a container), or all the imports an export may match by attributes as
 * one row of aggregates (ids joined by commas, their names as JSON arrays: thousands of rows cost
 * Node's parser more than PostgreSQL spends finding them, see ROUTE_EXPORTS). On a dense route the
 * window of an export holds a hundred imports and a few have names alike: candidatesOf compares the
 * names, then looks up the exports an import's documents tie it to only for those, as it loads them
 * (IMPORT_SHIPMENTS); matchBasis weighs the rest (HS headings among them).
 */
const CANDIDATES = preparedStatement('hg_pairs_candidates', `WITH e AS MATERIALIZED (
     SELECT * FROM jsonb_to_recordset($1::jsonb)
         AS e(id uuid, document text, country character(2), partner_country character(2), date date, containers text[]))
   SELECT e.id AS export_id, d.id::text AS import_ids, NULL::json AS trader_names, NULL::json AS counterparty_names FROM e
    CROSS JOIN LATERAL (SELECT d.id FROM declarations d WHERE d.transport_document_key = e.document AND d.flow = 'import' AND d.status <> 'cancelled' OFFSET 0) d
   UNION ALL
   SELECT e.id, d.id::text, NULL, NULL FROM e
    CROSS JOIN LATERAL (SELECT c.declaration_id FROM declaration_containers c WHERE c.container_key = ANY (e.containers) OFFSET 0) c
    JOIN declarations d ON d.id = c.declaration_id
    WHERE d.flow = 'import' AND d.status <> 'cancelled'
   UNION ALL
   -- By attributes: an undocumented export may be any import in the window; a documented one only an undocumented import.
   SELECT e.id, d.ids, d.trader_names, d.counterparty_names FROM e
    CROSS JOIN LATERAL (SELECT string_agg(d.id::text, ',') AS ids, json_agg(d.trader_name) AS trader_names, json_agg(d.counterparty_name) AS counterparty_names
                          FROM declarations d
                         WHERE d.partner_country = e.country AND d.country = e.partner_country AND d.flow = 'import'
                           AND d.date BETWEEN e.date - $2::int AND e.date + $3::int AND d.status <> 'cancelled') d
    WHERE e.document IS NULL AND d.ids IS NOT NULL
   UNION ALL
   SELECT e.id, d.ids, d.trader_names, d.counterparty_names FROM e
    CROSS JOIN LATERAL (SELECT string_agg(d.id::text, ',') AS ids, json_agg(d.trader_name) AS trader_names, json_agg(d.counterparty_name) AS counterparty_names
                          FROM declarations d
                         WHERE d.partner_country = e.country AND d.country = e.partner_country AND d.flow = 'import' AND d.transport_document_key IS NULL
                           AND d.date BETWEEN e.date - $2::int AND e.date + $3::int AND d.status <> 'cancelled') d
    WHERE e.document IS NOT NULL AND d.ids IS NOT NULL
      -- An export its document ties to an import at its destination keeps only that import (selectMatches).
      AND NOT EXISTS (SELECT 1 FROM declarations t WHERE t.transport_document_key = e.document AND t.flow = 'import'
                         AND t.country = e.partner_country AND t.status <> 'cancelled')`);

/**
 * The shipment facts of imports $1, by date then number, and for those of them in $2 (the candidates
 * by attributes) the exports their documents tie them to (`tied`): an import tied to another export
 * is that export's, not a candidate by attributes.
 */
const IMPORT_SHIPMENTS = preparedStatement('hg_pairs_import_shipments', `SELECT s.*,
         CASE WHEN s.id = ANY ($2) THEN ARRAY(
           SELECT o.id FROM declarations o WHERE o.flow = 'export' AND o.status <> 'cancelled' AND o.transport_document_key = s.transport_document_key
           UNION ALL
           SELECT o.id FROM declaration_containers dc JOIN declaration_containers oc ON oc.container_key = dc.container_key
             JOIN declarations o ON o.id = oc.declaration_id
            WHERE dc.declaration_id = s.id AND o.flow = 'export' AND o.status <> 'cancelled') END AS tied
    FROM (${SHIPMENT_SELECT} WHERE d.id = ANY ($1)) s ORDER BY s.date, s.number`);

/**
 * Matching and the pair rules, always from the export's side: for an export, its candidate imports
 * are found through indexes (shared transport document, shared container, or the destination's imports
 * from the export's country within the window), matched, and the pair rules run on the matches. The
 * export's matches and pair flags are then made to be exactly what this finds, so the result depends
 * only on the data, never on the order in which declarations arrived or how often this runs.
 */
@Injectable()
export class PairCheckService {
  /** Whether names are alike, kept from one check to the next (see AlikeNames). */
  private readonly alikeNames = new AlikeNames();

  constructor(
    private readonly env: Env,
    private readonly flags: FlagsService,
    private readonly reference: ReferenceService,
  ) {}

  get options(): MatchingOptions {
    return {
      windowDays: this.env.MATCH_WINDOW_DAYS,
      dateToleranceDays: this.env.DATE_TOLERANCE_DAYS,
      counterpartySimilarity: this.env.COUNTERPARTY_SIMILARITY,
      quantityTolerancePct: this.env.QUANTITY_TOLERANCE_PCT,
      quantityToleranceKg: this.env.QUANTITY_TOLERANCE_KG,
      cifFobPct: this.env.VALUE_CIF_FOB_PCT,
      valueTolerancePct: this.env.VALUE_TOLERANCE_PCT,
    };
  }

  /**
   * The exports whose matching a change to these declarations may affect: an export itself; for an
   * import, the exports its transport document or containers tie it to, the exports it was matched
   * to, and only when no export's documents claim it, the exports it may match by attributes. An
   * export tied to an import now may give up imports it held by attributes: the exports that could
   * take those are affected too.
   *
   * "May match by attributes" is narrowed as matching narrows it, or the check of one undocumented
   * import on a busy route would re-match every export of its window: same route, within the window,
   * sharing an HS heading, not both with transport documents, the export not tied by its document to
   * an import at its destination (it keeps only that one), and names alike. The names are compared
   * here with a margin below COUNTERPARTY_SIMILARITY, so that the exports competing with those for
   * the same imports (whose names resemble the same importer) are re-matched with them.
   */
  async exportsAffectedBy(manager: EntityManager, declarationIds: string[]): Promise<string[]> {
    if (declarationIds.length === 0) return [];
    const window = [this.env.MATCH_WINDOW_DAYS, this.env.DATE_TOLERANCE_DAYS];
    const rows = await queryPrepared<AffectedRow[]>(manager, AFFECTED, [declarationIds, ...window]);
    const alike = this.env.COUNTERPARTY_SIMILARITY * AFFECTED_NAME_MARGIN;
    const affected = new Set<string>();
    const rivals: (Omit<ContestedImport, 'traderName' | 'counterpartyName'> & { counterparties: string[]; traders: string[] })[] = [];
    for (const row of rows) {
      if (row.id !== null) {
        affected.add(row.id);
        continue;
      }
      // An export's names are alike the import's when its counterparty is alike the importer or its trader alike the import's counterparty.
      const { traderName, counterpartyName, ...c } = row.contested!;
      const counterparties = row.counterparty_names!.filter((name) => nameSimilarity(name, traderName) >= alike);
      const traders = row.trader_names!.filter((name) => nameSimilarity(name, counterpartyName) >= alike);
      if (counterparties.length > 0 || traders.length > 0) rivals.push({ ...c, counterparties, traders });
    }
    if (rivals.length > 0) for (const { id } of await queryPrepared<{ id: string }[]>(manager, AFFECTED_RIVALS, [JSON.stringify(rivals), ...window])) affected.add(id);
    return [...affected].sort();
  }

  /** Matches one export and reconciles its matches and pair flags. Call within a transaction. */
  async checkExport(manager: EntityManager, exportId: string): Promise<void> {
    await this.checkExports(manager, [exportId]);
  }

  /**
   * Matches a set of exports and reconciles their matches and pair flags, with a fixed number of
   * set-based queries whatever the set's size: one export after a declaration lands, or a chunk of
   * thousands in a run. Call within a transaction. A run's slice passes the exports of the routes it
   * holds from one chunk to the next (RouteExports.kept); otherwise they are read for this check alone.
   */
  async checkExports(manager: EntityManager, exportIds: string[], routeExports = RouteExports.once()): Promise<void> {
    const ids = [...new Set(exportIds)].sort();
    if (ids.length === 0) return;
    // One pair check per export at a time (imports of one export may be checked by several workers
    // at once), taken in id order so that overlapping sets wait for each other instead of deadlocking.
    await queryPrepared(manager, LOCK_EXPORTS, [ids]);
    const exports = (await this.load(manager, ids)).filter((e) => e.flow === 'export' && e.status !== 'cancelled');
    const candidates = await this.candidatesOf(manager, exports);
    const selected = new Map(exports.map((exp) => [exp.id, selectMatches(exp, candidates.get(exp.id) ?? [], this.options)]));
    // Without documents, the exports competing for the same imports share them out one to one.
    const undocumented = exports.filter((exp) => {
      const { matches } = selected.get(exp.id)!;
      return matches.length > 0 && matches.every((m) => m.basis === 'attributes');
    });
    const assigned = await this.attributeAssignments(manager, undocumented, candidates, selected, routeExports);
    const results = new Map<string, Match[]>();
    for (const exp of exports) {
      let { matches } = selected.get(exp.id)!;
      if (assigned.has(exp.id)) {
        const mine = assigned.get(exp.id);
        matches = mine ? [{ import: mine, basis: 'attributes', score: attributeScore(exp, mine) }] : [];
      }
      results.set(exp.id, matches);
    }
    await this.writeMatches(manager, ids, exports.flatMap((exp) => results.get(exp.id)!.map((m) => ({ exportId: exp.id, importId: m.import.id, basis: m.basis, score: m.score.toFixed(3) }))));
    const desired: DesiredFlag[] = exports.flatMap((exp) =>
      pairFindings(exp, results.get(exp.id)!, selected.get(exp.id)!.diverted, this.options).map((f) => ({
        code: f.code,
        subject: `export:${exp.id}`,
        severity: f.severity,
        score: SCORE[f.severity],
        summary: f.message,
        countries: f.countries,
        declarationIds: f.declarationIds,
        evidence: f.evidence,
      })),
    );
    await this.flags.reconcile(manager, { subjects: ids.map((id) => `export:${id}`), codes: PAIR_CODES }, desired, 'crosscheck');
  }

  /**
   * Makes the matches of exports `ids` exactly `found`: those stored and not found deleted, the found
   * ones not stored as they are written; nothing written when nothing changed. The exports' pair
   * checks hold their locks (LOCK_EXPORTS), so no other check writes their matches meanwhile.
   */
  private async writeMatches(manager: EntityManager, ids: string[], found: { exportId: string; importId: string; basis: string; score: string }[]): Promise<void> {
    const stored = new Map(
      (await queryPrepared<{ export_id: string; import_id: string; basis: string; score: string }[]>(manager, STORED_MATCHES, [ids])).map((m) => [`${m.export_id}|${m.import_id}`, m]),
    );
    const changed = found.filter((m) => {
      const key = `${m.exportId}|${m.importId}`;
      const was = stored.get(key);
      stored.delete(key);
      return was === undefined || was.basis !== m.basis || Number(was.score) !== Number(m.score);
    });
    if (stored.size === 0 && changed.length === 0) return;
    const gone = [...stored.values()].map((m) => ({ exportId: m.export_id, importId: m.import_id }));
    await queryPrepared(manager, WRITE_MATCHES, [JSON.stringify(gone), JSON.stringify(changed)]);
  }

  /**
   * Each export's candidate imports, found through indexes: a shared transport document, a shared
   * container, or (when the two cannot both carry documents) an import in the destination from the
   * export's country within the window in one of its HS headings, unless its documents tie it to
   * another export.
   */
  private async candidatesOf(manager: EntityManager, exports: ShipmentFacts[]): Promise<Map<string, ShipmentFacts[]>> {
    if (exports.length === 0) return new Map();
    const facts = exports.map((e) => ({ id: e.id, document: e.transportDocumentKey, country: e.country, partner_country: e.partnerCountry, date: e.date, containers: e.containerKeys }));
    const rows = await queryPrepared<CandidateRow[]>(manager, CANDIDATES, [JSON.stringify(facts), this.env.DATE_TOLERANCE_DAYS, this.env.MATCH_WINDOW_DAYS]);
    // A pair found only by attributes is a match only with names alike (attributesMatch): the others are not loaded.
    const byId = new Map(exports.map((e) => [e.id, e]));
    const similarity = this.env.COUNTERPARTY_SIMILARITY;
    const byDocuments = new Map<string, Set<string>>();
    const byAttributes = new Map<string, Set<string>>();
    const add = (into: Map<string, Set<string>>, exportId: string, importId: string) => {
      const set = into.get(exportId);
      if (set) set.add(importId);
      else into.set(exportId, new Set([importId]));
    };
    for (const row of rows) {
      if (row.trader_names === null) {
        add(byDocuments, row.export_id, row.import_ids);
        continue;
      }
      const exp = byId.get(row.export_id)!;
      const ids = row.import_ids.split(',');
      for (let i = 0; i < ids.length; i++) {
        if (this.alikeNames.alike(exp.counterpartyName, row.trader_names[i], similarity) || this.alikeNames.alike(exp.traderName, row.counterparty_names![i], similarity)) add(byAttributes, row.export_id, ids[i]);
      }
    }
    const attributeIds = new Set([...byAttributes.values()].flatMap((set) => [...set]));
    const ids = new Set([...byDocuments.values()].flatMap((set) => [...set]));
    for (const id of attributeIds) ids.add(id);
    const loaded = await this.load(manager, [...ids], IMPORT_SHIPMENTS, [...attributeIds]);
    const imports = new Map(loaded.map((i) => [i.id, i]));
    const byExport = new Map<string, ShipmentFacts[]>();
    for (const exp of exports) {
      const found = new Set(byDocuments.get(exp.id));
      const attributes = byAttributes.get(exp.id);
      // No documents may tie an import by attributes to another export (its HS headings are matchBasis's).
      if (attributes) for (const id of attributes) if (!found.has(id) && imports.get(id)!.tied!.every((other) => other === exp.id)) found.add(id);
      if (found.size > 0) byExport.set(exp.id, [...found].map((id) => imports.get(id)!));
    }
    // The order the single-export query gave: by date, then number.
    for (const list of byExport.values()) list.sort((a, b) => (a.date === b.date ? (a.number < b.number ? -1 : a.number > b.number ? 1 : 0) : a.date < b.date ? -1 : 1));
    return byExport;
  }

  /**
   * The import each undocumented export takes when the exports competing with it for its imports
   * share them out one to one (assignAttributeMatches over the export, its rivals and its imports),
   * or undefined when it takes none. Its rivals are the exports of its route that could take one of
   * its imports by attributes (matchBasis) and are not tied to an import by their documents (as
   * stored, as this check has just found for the exports it is matching, or through a transport
   * document shared with an import at their destination).
   *
   * On a dense route they are thousands, and the assignment takes pairs in order of fit, first the
   * closeness of the masses: an import is mostly taken by the first exports that fit it, and the
   * export is settled long before the rest would come. So the route's exports are read once, without
   * any lookup per row (date, names and mass; RouteExports), and for each import walked outwards
   * from its mass, up and down; those of its window with names alike its own are verified
   * (RIVAL_SHIPMENTS: in each round those within the misfits it is blocked at, for all the imports at
   * once) only as far as assignLazily needs them to settle the exports.
   */
  private async attributeAssignments(
    manager: EntityManager,
    undocumented: ShipmentFacts[],
    candidates: Map<string, ShipmentFacts[]>,
    selected: Map<string, { matches: Match[] }>,
    routeExports: RouteExports,
  ): Promise<Map<string, ShipmentFacts | undefined>> {
    const assigned = new Map<string, ShipmentFacts | undefined>();
    if (undocumented.length === 0) return assigned;
    const options = this.options;
    const contested = undocumented.map((exp) => ({ exp, imports: (candidates.get(exp.id) ?? []).filter((c) => matchBasis(exp, c, options) === 'attributes') }));
    // Each import once; the exports that may take it are on the route of the exports it is a candidate of.
    const contests = new Map<string, { imp: ShipmentFacts; kg: number; route: string; from: string; to: string }>();
    const routes = new Map<string, { country: string; partner: string; from: string; to: string }>();
    for (const { exp, imports } of contested) {
      const route = `${exp.country}|${exp.partnerCountry}`;
      for (const imp of imports) {
        if (contests.has(imp.id)) continue;
        // The dates an export must have to take this import (matchBasis), joined per route.
        const from = addDays(imp.date, -options.windowDays);
        const to = addDays(imp.date, options.dateToleranceDays);
        contests.set(imp.id, { imp, kg: totalNetMassKg(imp), route, from, to });
        const r = routes.get(route);
        if (!r) {
          routes.set(route, { country: exp.country, partner: exp.partnerCountry, from, to });
        } else {
          if (from < r.from) r.from = from;
          if (to > r.to) r.to = to;
        }
      }
    }
    const byRoute = await routeExports.read(manager, [...routes.values()]);

    const documented = (id: string) => selected.get(id)?.matches.some((m) => m.basis !== 'attributes') ?? false;
    const facts = new Map<string, ShipmentFacts | null>();
    const walks = new Map(
      [...contests.values()].map((contest) => {
        const list = byRoute.get(contest.route) ?? [];
        // Up from the first export weighing at least as much as the import, down from the one before: the fit worsens along each.
        const up = lowerBound(list, contest.kg);
        const sides = [{ at: up, step: 1 }, { at: up - 1, step: -1 }];
        // Whether each export is of the import's window with names alike its own (matchBasis), once known: 1 yes, 2 no.
        return [contest.imp.id, { contest, list, sides, pairs: [] as AttributePair[], alike: new Uint8Array(list.length) }] as const;
      }),
    );
    type Walk = typeof walks extends Map<string, infer W> ? W : never;
    const alikeName = (name: string, other: string) => this.alikeNames.alike(name, other, options.counterpartySimilarity);
    const alike = (walk: Walk, at: number) => {
      if (walk.alike[at] === 0) {
        const row = walk.list[at];
        const { imp, from, to } = walk.contest;
        const yes = row.date >= from && row.date <= to && (alikeName(row.counterparty_name, imp.traderName) || alikeName(row.trader_name, imp.counterpartyName));
        walk.alike[at] = yes ? 1 : 2;
      }
      return walk.alike[at] === 1;
    };
    /** The least misfit an export at `at` or beyond it, walking by `step`, could have with the import (Infinity past the end). */
    const unseenFrom = (walk: Walk, at: number, step: number) => {
      if (at < 0 || at >= walk.list.length) return Infinity;
      const kg = walk.list[at].kg;
      // One of no mass is weighed as if of 1 kg (totalNetMassKg(exp) || 1; there should be none): down to those, anything goes.
      if (!(walk.list[0].kg > 0) && step === -1) return 0;
      const misfit = step === 1 ? Math.max(0, (kg - walk.contest.kg) / kg) : Math.max(0, (walk.contest.kg - kg) / kg);
      // The route's masses are the exact totals, the pairs' the items summed in floating point: some slack.
      return misfit * (1 - 1e-9) - 1e-9;
    };
    const unseen = (walk: Walk, side: Walk['sides'][number]) => unseenFrom(walk, side.at, side.step);
    const unseenMisfit = (walk: Walk) => Math.min(...walk.sides.map((side) => unseen(walk, side)));
    /** Whether the export at `at` is one to verify and weigh: of the import's window with names alike, or of no mass. */
    const wantedAt = (walk: Walk, at: number) => !(walk.list[at].kg > 0) || alike(walk, at);
    /**
     * Walks the import's sides until no export not walked past can fit it within `misfit`. Returns the
     * exports it must verify before it can go on (none once done): every one its sides still need
     * within `misfit`, all in one round. (Verifying a few beyond, in case a later round asks for them,
     * saved no rounds on the bench's dense routes and loaded twice as many.)
     */
    const advance = (walk: Walk, misfit: number): string[] => {
      const wanted: string[] = [];
      for (const side of walk.sides) {
        while (!(unseen(walk, side) > misfit)) {
          const row = walk.list[side.at];
          if (!wantedAt(walk, side.at)) {
            side.at += side.step;
            continue;
          }
          if (!facts.has(row.id)) {
            for (let i = side.at; !(unseenFrom(walk, i, side.step) > misfit); i += side.step) if (!facts.has(walk.list[i].id) && wantedAt(walk, i)) wanted.push(walk.list[i].id);
            break;
          }
          const rival = facts.get(row.id);
          if (rival && !documented(rival.id) && matchBasis(rival, walk.contest.imp, options) === 'attributes') walk.pairs.push(attributePair(rival, walk.contest.imp));
          side.at += side.step;
        }
      }
      if (wanted.length === 0) walk.pairs.sort(compareAttributePairs);
      return wanted;
    };
    let pending = contested;
    while (pending.length > 0) {
      const blocked = new Map<string, number>();
      const unsettled: typeof pending = [];
      for (const entry of pending) {
        const outcome = assignLazily(entry.exp, entry.imports.map((imp) => {
          const walk = walks.get(imp.id)!;
          return { imp, pairs: walk.pairs, unseenMisfit: unseenMisfit(walk) };
        }));
        if (outcome.settled) {
          assigned.set(entry.exp.id, outcome.import);
          continue;
        }
        unsettled.push(entry);
        for (const { imp, misfit } of outcome.blocked) blocked.set(imp.id, Math.max(blocked.get(imp.id) ?? -Infinity, misfit));
      }
      pending = unsettled;
      const wanted = new Set<string>();
      for (const [id, misfit] of blocked) for (const rowId of advance(walks.get(id)!, misfit)) wanted.add(rowId);
      if (wanted.size > 0) {
        const ids = [...wanted];
        for (const rival of await this.load(manager, ids, RIVAL_SHIPMENTS)) facts.set(rival.id, rival);
        for (const id of ids) if (!facts.has(id)) facts.set(id, null);
      }
    }
    return assigned;
  }

  /** The shipment facts of declarations, by date then number. */
  private async load(manager: EntityManager, ids: string[], statement = SHIPMENTS, ...more: unknown[]): Promise<LoadedShipment[]> {
    if (ids.length === 0) return [];
    const rows = await queryPrepared<Record<string, unknown>[]>(manager, statement, [ids, ...more]);
    return rows.map((r) => ({
      id: r.id as string,
      country: r.country as string,
      flow: r.flow as 'export' | 'import',
      number: r.number as string,
      date: r.date as string,
      status: r.status as string,
      traderName: r.trader_name as string,
      counterpartyName: r.counterparty_name as string,
      counterpartyCountry: r.counterparty_country as string,
      partnerCountry: r.partner_country as string,
      originCountry: r.origin_country as string,
      transportDocumentKey: (r.transport_document_key as string | null) ?? null,
      containerKeys: r.container_keys as string[],
      items: ((r.items as { hsCode: string; netMassKg: string; valueUsd: string }[] | null) ?? []).map((i) => ({
        hsCode: i.hsCode,
        netMassKg: Number(i.netMassKg),
        valueUsd: Number(i.valueUsd),
        mercuryClass: this.reference.mercuryClassOf(i.hsCode),
      })),
      tied: (r.tied as string[] | null | undefined) ?? undefined,
    }));
  }
}
