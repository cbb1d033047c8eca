import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { parse } from 'csv-parse';
import countries from 'i18n-iso-countries';
import type { Readable } from 'node:stream';
import type { DataSource } from 'typeorm';
import { AuditService } from '@hgtrace/audit';
import { type Actor, type ErrorDetail, ValidationFailedError } from '@hgtrace/common';
import { ReferenceService } from '@hgtrace/reference';

/**
 * The columns of a UN Comtrade bulk file that the mirror needs, under the names Comtrade uses: those
 * of the current bulk files (Comtrade+) and of the legacy ones. Country columns are ISO 3166-1
 * alpha-3 (or alpha-2) codes.
 */
const COLUMNS = {
  reporter: ['reporterISO', 'Reporter ISO', 'reporterCode2', 'reporter'],
  partner: ['partnerISO', 'Partner ISO', 'partner'],
  flow: ['flowCode', 'Trade Flow Code', 'Trade Flow', 'flow'],
  period: ['refYear', 'period', 'Year', 'Period'],
  commodity: ['cmdCode', 'Commodity Code', 'commodityCode'],
  netWeight: ['netWgt', 'Netweight (kg)', 'NetWeight', 'netWeight'],
  primaryValue: ['primaryValue', 'Trade Value (US$)', 'TradeValue', 'tradeValue'],
} as const;
type Column = keyof typeof COLUMNS;

/** Flows: Comtrade+ letters, legacy numeric codes and words. Re-exports and re-imports are not mirrored. */
const FLOWS: Record<string, 'export' | 'import' | 'skip'> = {
  X: 'export', M: 'import', '2': 'export', '1': 'import', EXPORT: 'export', IMPORT: 'import', EXPORTS: 'export', IMPORTS: 'import',
  RX: 'skip', RM: 'skip', '3': 'skip', '4': 'skip', 'RE-EXPORT': 'skip', 'RE-IMPORT': 'skip',
};

/** Partner "areas" that are aggregates, not countries: World, areas n.e.s., bunkers, free zones. */
const AGGREGATES = new Set(['W00', 'WLD', '_X', 'X1', 'XX', 'ZA1', 'ZB1', 'ZC1', 'R4', 'S19', 'F19', 'F97', 'E29', 'Z01', 'R91', '0']);

export interface ComtradeImportResult {
  rowsRead: number;
  /** Annual (reporter, partner, flow, year, HS code) records stored or replaced. */
  recordsStored: number;
  skipped: { aggregatePartner: number; untrackedCommodity: number; reExports: number };
  rejected: number;
  errors: { row: number; path: string; message: string }[];
}

interface Key {
  reporter: string;
  partner: string;
  flow: 'export' | 'import';
  year: number;
  hsCode: string;
  kg: number;
  usd: number;
}

const MAX_ERRORS = 1000;

/**
 * UN Comtrade bulk records for the mirror comparison: a country that files no declarations into
 * hgtrace for a year is represented by what it reported to Comtrade. Rows are read as a stream;
 * monthly rows add up to the year; only the HS codes hgtrace tracks (the reference list) are kept.
 * Importing a file again replaces its records, so it can be re-run after a correction.
 */
