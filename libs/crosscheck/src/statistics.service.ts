import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { countryScope } from '@hgtrace/auth';
import type { Actor, RuleCode } from '@hgtrace/common';
import { Env } from '@hgtrace/config';
import { type DesiredFlag, FlagsService } from '@hgtrace/flags';
import { formatKg } from './compliance/index.js';

export interface MirrorQuery {
  year?: number;
  hsCode?: string;
  /** Either side of the pair. */
  country?: string;
  /** The other side, with `country`. */
  partner?: string;
}

export interface MirrorRow {
  exporter: string;
  importer: string;
  year: number;
  hsCode: string;
  /** What the exporter reports; null when it reports nothing for that year (no declarations, no Comtrade). */
  exportedKg: number | null;
  importedKg: number | null;
  /** exportedKg − importedKg: positive when mercury left the exporter that the importer does not report receiving. */
  gapKg: number | null;
  /** |gapKg| over the larger of the two. */
  gapRatio: number | null;
  exportedUsd: number | null;
  importedUsd: number | null;
  exportSource: 'declarations' | 'comtrade' | null;
  importSource: 'declarations' | 'comtrade' | null;
}

const MIRROR_SELECT = `
  SELECT exporter, importer, year, hs_code, exported_kg::float8, imported_kg::float8, exported_usd::float8, imported_usd::float8, export_source, import_source
    FROM mirror_statistics`;

/**
 * The population statistics of the cross-check, recomputed set-based over all declarations at each
 * sweep and run: mirror statistics per exporter, importer, HS code and year (declarations where the
 * reporter files them for that year and flow, its UN Comtrade records otherwise) with `MIRROR_GAP`,
 * and the unit-value fences per HS code and year with `VALUE_ANOMALY` for declarations outside them.
 */
