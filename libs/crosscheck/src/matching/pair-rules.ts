import { formatGrams, gramsToKg, sumGrams } from '../compliance/compliance.helpers.js';
import { daysBetween, hsDigits, sharedContainers } from './matcher.js';
import type { Match, MatchingOptions, PairFinding, ShipmentFacts } from './matching.types.js';
import { nameSimilarity } from './trigram.js';

/**
 * The cross-border rules on one export and the imports matched to it (see `selectMatches`), in a
 * fixed order, at most one finding per rule. Masses are compared in integer grams and values in
 * integer cents, so a figure exactly at a tolerance never looks past it.
 */
export function pairFindings(
  exp: ShipmentFacts,
  matched: readonly Match[],
  diverted: readonly Match[],
  options: MatchingOptions,
): PairFinding[] {
  const findings = [routeMismatch(exp, diverted)];
  if (matched.length > 0) {
    findings.push(
      quantityMismatch(exp, matched, options),
      hsCodeMismatch(exp, matched),
      counterpartyMismatch(exp, matched, options),
      dateAnomaly(exp, matched, options),
      valueAnomaly(exp, matched, options),
    );
  }
  return findings.filter((finding): finding is PairFinding => finding !== null);
}

function routeMismatch(exp: ShipmentFacts, diverted: readonly Match[]): PairFinding | null {
  if (diverted.length === 0) return null;
  const imports = diverted.map((m) => m.import);
  const byDocument = diverted.some((m) => m.basis === 'transport_document');
  const containers = [...new Set(diverted.flatMap((m) => sharedContainers(exp, m.import)))].sort();
  const link = byDocument
    ? `bill of lading ${exp.transportDocumentKey}`
    : `${containers.length > 1 ? 'containers' : 'container'} ${listOf(containers)}`;
  const importedInto = [...new Set(imports.map((imp) => imp.country))];
  const where = listOf(
    importedInto.map((country) => `into ${country} as ${listOf(imports.filter((imp) => imp.country === country).map((imp) => imp.number))}`),
  );
  return {
    code: 'ROUTE_MISMATCH',
    severity: 'high',
    message: `${exportHeadline(exp)}: the same shipment (${link}) was imported ${where}`,
    declarationIds: declarationIds(exp, imports),
    // The declared destination is part of the case: it expected the shipment and consented to it.
    countries: countriesOf(exp, imports, [exp.partnerCountry]),
    evidence: {
      destination: exp.partnerCountry,
      importedInto,
      transportDocument: byDocument ? exp.transportDocumentKey : null,
      containers: byDocument ? [] : containers,
      importNumbers: imports.map((imp) => imp.number),
    },
  };
}

function quantityMismatch(exp: ShipmentFacts, matched: readonly Match[], options: MatchingOptions): PairFinding | null {
  const imports = matched.map((m) => m.import);
  const exportedGrams = sumGrams(exp.items);
  const importedGrams = imports.reduce((sum, imp) => sum + sumGrams(imp.items), 0);
  const differenceGrams = importedGrams - exportedGrams;
  const absolute = Math.abs(differenceGrams);
  // Both tolerances must be exceeded: 2 % of a small parcel is scale noise, 1 kg of a large one too.
  if (absolute <= options.quantityToleranceKg * 1000) return null;
  if (exportedGrams > 0 && absolute * 100 <= options.quantityTolerancePct * exportedGrams) return null;
  const pct = exportedGrams > 0 ? (absolute / exportedGrams) * 100 : null;
  const direction = differenceGrams > 0 ? 'more' : 'less';
  const declare = `${importsLabel(imports)} ${imports.length > 1 ? 'declare' : 'declares'} ${formatGrams(importedGrams)}${imports.length > 1 ? ' together' : ''}`;
  return {
    code: 'QUANTITY_MISMATCH',
    severity: pct === null || absolute * 100 > 10 * exportedGrams ? 'high' : 'medium',
    message: `${exportHeadline(exp)}: ${declare}, ${pct === null ? 'where none was exported' : `${pct.toFixed(1)} % ${direction}`}`,
    declarationIds: declarationIds(exp, imports),
    countries: countriesOf(exp, imports),
    evidence: {
      exportedKg: gramsToKg(exportedGrams),
      importedKg: gramsToKg(importedGrams),
      differenceKg: gramsToKg(differenceGrams),
      differencePct: pct === null ? null : Math.sign(differenceGrams) * round(pct, 2),
      tolerancePct: options.quantityTolerancePct,
      toleranceKg: options.quantityToleranceKg,
    },
  };
}

