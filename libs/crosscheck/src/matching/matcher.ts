import { nameSimilarity } from './trigram.js';
import type { Match, MatchBasis, MatchingOptions, ShipmentFacts } from './matching.types.js';

/** The defaults of DESIGN.md; the running services take theirs from the environment. */
export const DEFAULT_MATCHING_OPTIONS: MatchingOptions = {
  windowDays: 120,
  dateToleranceDays: 1,
  counterpartySimilarity: 0.45,
  quantityTolerancePct: 2,
  quantityToleranceKg: 1,
  cifFobPct: 6,
  valueTolerancePct: 25,
};

const DAY_MS = 86_400_000;

/** Whole days from one YYYY-MM-DD date to another (negative when `to` is earlier). */
export function daysBetween(from: string, to: string): number {
  return Math.round((utcOf(to) - utcOf(from)) / DAY_MS);
}

/** Dates repeat across thousands of comparisons: each is parsed once (a day per key, so the map stays small). */
const utcOfDate = new Map<string, number>();

function utcOf(date: string): number {
  let utc = utcOfDate.get(date);
  if (utc === undefined) {
    const [year, month, day] = date.split('-').map(Number);
    utc = Date.UTC(year, month - 1, day);
    if (utcOfDate.size >= 100_000) utcOfDate.clear();
    utcOfDate.set(date, utc);
  }
  return utc;
}

/** An HS heading set per shipment, computed once per shipment object. */
const headingsOf = new WeakMap<ShipmentFacts, Set<string>>();

function headings(s: ShipmentFacts): Set<string> {
  let set = headingsOf.get(s);
  if (!set) {
    set = new Set(s.items.map((item) => hsDigits(item.hsCode).slice(0, 4)));
    headingsOf.set(s, set);
  }
  return set;
}

/** The HS digits of a code, whether written 280540 or 2805.40. */
export function hsDigits(hsCode: string): string {
  return hsCode.replace(/\D/g, '');
}

export function sharedContainers(a: ShipmentFacts, b: ShipmentFacts): string[] {
  if (a.containerKeys.length === 0 || b.containerKeys.length === 0) return [];
  const keys = new Set(b.containerKeys);
  return [...new Set(a.containerKeys)].filter((key) => keys.has(key)).sort();
}

/**
 * Why an import is the same shipment as an export, or null when it is not. A shared transport
 * document or container says so wherever the import was declared (a third country is a diversion,
 * which the caller tells apart); without either, the import must fit the export's route, date window,
 * HS heading and counterparty names.
 */
export function matchBasis(exp: ShipmentFacts, imp: ShipmentFacts, options: MatchingOptions): MatchBasis | null {
  if (exp.transportDocumentKey !== null && imp.transportDocumentKey !== null) {
    // Two declarations that both carry transport documents and share none are different shipments.
    return exp.transportDocumentKey === imp.transportDocumentKey ? 'transport_document' : null;
  }
  if (sharedContainers(exp, imp).length > 0) return 'container';
  return attributesMatch(exp, imp, options) ? 'attributes' : null;
}

function attributesMatch(exp: ShipmentFacts, imp: ShipmentFacts, options: MatchingOptions): boolean {
  if (exp.flow !== 'export' || imp.flow !== 'import') return false;
  if (imp.country !== exp.partnerCountry || imp.partnerCountry !== exp.country) return false;
  const days = daysBetween(exp.date, imp.date);
  if (days < -options.dateToleranceDays || days > options.windowDays) return false;
  const exportHeadings = headings(exp);
  let shared = false;
  for (const heading of headings(imp)) if (exportHeadings.has(heading)) shared = true;
  if (!shared) return false;
  return attributeScore(exp, imp) >= options.counterpartySimilarity;
}

/** The better of the two name comparisons: consignee against importer, exporter against consignor. */
export function attributeScore(exp: ShipmentFacts, imp: ShipmentFacts): number {
  return Math.max(nameSimilarity(exp.counterpartyName, imp.traderName), nameSimilarity(exp.traderName, imp.counterpartyName));
}

/**
 * The imports of one export. Several may match (a shipment arriving in parts) and all are kept.
 * Imports tied to the export by document or container but declared outside its destination are
 * `diverted`. Once the documents tie an import in the destination to the export, imports that only
 * resemble it are left out: the documents tell which shipment is which.
 */
export function selectMatches(
  exp: ShipmentFacts,
  candidates: readonly ShipmentFacts[],
  options: MatchingOptions,
): { matches: Match[]; diverted: Match[] } {
  const found: Match[] = [];
  for (const imp of candidates) {
    if (imp.flow !== 'import' || imp.id === exp.id) continue;
    const basis = matchBasis(exp, imp, options);
    if (basis === null) continue;
    found.push({ import: imp, basis, score: basis === 'attributes' ? attributeScore(exp, imp) : 1 });
  }
  found.sort(byDateThenNumber);
  const byDocuments = (m: Match) => m.basis !== 'attributes';
  const diverted = found.filter((m) => byDocuments(m) && m.import.country !== exp.partnerCountry);
  const atDestination = found.filter((m) => !diverted.includes(m));
  const documented = atDestination.some(byDocuments);
  // Without documents, nothing ties several imports to one export: the one that fits best (closest
  // mass, then closest date) is taken, and the others are left to the exports they fit better.
  const matches = documented ? atDestination.filter(byDocuments) : atDestination.sort(byFit(exp)).slice(0, 1);
  return { matches, diverted };
}

