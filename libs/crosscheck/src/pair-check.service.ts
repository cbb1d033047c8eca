import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { RuleCode } from '@hgtrace/common';
import { Env } from '@hgtrace/config';
import { type DesiredFlag, FlagsService } from '@hgtrace/flags';
import { ReferenceService } from '@hgtrace/reference';
import { assignAttributeMatches, attributeScore, matchBasis, type MatchingOptions, pairFindings, selectMatches, type ShipmentFacts } from './matching/index.js';

/** The codes the pair check owns, per export: it raises and closes these, and only these. */
export const PAIR_CODES: readonly RuleCode[] = ['ROUTE_MISMATCH', 'QUANTITY_MISMATCH', 'HS_CODE_MISMATCH', 'COUNTERPARTY_MISMATCH', 'DATE_ANOMALY', 'VALUE_ANOMALY'];
const SCORE = { high: 0.9, medium: 0.6, low: 0.3 } as const;

const SHIPMENT_SELECT = `
  SELECT d.id, d.country, d.flow, d.number, to_char(d.date, 'YYYY-MM-DD') AS date, d.status, d.trader_name, d.counterparty_name, d.counterparty_country,
         d.partner_country, d.origin_country, d.transport_document_key,
         coalesce((SELECT array_agg(c.container_key ORDER BY c.container_key) FROM declaration_containers c WHERE c.declaration_id = d.id), '{}') AS container_keys,
         (SELECT json_agg(json_build_object('hsCode', i.hs_code, 'netMassKg', i.net_mass_kg, 'valueUsd', i.value_usd) ORDER BY i.line)
            FROM declaration_items i WHERE i.declaration_id = d.id) AS items
    FROM declarations d`;

/**
 * Matching and the pair rules, always from the export's side: for an export, its candidate imports
 * are found through indexes (shared transport document, shared container, or the destination's imports
 * from the export's country within the window), matched, and the pair rules run on the matches. The
 * export's matches and pair flags are then made to be exactly what this finds, so the result depends
 * only on the data, never on the order in which declarations arrived or how often this runs.
 */
@Injectable()
export class PairCheckService {
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

  /** The exports whose matching a change to `declarationId` may affect: itself if an export, else the exports its import could belong to. */
  async exportsAffectedBy(manager: EntityManager, declarationId: string): Promise<string[]> {
    const rows: { id: string }[] = await manager.query(
      `WITH d AS (SELECT * FROM declarations WHERE id = $1)
       SELECT d.id FROM d WHERE d.flow = 'export'
       UNION
       SELECT e.id FROM d, declarations e
        WHERE d.flow = 'import' AND e.flow = 'export' AND e.status <> 'cancelled'
          AND (e.transport_document_key = d.transport_document_key
               OR EXISTS (SELECT 1 FROM declaration_containers ec JOIN declaration_containers dc ON dc.container_key = ec.container_key
                           WHERE ec.declaration_id = e.id AND dc.declaration_id = d.id)
               OR (e.partner_country = d.country AND e.country = d.partner_country
                   AND e.date BETWEEN d.date - $2::int AND d.date + $3::int))
       UNION
       SELECT m.export_id FROM matches m WHERE m.import_id = $1`,
      [declarationId, this.env.MATCH_WINDOW_DAYS, this.env.DATE_TOLERANCE_DAYS],
    );
    return rows.map((r) => r.id).sort();
  }