function hsCodeMismatch(exp: ShipmentFacts, matched: readonly Match[]): PairFinding | null {
  const imports = matched.map((m) => m.import);
  const importItems = imports.flatMap((imp) => imp.items);
  const exported = subheadings(exp.items);
  const imported = subheadings(importItems);
  if (exported.length === imported.length && exported.every((code) => imported.includes(code))) return null;
  const exportHasMercury = exp.items.some((item) => item.mercuryClass === 'mercury');
  const importHasMercury = importItems.some((item) => item.mercuryClass === 'mercury');
  return {
    code: 'HS_CODE_MISMATCH',
    // Mercury on one side only is how it is smuggled: declared as crushed stone, ores, or scrap.
    severity: exportHasMercury !== importHasMercury ? 'high' : 'medium',
    message:
      `Export ${exp.number} declares HS ${exported.join(', ')}, ` +
      `${importsLabel(imports)} ${imports.length > 1 ? 'declare' : 'declares'} HS ${imported.join(', ')}`,
    declarationIds: declarationIds(exp, imports),
    countries: countriesOf(exp, imports),
    evidence: {
      exportedHsCodes: exported,
      importedHsCodes: imported,
      exportedMercury: exportHasMercury,
      importedMercury: importHasMercury,
    },
  };
}

function counterpartyMismatch(exp: ShipmentFacts, matched: readonly Match[], options: MatchingOptions): PairFinding | null {
  // Attribute matches passed this very test to be matched at all.
  const differing = matched
    .filter((m) => m.basis !== 'attributes')
    .map((m) => ({ imp: m.import, similarity: nameSimilarity(exp.counterpartyName, m.import.traderName) }))
    .filter(({ similarity }) => similarity < options.counterpartySimilarity);
  if (differing.length === 0) return null;
  const imports = differing.map(({ imp }) => imp);
  return {
    code: 'COUNTERPARTY_MISMATCH',
    severity: 'medium',
    message:
      `Export ${exp.number} names consignee ${exp.counterpartyName}, ` +
      listOf(differing.map(({ imp, similarity }) => `import ${imp.number} is declared by ${imp.traderName} (similarity ${formatSimilarity(similarity)})`)),
    declarationIds: declarationIds(exp, imports),
    countries: countriesOf(exp, imports),
    evidence: {
      consignee: exp.counterpartyName,
      importers: differing.map(({ imp, similarity }) => ({ number: imp.number, importer: imp.traderName, similarity: round(similarity, 3) })),
      threshold: options.counterpartySimilarity,
    },
  };
}

function dateAnomaly(exp: ShipmentFacts, matched: readonly Match[], options: MatchingOptions): PairFinding | null {
  const early = matched
    .map((m) => ({ imp: m.import, daysBefore: -daysBetween(exp.date, m.import.date) }))
    .filter(({ daysBefore }) => daysBefore > options.dateToleranceDays);
  if (early.length === 0) return null;
  const imports = early.map(({ imp }) => imp);
  return {
    code: 'DATE_ANOMALY',
    severity: 'medium',
    message:
      early.length === 1
        ? `Import ${imports[0].number} is dated ${imports[0].date}, ${daysText(early[0].daysBefore)} before export ${exp.number} (${exp.date})`
        : `Imports ${listOf(early.map(({ imp, daysBefore }) => `${imp.number} (${imp.date}, ${daysText(daysBefore)})`))} are dated ` +
          `before export ${exp.number} (${exp.date})`,
    declarationIds: declarationIds(exp, imports),
    countries: countriesOf(exp, imports),
    evidence: {
      exportDate: exp.date,
      imports: early.map(({ imp, daysBefore }) => ({ number: imp.number, date: imp.date, daysBefore })),
      toleranceDays: options.dateToleranceDays,
    },
  };
}