@Injectable()
export class ComtradeService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly reference: ReferenceService,
    private readonly audit: AuditService,
  ) {}

  async import(actor: Actor, input: Readable, source: string): Promise<ComtradeImportResult> {
    const records = new Map<string, Key>();
    const result: ComtradeImportResult = { rowsRead: 0, recordsStored: 0, skipped: { aggregatePartner: 0, untrackedCommodity: 0, reExports: 0 }, rejected: 0, errors: [] };
    let columns: Record<Column, string> | null = null;
    const parser = input.pipe(parse({ columns: true, bom: true, skip_empty_lines: true, trim: true, relax_column_count: true }));
    try {
      for await (const row of parser as AsyncIterable<Record<string, string>>) {
        columns ??= resolveColumns(Object.keys(row));
        result.rowsRead += 1;
        const line = result.rowsRead + 1;
        const read = this.readRow(row, columns, result);
        if ('errors' in read) {
          result.rejected += 1;
          for (const error of read.errors) if (result.errors.length < MAX_ERRORS) result.errors.push({ row: line, ...error });
          continue;
        }
        if (read.skip) continue;
        const key = `${read.reporter}|${read.partner}|${read.flow}|${read.year}|${read.hsCode}`;
        const known = records.get(key);
        if (known) {
          known.kg += read.kg;
          known.usd += read.usd;
        } else records.set(key, read);
      }
    } catch (error) {
      if (error instanceof ValidationFailedError) throw error;
      throw ValidationFailedError.of('file', `is not a readable CSV file: ${(error as Error).message}`);
    }
    if (!columns) throw ValidationFailedError.of('file', 'is empty: expected a header row and Comtrade records');
    const rows = [...records.values()];
    await this.dataSource.transaction(async (manager) => {
      if (rows.length > 0) {
        await manager.query(
          `INSERT INTO comtrade_records AS c (reporter, partner, flow, year, hs_code, net_mass_kg, value_usd, source)
           SELECT reporter, partner, flow, year, "hsCode", round(kg::numeric, 3), round(usd::numeric, 2), $2
             FROM jsonb_to_recordset($1::jsonb) AS r(reporter text, partner text, flow text, year int, "hsCode" text, kg float8, usd float8)
            ORDER BY 1, 2, 3, 4, 5
           ON CONFLICT (reporter, partner, flow, year, hs_code) DO UPDATE
              SET net_mass_kg = EXCLUDED.net_mass_kg, value_usd = EXCLUDED.value_usd, source = EXCLUDED.source, imported_at = now()`,
          [JSON.stringify(rows), source],
        );
      }
      await this.audit.record(manager, actor, {
        action: 'comtrade.import',
        entity: 'comtrade_records',
        entityId: source,
        countries: [...new Set(rows.flatMap((r) => [r.reporter, r.partner]))],
        before: null,
        after: { source, rowsRead: result.rowsRead, records: rows.length, rejected: result.rejected },
      });
    });
    result.recordsStored = rows.length;
    return result;
  }

  private readRow(row: Record<string, string>, columns: Record<Column, string>, result: ComtradeImportResult): (Key & { skip?: false }) | { skip: true } | { errors: ErrorDetail[] } {
    const errors: ErrorDetail[] = [];
    const value = (column: Column) => (row[columns[column]] ?? '').trim();
    const flow = FLOWS[value('flow').toUpperCase()];
    if (!flow) errors.push({ path: columns.flow, message: `"${value('flow')}" is not a trade flow (X, M, 1, 2, Export, Import)` });
    const partnerCode = value('partner').toUpperCase();
    if (flow === 'skip') {
      result.skipped.reExports += 1;
      return { skip: true };
    }
    if (AGGREGATES.has(partnerCode)) {
      result.skipped.aggregatePartner += 1;
      return { skip: true };
    }
    const reporter = this.country(value('reporter'));
    if (!reporter) errors.push({ path: columns.reporter, message: `"${value('reporter')}" is not an ISO 3166-1 country code` });
    const partner = this.country(partnerCode);
    if (!partner) errors.push({ path: columns.partner, message: `"${value('partner')}" is not an ISO 3166-1 country code` });
    if (reporter && reporter === partner) errors.push({ path: columns.partner, message: 'is the reporter itself' });
    const period = value('period');
    const year = /^\d{4}(\d{2})?$/.test(period) ? Number(period.slice(0, 4)) : NaN;
    if (!(year >= 1950 && year <= 2200)) errors.push({ path: columns.period, message: `"${period}" is not a year (YYYY) or month (YYYYMM)` });
    const hsCode = value('commodity').replace(/\D/g, '');
    const kg = number(value('netWeight'));
    if (kg === null) errors.push({ path: columns.netWeight, message: `"${value('netWeight')}" is not a mass in kg (0 or more)` });
    const usd = number(value('primaryValue'));
    if (usd === null) errors.push({ path: columns.primaryValue, message: `"${value('primaryValue')}" is not a value in USD (0 or more)` });
    if (errors.length > 0) return { errors };
    // Chapter and heading totals, and codes hgtrace does not track, are not mirrored.
    if (hsCode.length !== 6 || this.reference.mercuryClassOf(hsCode) === 'other') {
      result.skipped.untrackedCommodity += 1;
      return { skip: true };
    }
    return { reporter: reporter!, partner: partner!, flow: flow as 'export' | 'import', year, hsCode, kg: kg!, usd: usd! };
  }

  private country(code: string): string | null {
    const upper = code.toUpperCase();
    const alpha2 = upper.length === 3 ? countries.alpha3ToAlpha2(upper) : upper;
    return alpha2 && this.reference.country(alpha2) ? alpha2 : null;
  }
}

function resolveColumns(header: string[]): Record<Column, string> {
  const missing: ErrorDetail[] = [];
  const resolved = {} as Record<Column, string>;
  for (const [column, names] of Object.entries(COLUMNS) as [Column, readonly string[]][]) {
    const found = names.find((name) => header.includes(name));
    if (found) resolved[column] = found;
    else missing.push({ path: 'header', message: `no ${column} column (one of ${names.map((n) => `"${n}"`).join(', ')})` });
  }
  if (missing.length > 0) throw new ValidationFailedError(missing);
  return resolved;
}

function number(text: string): number | null {
  if (text === '') return null;
  const n = Number(text.replace(/,/g, ''));
  return Number.isFinite(n) && n >= 0 ? n : null;
}