@Injectable()
export class StatisticsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly env: Env,
    private readonly flags: FlagsService,
  ) {}

  /** Recomputes everything; `asOf` decides which years are closed for MIRROR_GAP. */
  async recompute(manager: EntityManager, asOf: string): Promise<void> {
    await this.recomputeMirror(manager);
    await this.reconcile(manager, 'MIRROR_GAP', await this.mirrorGaps(manager, asOf));
    await this.reconcile(manager, 'VALUE_ANOMALY', await this.unitValueOutliers(manager), 'unit-value:');
  }

  async mirror(actor: Actor, query: MirrorQuery): Promise<{ items: MirrorRow[] }> {
    const rows: Record<string, any>[] = await this.dataSource.query(
      `${MIRROR_SELECT}
        WHERE ($1::int IS NULL OR year = $1) AND ($2::text IS NULL OR hs_code = $2)
          AND ($3::text IS NULL OR exporter = $3 OR importer = $3)
          AND ($4::text IS NULL OR (exporter = $4 AND importer = $3) OR (importer = $4 AND exporter = $3))
          AND ($5::text[] IS NULL OR exporter = ANY ($5) OR importer = ANY ($5))
        ORDER BY year DESC, exporter, importer, hs_code
        LIMIT 10000`,
      [query.year ?? null, query.hsCode ?? null, query.country ?? null, query.partner ?? null, countryScope(actor)],
    );
    return { items: rows.map(toMirrorRow) };
  }

  /** Rebuilds mirror_statistics from declarations and Comtrade records, in one statement. */
  private async recomputeMirror(manager: EntityManager): Promise<void> {
    await manager.query(`
      -- An import matched to an export counts in the export's year: a shipment that leaves in December
      -- and arrives in January is not a gap in either year.
      WITH shipped AS (
        SELECT m.import_id, min(e.date) AS date FROM matches m JOIN declarations e ON e.id = m.export_id GROUP BY m.import_id),
      declared AS (
        SELECT d.country AS reporter, d.partner_country AS partner, d.flow, extract(year FROM coalesce(s.date, d.date))::int AS year,
               left(i.hs_code, 6) AS hs_code, sum(i.net_mass_kg) AS kg, sum(i.value_usd) AS usd
          FROM declarations d JOIN declaration_items i ON i.declaration_id = d.id LEFT JOIN shipped s ON s.import_id = d.id
         WHERE d.status <> 'cancelled' AND d.country <> d.partner_country
         GROUP BY 1, 2, 3, 4, 5),
      filers AS (SELECT DISTINCT reporter, flow, year FROM declared),
      -- A reporter's Comtrade records stand in only for the years and flows it files no declarations for.
      reported AS (
        SELECT reporter, partner, flow, year, hs_code, kg, usd, 'declarations' AS source FROM declared
        UNION ALL
        SELECT c.reporter, c.partner, c.flow, c.year, c.hs_code, c.net_mass_kg, c.value_usd, 'comtrade' FROM comtrade_records c
         WHERE NOT EXISTS (SELECT 1 FROM filers f WHERE f.reporter = c.reporter AND f.flow = c.flow AND f.year = c.year)),
      reporters AS (SELECT reporter, flow, year, min(source) AS source FROM reported GROUP BY 1, 2, 3),
      pairs AS (
        SELECT reporter AS exporter, partner AS importer, year, hs_code FROM reported WHERE flow = 'export'
        UNION
        SELECT partner, reporter, year, hs_code FROM reported WHERE flow = 'import'),
      computed AS (
        SELECT p.exporter, p.importer, p.year, p.hs_code,
               -- A reporter that reports the flow that year but not this pair reports zero; one that reports nothing is unknown.
               CASE WHEN x.kg IS NOT NULL THEN x.kg WHEN rx.reporter IS NOT NULL THEN 0 END AS exported_kg,
               CASE WHEN m.kg IS NOT NULL THEN m.kg WHEN rm.reporter IS NOT NULL THEN 0 END AS imported_kg,
               CASE WHEN x.usd IS NOT NULL THEN x.usd WHEN rx.reporter IS NOT NULL THEN 0 END AS exported_usd,
               CASE WHEN m.usd IS NOT NULL THEN m.usd WHEN rm.reporter IS NOT NULL THEN 0 END AS imported_usd,
               rx.source AS export_source, rm.source AS import_source
          FROM pairs p
          LEFT JOIN reported x ON x.flow = 'export' AND x.reporter = p.exporter AND x.partner = p.importer AND x.year = p.year AND x.hs_code = p.hs_code
          LEFT JOIN reported m ON m.flow = 'import' AND m.reporter = p.importer AND m.partner = p.exporter AND m.year = p.year AND m.hs_code = p.hs_code
          LEFT JOIN reporters rx ON rx.reporter = p.exporter AND rx.flow = 'export' AND rx.year = p.year
          LEFT JOIN reporters rm ON rm.reporter = p.importer AND rm.flow = 'import' AND rm.year = p.year),
      removed AS (
        DELETE FROM mirror_statistics s WHERE NOT EXISTS (
          SELECT 1 FROM computed c WHERE (c.exporter, c.importer, c.year, c.hs_code) = (s.exporter, s.importer, s.year, s.hs_code)))
      INSERT INTO mirror_statistics AS s (exporter, importer, year, hs_code, exported_kg, imported_kg, exported_usd, imported_usd, export_source, import_source)
      SELECT * FROM computed ORDER BY 1, 2, 3, 4
      ON CONFLICT (exporter, importer, year, hs_code) DO UPDATE
         SET exported_kg = EXCLUDED.exported_kg, imported_kg = EXCLUDED.imported_kg, exported_usd = EXCLUDED.exported_usd,
             imported_usd = EXCLUDED.imported_usd, export_source = EXCLUDED.export_source, import_source = EXCLUDED.import_source, computed_at = now()
       WHERE (s.exported_kg, s.imported_kg, s.exported_usd, s.imported_usd, s.export_source, s.import_source)
             IS DISTINCT FROM (EXCLUDED.exported_kg, EXCLUDED.imported_kg, EXCLUDED.exported_usd, EXCLUDED.imported_usd, EXCLUDED.export_source, EXCLUDED.import_source)`);
  }

  /**
   * MIRROR_GAP: pairs where both sides report and the masses differ beyond both tolerances, in the
   * years that are closed at `asOf`: those whose last shipments' windows have passed. A year still
   * open has shipments in transit, whose gap says nothing yet.
   */
  private async mirrorGaps(manager: EntityManager, asOf: string): Promise<DesiredFlag[]> {
    const rows: Record<string, any>[] = await manager.query(
      `${MIRROR_SELECT}
        WHERE exported_kg IS NOT NULL AND imported_kg IS NOT NULL AND year < extract(year FROM $3::date - $4::int)
          AND abs(exported_kg - imported_kg) > $1 AND abs(exported_kg - imported_kg) * 100 > $2 * greatest(exported_kg, imported_kg)`,
      [this.env.MIRROR_GAP_KG, this.env.MIRROR_GAP_PCT, asOf, this.env.MATCH_WINDOW_DAYS],
    );
    return rows.map(toMirrorRow).map((row) => {
      const gap = row.gapKg!;
      const pct = (row.gapRatio! * 100).toFixed(1);
      const reports = `${row.exporter} reports ${formatKg(row.exportedKg!)} exported to ${row.importer}, ${row.importer} reports ${formatKg(row.importedKg!)} imported`;
      const verdict = gap > 0 ? `${formatKg(gap)} (${pct} %) not accounted for at arrival` : `${formatKg(-gap)} (${pct} %) more arrived than was exported`;
      return {
        code: 'MIRROR_GAP' as const,
        subject: `mirror:${row.exporter}:${row.importer}:${row.hsCode}:${row.year}`,
        severity: 'medium' as const,
        score: 0.6,
        summary: `HS ${row.hsCode} in ${row.year}: ${reports}; ${verdict}`,
        countries: [row.exporter, row.importer].sort(),
        declarationIds: [],
        evidence: { ...row, tolerancePct: this.env.MIRROR_GAP_PCT, toleranceKg: this.env.MIRROR_GAP_KG },
      };
    });
  }

  /**
   * VALUE_ANOMALY on unit values: per HS code and year, the declared USD per kg of every item
   * (exports and imports alike) gives quartiles; an item outside Q1 − k·IQR … Q3 + k·IQR is an outlier
   * (k = VALUE_TUKEY_K), and beyond twice that distance an extreme one. Groups with fewer than
   * VALUE_TUKEY_MIN_SAMPLE items are left alone: their quartiles say little.
   */
  private async unitValueOutliers(manager: EntityManager): Promise<DesiredFlag[]> {
    const rows: Record<string, any>[] = await manager.query(
      `WITH items AS (
         SELECT d.id, d.country, d.partner_country, d.flow, d.number, extract(year FROM d.date)::int AS year, i.line, left(i.hs_code, 6) AS hs_code,
                i.net_mass_kg, i.value_usd, i.value_usd / i.net_mass_kg AS unit
           FROM declarations d JOIN declaration_items i ON i.declaration_id = d.id
          WHERE d.status <> 'cancelled' AND i.net_mass_kg > 0 AND i.value_usd > 0),
       fences AS (
         SELECT hs_code, year, count(*) AS n,
                percentile_cont(0.25) WITHIN GROUP (ORDER BY unit) AS q1, percentile_cont(0.75) WITHIN GROUP (ORDER BY unit) AS q3
           FROM items GROUP BY hs_code, year HAVING count(*) >= $2)
       SELECT i.id, i.country, i.partner_country, i.flow, i.number, i.year, i.hs_code, i.net_mass_kg::float8 AS kg, i.value_usd::float8 AS usd,
              i.unit::float8 AS unit, f.n::int AS n, f.q1, f.q3, f.q1 - $1 * (f.q3 - f.q1) AS low, f.q3 + $1 * (f.q3 - f.q1) AS high,
              (i.unit < f.q1 - 2 * $1 * (f.q3 - f.q1) OR i.unit > f.q3 + 2 * $1 * (f.q3 - f.q1)) AS extreme
         FROM items i JOIN fences f USING (hs_code, year)
        WHERE i.unit < f.q1 - $1 * (f.q3 - f.q1) OR i.unit > f.q3 + $1 * (f.q3 - f.q1)
        ORDER BY i.id, i.line`,
      [this.env.VALUE_TUKEY_K, this.env.VALUE_TUKEY_MIN_SAMPLE],
    );
    const byDeclaration = new Map<string, Record<string, any>[]>();
    for (const row of rows) byDeclaration.set(row.id, [...(byDeclaration.get(row.id) ?? []), row]);
    const usd = (n: number) => `${n.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })} USD/kg`;
    return [...byDeclaration.entries()].map(([id, items]) => {
      const first = items[0];
      const severity = items.some((i) => i.extreme) ? ('medium' as const) : ('low' as const);
      const what = `${first.flow === 'export' ? 'Export' : 'Import'} ${first.number} ${first.flow === 'export' ? 'to' : 'from'} ${first.partner_country}`;
      const parts = items.map(
        (i) => `HS ${i.hs_code} at ${usd(i.unit)}, ${i.unit < i.low ? 'below' : 'above'} the ${i.year} range of ${usd(Math.max(i.low, 0))} to ${usd(i.high)} (${i.n} items)`,
      );
      return {
        code: 'VALUE_ANOMALY' as const,
        subject: `unit-value:${id}`,
        severity,
        score: severity === 'medium' ? 0.6 : 0.3,
        summary: `${what}: ${parts.join('; ')}`,
        countries: [...new Set([first.country, first.partner_country])].sort(),
        declarationIds: [id],
        evidence: {
          tukeyK: this.env.VALUE_TUKEY_K,
          items: items.map((i) => ({
            hsCode: i.hs_code, year: i.year, netMassKg: i.kg, valueUsd: i.usd, unitValueUsdPerKg: round(i.unit), q1: round(i.q1), q3: round(i.q3),
            lowerFence: round(i.low), upperFence: round(i.high), sampleSize: i.n, extreme: i.extreme,
          })),
        },
      };
    });
  }

  /** Makes the holding flags of `code` (of subjects with `prefix`) exactly `desired`. */
  private async reconcile(manager: EntityManager, code: RuleCode, desired: DesiredFlag[], prefix = ''): Promise<void> {
    const holding: { subject: string }[] = await manager.query(`SELECT subject FROM flags WHERE code = $1 AND holds AND subject LIKE $2 || '%'`, [code, prefix]);
    const subjects = [...new Set([...holding.map((h) => h.subject), ...desired.map((d) => d.subject)])];
    await this.flags.reconcile(manager, { subjects, codes: [code] }, desired, 'crosscheck');
  }
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}

function toMirrorRow(r: Record<string, any>): MirrorRow {
  const exported = r.exported_kg as number | null;
  const imported = r.imported_kg as number | null;
  const both = exported !== null && imported !== null;
  const larger = both ? Math.max(exported, imported) : 0;
  return {
    exporter: r.exporter,
    importer: r.importer,
    year: r.year,
    hsCode: r.hs_code,
    exportedKg: exported,
    importedKg: imported,
    gapKg: both ? Math.round((exported - imported) * 1000) / 1000 : null,
    gapRatio: both ? (larger === 0 ? 0 : Math.round((Math.abs(exported - imported) / larger) * 10000) / 10000) : null,
    exportedUsd: r.exported_usd,
    importedUsd: r.imported_usd,
    exportSource: r.export_source,
    importSource: r.import_source,
  };
}