function valueAnomaly(exp: ShipmentFacts, matched: readonly Match[], options: MatchingOptions): PairFinding | null {
  const imports = matched.map((m) => m.import);
  const exportCents = sumCents(exp);
  if (exportCents === 0) return null;
  const importCents = imports.reduce((sum, imp) => sum + sumCents(imp), 0);
  // In hundredths of a cent, so the CIF/FOB factor multiplies without rounding.
  const expectedScaled = exportCents * (100 + options.cifFobPct);
  const deviationScaled = importCents * 100 - expectedScaled;
  if (Math.abs(deviationScaled) * 100 <= options.valueTolerancePct * expectedScaled) return null;
  const pct = (Math.abs(deviationScaled) / expectedScaled) * 100;
  const expectedUsd = expectedScaled / 10_000;
  const importedBy = imports.length > 1 ? `${importsLabel(imports)} together` : importsLabel(imports);
  return {
    code: 'VALUE_ANOMALY',
    severity: 'low',
    message:
      `Export ${exp.number} is valued ${formatUsd(exportCents / 100)} (FOB), ${importedBy} ${formatUsd(importCents / 100)} (CIF): ` +
      `${pct.toFixed(1)} % ${deviationScaled > 0 ? 'above' : 'below'} the expected ${formatUsd(expectedUsd)} (FOB + ${options.cifFobPct} %)`,
    declarationIds: declarationIds(exp, imports),
    countries: countriesOf(exp, imports),
    evidence: {
      exportValueUsd: exportCents / 100,
      importValueUsd: importCents / 100,
      expectedImportValueUsd: round(expectedUsd, 2),
      differencePct: Math.sign(deviationScaled) * round(pct, 2),
      cifFobPct: options.cifFobPct,
      tolerancePct: options.valueTolerancePct,
    },
  };
}

/** "Export MX-2026-000123 of 3,450 kg to BO" */
function exportHeadline(exp: ShipmentFacts): string {
  return `Export ${exp.number} of ${formatGrams(sumGrams(exp.items))} to ${exp.partnerCountry}`;
}

/** "import BO-1", "imports BO-1 and BO-2" */
function importsLabel(imports: readonly ShipmentFacts[]): string {
  return `${imports.length > 1 ? 'imports' : 'import'} ${listOf(imports.map((imp) => imp.number))}`;
}

function daysText(days: number): string {
  return `${days} ${days === 1 ? 'day' : 'days'}`;
}

/** "a", "a and b", "a, b and c" */
function listOf(words: readonly string[]): string {
  if (words.length <= 1) return words.join('');
  return `${words.slice(0, -1).join(', ')} and ${words[words.length - 1]}`;
}

function declarationIds(exp: ShipmentFacts, imports: readonly ShipmentFacts[]): string[] {
  return [exp.id, ...new Set(imports.map((imp) => imp.id))];
}

function countriesOf(exp: ShipmentFacts, imports: readonly ShipmentFacts[], extra: readonly string[] = []): string[] {
  return [...new Set([exp.country, ...imports.map((imp) => imp.country), ...extra])].sort();
}

/** Distinct six-digit HS codes in the order they appear. */
function subheadings(items: ShipmentFacts['items']): string[] {
  return [...new Set(items.map((item) => hsDigits(item.hsCode).slice(0, 6)))];
}

function sumCents(declaration: ShipmentFacts): number {
  return declaration.items.reduce((sum, item) => sum + Math.round(item.valueUsd * 100), 0);
}

const USD_FORMAT = new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 });

/** 186,300 USD; 1,234.5 USD */
function formatUsd(usd: number): string {
  return `${USD_FORMAT.format(usd)} USD`;
}

/** Rounded down, so a similarity under the threshold never prints as the threshold itself. */
function formatSimilarity(similarity: number): string {
  return (Math.floor(similarity * 100) / 100).toFixed(2);
}

function round(value: number, decimals: number): number {
  const factor = 10 ** decimals;
  return Math.round(value * factor) / factor;
}
