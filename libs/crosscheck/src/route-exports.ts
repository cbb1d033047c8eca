import type { EntityManager } from 'typeorm';
import { preparedStatement, queryPrepared } from '@hgtrace/database';

/**
 * The exports of each piece $1 (a route and a date range), with what tells which of them may compete
 * for an import by attributes and how closely they can fit it: date, names and net mass. One walk of
 * the route's index (declarations_pair_idx) per piece and nothing looked up per row, since a dense
 * route returns thousands of rows of which few can matter (see PairCheckService.attributeAssignments);
 * the countries are typed as the columns are (character(2)), since comparing them as text rules the
 * index out. A piece is one row of aggregates (so the LATERAL stays one walk per piece), in the order
 * of the walk: ids, dates (days since 2000-01-01) and masses (the numeric's own digits, which Number()
 * reads to the double float8 would give) each joined by commas, the names as JSON arrays, since a name
 * may hold any character but NUL. Thousands of rows of five columns cost pg's parser in Node about as
 * much as PostgreSQL spends finding them, and to_char and ::float8 cost PostgreSQL a quarter of it;
 * three splits and two JSON.parse cost a fraction. A piece without exports has nulls.
 */
const ROUTE_EXPORTS = preparedStatement('hg_pairs_route_exports', `SELECT r.piece, d.*
  FROM jsonb_to_recordset($1::jsonb) AS r(piece int, country character(2), partner character(2), "from" date, "to" date)
 CROSS JOIN LATERAL (SELECT string_agg(d.id::text, ',') AS ids, string_agg((d.date - DATE '2000-01-01')::text, ',') AS days,
                            string_agg(d.total_net_mass_kg::text, ',') AS kgs, json_agg(d.trader_name) AS trader_names,
                            json_agg(d.counterparty_name) AS counterparty_names
                       FROM declarations d
                      WHERE d.partner_country = r.partner AND d.country = r.country AND d.flow = 'export'
                        AND d.date BETWEEN r."from" AND r."to" AND d.status <> 'cancelled') d`);

/** A row of ROUTE_EXPORTS: one piece's exports. */
interface PieceRow {
  piece: number;
  ids: string | null;
  days: string | null;
  kgs: string | null;
  trader_names: string[] | null;
  counterparty_names: string[] | null;
}

/** The generation of each route $1 (see the migration ExportRouteGenerations); a route without a row has had no export. */
const ROUTE_GENERATIONS = preparedStatement('hg_pairs_route_generations', `SELECT r.country, r.partner, coalesce(g.generation, 0)::text AS generation
  FROM jsonb_to_recordset($1::jsonb) AS r(country character(2), partner character(2))
  LEFT JOIN export_route_generations g ON g.country = r.country AND g.partner_country = r.partner`);

/** An export as the attribute assignment weighs it against an import. */
export interface RouteExport {
  id: string;
  date: string;
  trader_name: string;
  counterparty_name: string;
  kg: number;
}

/** A route (declaring country, partner) and the dates of its exports wanted. */
export interface RouteRange {
  country: string;
  partner: string;
  from: string;
  to: string;
}

interface Kept {
  generation: string;
  from: string;
  to: string;
  /** By net mass, lightest first. */
  rows: RouteExport[];
}

const DAY_MS = 86_400_000;
const DAY_ZERO = Date.parse('2000-01-01T00:00:00Z');
/** YYYY-MM-DD of days since 2000-01-01, each made once. */
const dayStrings = new Map<number, string>();

function dayString(days: number): string {
  let date = dayStrings.get(days);
  if (date === undefined) dayStrings.set(days, (date = new Date(DAY_ZERO + days * DAY_MS).toISOString().slice(0, 10)));
  return date;
}

/** A YYYY-MM-DD date moved by whole days. */
export function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
}

const byKg = (a: RouteExport, b: RouteExport) => a.kg - b.kg;

/** Two lists sorted by kg, as one. */
function merged(a: RouteExport[], b: RouteExport[]): RouteExport[] {
  if (a.length === 0) return b;
  if (b.length === 0) return a;
  const out = new Array<RouteExport>(a.length + b.length);
  let i = 0;
  let j = 0;
  let k = 0;
  while (i < a.length && j < b.length) out[k++] = a[i].kg <= b[j].kg ? a[i++] : b[j++];
  while (i < a.length) out[k++] = a[i++];
  while (j < b.length) out[k++] = b[j++];
  return out;
}