function totalKg(s: ShipmentFacts): number {
  return s.items.reduce((sum, i) => sum + i.netMassKg, 0);
}

/** The net mass of a shipment as matching weighs it: its items' summed. */
export const totalNetMassKg = totalKg;

function byFit(exp: ShipmentFacts): (a: Match, b: Match) => number {
  const kg = totalKg(exp) || 1;
  const misfit = (m: Match) => Math.abs(totalKg(m.import) - kg) / kg;
  return (a, b) => misfit(a) - misfit(b) || Math.abs(daysBetween(exp.date, a.import.date)) - Math.abs(daysBetween(exp.date, b.import.date)) || byDateThenNumber(a, b);
}

function byDateThenNumber(a: Match, b: Match): number {
  return (
    compare(a.import.date, b.import.date) ||
    compare(a.import.number, b.import.number) ||
    compare(a.import.country, b.import.country) ||
    compare(a.import.id, b.import.id)
  );
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A pair assignAttributeMatches weighs: how far the import's mass is from the export's, relative to it, and the days between them. */
export interface AttributePair {
  exp: ShipmentFacts;
  imp: ShipmentFacts;
  misfit: number;
  gap: number;
}

export function attributePair(exp: ShipmentFacts, imp: ShipmentFacts): AttributePair {
  const kg = totalKg(exp) || 1;
  return { exp, imp, misfit: Math.abs(totalKg(imp) - kg) / kg, gap: Math.abs(daysBetween(exp.date, imp.date)) };
}

/** The order in which assignAttributeMatches takes pairs: closest mass, then closest date, then by number and id (a total order). */
export function compareAttributePairs(a: AttributePair, b: AttributePair): number {
  return a.misfit - b.misfit || a.gap - b.gap || compare(a.exp.number, b.exp.number) || compare(a.imp.number, b.imp.number) || compare(a.exp.id, b.exp.id) || compare(a.imp.id, b.imp.id);
}

/**
 * One-to-one assignment for shipments without documents: when several exports could each be the
 * export of several imports (same countries, heading, window and similar names), pairs are taken in
 * order of fit (closest mass, then closest date), each export and each import at most once. The
 * result depends only on the declarations given, not on the order in which they arrived.
 */
export function assignAttributeMatches(exports: readonly ShipmentFacts[], imports: readonly ShipmentFacts[], options: MatchingOptions): Map<string, ShipmentFacts> {
  const pairs: AttributePair[] = [];
  for (const exp of exports) {
    for (const imp of imports) {
      if (matchBasis(exp, imp, options) !== 'attributes') continue;
      pairs.push(attributePair(exp, imp));
    }
  }
  pairs.sort(compareAttributePairs);
  const assigned = new Map<string, ShipmentFacts>();
  const taken = new Set<string>();
  for (const { exp, imp } of pairs) {
    if (assigned.has(exp.id) || taken.has(imp.id)) continue;
    assigned.set(exp.id, imp);
    taken.add(imp.id);
  }
  return assigned;
}

/**
 * What an export's imports are known to face: its pairs with the rivals seen so far, in the order
 * assignAttributeMatches takes pairs (the export's own pair left out), and a misfit below which no
 * pair of a rival not seen yet can be (Infinity once all are seen).
 */
export interface ImportContest {
  imp: ShipmentFacts;
  pairs: readonly AttributePair[];
  unseenMisfit: number;
}

/**
 * The import an export takes in assignAttributeMatches over it, its rivals and its imports, found by
 * taking the same pairs in the same order, but only as far as needed: until the export is assigned
 * or all its imports are taken. A pair is taken once no rival not seen yet can have a pair before it
 * with an import still free; when one might, the answer names the imports to look further for, and
 * up to which misfit. Rivals never seen cannot change the answer: every pair of theirs would have come
 * after the export was settled.
 */
export function assignLazily(
  exp: ShipmentFacts,
  contests: readonly ImportContest[],
): { settled: true; import: ShipmentFacts | undefined } | { settled: false; blocked: { imp: ShipmentFacts; misfit: number }[] } {
  const streams = contests.map((c) => ({ ...c, pairs: [attributePair(exp, c.imp), ...c.pairs.filter((p) => p.exp.id !== exp.id)].sort(compareAttributePairs), at: 0, taken: false }));
  const assigned = new Set<string>();
  for (;;) {
    let best: (typeof streams)[number] | undefined;
    for (const s of streams) {
      if (s.taken) continue;
      while (s.at < s.pairs.length && assigned.has(s.pairs[s.at].exp.id)) s.at++;
      if (s.at < s.pairs.length && (!best || compareAttributePairs(s.pairs[s.at], best.pairs[best.at]) < 0)) best = s;
    }
    // The export's own pairs stay until it is assigned: with none left, every import of its is taken.
    if (!best) return { settled: true, import: undefined };
    const pair = best.pairs[best.at];
    const blocked = streams.filter((s) => !s.taken && !(s.unseenMisfit > pair.misfit)).map((s) => ({ imp: s.imp, misfit: pair.misfit }));
    if (blocked.length > 0) return { settled: false, blocked };
    if (pair.exp.id === exp.id) return { settled: true, import: pair.imp };
    assigned.add(pair.exp.id);
    best.taken = true;
  }
}