  /** Matches one export and reconciles its matches and pair flags. Call within a transaction. */
  async checkExport(manager: EntityManager, exportId: string): Promise<void> {
    // One pair check per export at a time: imports of one export may be checked by several workers at once.
    await manager.query(`SELECT pg_advisory_xact_lock(hashtextextended('export:' || $1, 0))`, [exportId]);
    const [exp] = await this.load(manager, `WHERE d.id = $1`, [exportId]);
    const subject = `export:${exportId}`;
    if (!exp || exp.flow !== 'export' || exp.status === 'cancelled') {
      await manager.query(`DELETE FROM matches WHERE export_id = $1`, [exportId]);
      await this.flags.reconcile(manager, { subjects: [subject], codes: PAIR_CODES }, [], 'crosscheck');
      return;
    }
    const candidates = await this.load(
      manager,
      `WHERE d.flow = 'import' AND d.status <> 'cancelled' AND d.id <> $1
         AND (d.transport_document_key = $2
              OR EXISTS (SELECT 1 FROM declaration_containers c WHERE c.declaration_id = d.id AND c.container_key = ANY ($3::text[]))
              OR (d.partner_country = $4 AND d.country = $5 AND d.date BETWEEN $6::date - $7::int AND $6::date + $8::int
                  -- An import whose documents tie it to another export is that export's, not a candidate by attributes.
                  AND NOT EXISTS (SELECT 1 FROM declarations o WHERE o.flow = 'export' AND o.id <> $1 AND o.status <> 'cancelled'
                                   AND (o.transport_document_key = d.transport_document_key
                                        OR EXISTS (SELECT 1 FROM declaration_containers oc JOIN declaration_containers dc ON dc.container_key = oc.container_key
                                                    WHERE oc.declaration_id = o.id AND dc.declaration_id = d.id)))))`,
      [exportId, exp.transportDocumentKey, exp.containerKeys, exp.country, exp.partnerCountry, exp.date, this.env.DATE_TOLERANCE_DAYS, this.env.MATCH_WINDOW_DAYS],
    );
    const selected = selectMatches(exp, candidates, this.options);
    const { diverted } = selected;
    let { matches } = selected;
    if (matches.length > 0 && matches.every((m) => m.basis === 'attributes')) {
      // Without documents, the exports competing for the same imports share them out one to one.
      const imports = candidates.filter((c) => matchBasis(exp, c, this.options) === 'attributes');
      const rivals = await this.load(
        manager,
        `WHERE d.flow = 'export' AND d.status <> 'cancelled' AND d.id <> $1 AND d.country = $2 AND d.partner_country = $3
           AND d.date BETWEEN $4::date - $5::int AND $6::date + $7::int
           -- An export its documents already tie to an import is not competing for these.
           AND NOT EXISTS (SELECT 1 FROM matches m WHERE m.export_id = d.id AND m.basis <> 'attributes')`,
        [exportId, exp.country, exp.partnerCountry, imports.map((i) => i.date).sort()[0], this.env.MATCH_WINDOW_DAYS, imports.map((i) => i.date).sort().at(-1), this.env.DATE_TOLERANCE_DAYS],
      );
      const mine = assignAttributeMatches([exp, ...rivals], imports, this.options).get(exportId);
      matches = mine ? [{ import: mine, basis: 'attributes', score: attributeScore(exp, mine) }] : [];
    }
    await manager.query(`DELETE FROM matches WHERE export_id = $1 AND NOT (import_id = ANY ($2::uuid[]))`, [exportId, matches.map((m) => m.import.id)]);
    for (const match of matches) {
      await manager.query(
        `INSERT INTO matches (export_id, import_id, basis, score) VALUES ($1, $2, $3, $4)
         ON CONFLICT (export_id, import_id) DO UPDATE SET basis = EXCLUDED.basis, score = EXCLUDED.score
          WHERE (matches.basis, matches.score) IS DISTINCT FROM (EXCLUDED.basis, EXCLUDED.score)`,
        [exportId, match.import.id, match.basis, match.score.toFixed(3)],
      );
    }
    const desired: DesiredFlag[] = pairFindings(exp, matches, diverted, this.options).map((f) => ({
      code: f.code,
      subject,
      severity: f.severity,
      score: SCORE[f.severity],
      summary: f.message,
      countries: f.countries,
      declarationIds: f.declarationIds,
      evidence: f.evidence,
    }));
    await this.flags.reconcile(manager, { subjects: [subject], codes: PAIR_CODES }, desired, 'crosscheck');
  }

  private async load(manager: EntityManager, where: string, params: unknown[]): Promise<(ShipmentFacts & { status: string })[]> {
    const rows: Record<string, unknown>[] = await manager.query(`${SHIPMENT_SELECT} ${where} ORDER BY d.date, d.number`, params);
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
    }));
  }
}