/**
 * The exports of routes over date ranges, by net mass, for the attribute assignment. `once()` reads
 * what one pair check asks for and keeps nothing. A run's slice walks its exports in date order, each
 * chunk asking for its routes over the months around its dates, nearly the same months as the chunk
 * before: `kept()` holds each route's exports from one chunk to the next, reads only the dates not
 * held yet, and lets go of those before the dates asked for. It keeps them only while the route's
 * generation is the one it read them at: any export of the route filed, amended, cancelled or deleted
 * since, committed, and the route is read again. The generation is read before the exports, in the
 * same transaction, so what is held is never older than the generation it is held at.
 *
 * The lists returned may hold exports outside the dates asked for (the caller compares dates), and
 * are never changed once returned.
 */
export class RouteExports {
  private readonly held = new Map<string, Kept>();
  /** Names and dates repeat across a route's thousands of exports: one string each. */
  private readonly strings = new Map<string, string>();

  private constructor(private readonly keeps: boolean) {}

  static once(): RouteExports {
    return new RouteExports(false);
  }

  static kept(): RouteExports {
    return new RouteExports(true);
  }

  /** The exports of each route over at least its range, keyed `country|partner`, lightest first. */
  async read(manager: EntityManager, ranges: RouteRange[]): Promise<Map<string, RouteExport[]>> {
    const keyOf = (r: { country: string; partner: string }) => `${r.country}|${r.partner}`;
    const result = new Map<string, RouteExport[]>();
    if (ranges.length === 0) return result;
    const generations = new Map<string, string>();
    if (this.keeps) {
      const rows = await queryPrepared<{ country: string; partner: string; generation: string }[]>(manager, ROUTE_GENERATIONS, [
        JSON.stringify(ranges.map(({ country, partner }) => ({ country, partner }))),
      ]);
      for (const row of rows) generations.set(keyOf(row), row.generation);
    }
    // What to read: a whole range for a route not held (or held at another generation), else the dates around what is held.
    const pieces: (RouteRange & { key: string; fresh: boolean })[] = [];
    for (const range of ranges) {
      const key = keyOf(range);
      const kept = this.held.get(key);
      if (!kept || kept.generation !== generations.get(key)) {
        pieces.push({ ...range, key, fresh: true });
        continue;
      }
      if (range.from < kept.from) pieces.push({ ...range, to: addDays(kept.from, -1), key, fresh: false });
      if (range.to > kept.to) pieces.push({ ...range, from: addDays(kept.to, 1), key, fresh: false });
    }
    const found = pieces.map(() => [] as RouteExport[]);
    if (pieces.length > 0) {
      const rows = await queryPrepared<PieceRow[]>(manager, ROUTE_EXPORTS, [
        JSON.stringify(pieces.map(({ country, partner, from, to }, piece) => ({ piece, country, partner, from, to }))),
      ]);
      for (const row of rows) {
        if (row.ids === null) continue;
        const ids = row.ids.split(',');
        const days = row.days!.split(',');
        const kgs = row.kgs!.split(',');
        const traders = row.trader_names!;
        const counterparties = row.counterparty_names!;
        const list = found[row.piece];
        for (let i = 0; i < ids.length; i++) {
          list.push({ id: ids[i], date: dayString(Number(days[i])), trader_name: this.string(traders[i]), counterparty_name: this.string(counterparties[i]), kg: Number(kgs[i]) });
        }
      }
    }
    const fresh = new Map<string, RouteExport[]>();
    pieces.forEach((piece, i) => {
      const list = found[i].sort(byKg);
      if (piece.fresh) fresh.set(piece.key, list);
      else {
        const kept = this.held.get(piece.key)!;
        kept.rows = merged(kept.rows, list);
        if (piece.from < kept.from) kept.from = piece.from;
        if (piece.to > kept.to) kept.to = piece.to;
      }
    });
    for (const range of ranges) {
      const key = keyOf(range);
      const rows = fresh.get(key);
      if (!this.keeps) {
        result.set(key, rows!);
        continue;
      }
      let kept = this.held.get(key);
      if (rows) this.held.set(key, (kept = { generation: generations.get(key)!, from: range.from, to: range.to, rows }));
      // The slice moves on in date order: what lies before the dates asked for is let go.
      if (kept!.from < range.from) {
        kept!.rows = kept!.rows.filter((r) => r.date >= range.from);
        kept!.from = range.from;
      }
      result.set(key, kept!.rows);
    }
    return result;
  }

  private string(value: string): string {
    if (!this.keeps) return value;
    const known = this.strings.get(value);
    if (known !== undefined) return known;
    this.strings.set(value, value);
    return value;
  }
}
