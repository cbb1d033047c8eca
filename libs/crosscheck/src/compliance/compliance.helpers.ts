import type { ConsentFacts, DeclarationFacts, ItemFacts, LicenceFacts, MercuryClass } from './compliance.types.js';

/**
 * Quantities are summed in integer grams: kg figures such as 0.1 + 0.2 do not add up exactly in
 * floating point, and a ceiling reached exactly must not look exceeded.
 */
export function toGrams(kg: number): number {
  return Math.round(kg * 1000);
}

export function sumGrams(items: readonly ItemFacts[]): number {
  return items.reduce((sum, item) => sum + toGrams(item.netMassKg), 0);
}

export function gramsToKg(grams: number): number {
  return grams / 1000;
}

const KG_FORMAT = new Intl.NumberFormat('en-US', { maximumFractionDigits: 3 });

/** 3,450 kg; 0.5 kg; 1,234.568 kg. */
export function formatKg(kg: number): string {
  return `${KG_FORMAT.format(kg)} kg`;
}

export function formatGrams(grams: number): string {
  return formatKg(gramsToKg(grams));
}

export function itemsOfClass(declaration: DeclarationFacts, classes: readonly MercuryClass[]): ItemFacts[] {
  return declaration.items.filter((item) => classes.includes(item.mercuryClass));
}

/** A licence or consent lists HS headings or codes; it covers every code that starts with one of them. */
export function covers(prefixes: readonly string[], hsCode: string): boolean {
  return prefixes.some((prefix) => prefix.length > 0 && hsCode.startsWith(prefix));
}

/** Distinct HS codes in the order they appear, for messages: "280540, 285210". */
export function hsList(items: readonly ItemFacts[]): string {
  return [...new Set(items.map((item) => item.hsCode))].join(', ');
}

/** Exporter for an export, importer for an import. */
export function traderRole(flow: DeclarationFacts['flow']): 'exporter' | 'importer' {
  return flow === 'export' ? 'exporter' : 'importer';
}

export function capitalise(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1);
}

export function withinValidity(validity: { validFrom: string; validTo: string }, date: string): boolean {
  return validity.validFrom <= date && date <= validity.validTo;
}

/** Usable on the date: stored status active and the date within its validity. */
export function licenceUsableOn(licence: LicenceFacts, date: string): boolean {
  return licence.statusOnDate === 'active' && withinValidity(licence, date);
}

/**
 * Whether the consent had been withdrawn by the date. A consent withdrawn after the declaration
 * date was still in force for it, even if its status now reads 'withdrawn'.
 */
export function withdrawnBy(consent: ConsentFacts, date: string): boolean {
  if (consent.withdrawnOn !== null) return consent.withdrawnOn <= date;
  return consent.status === 'withdrawn';
}

/** In force on the date: not withdrawn by then, and the date within its validity. */
export function consentInForceOn(consent: ConsentFacts, date: string): boolean {
  return !withdrawnBy(consent, date) && withinValidity(consent, date);
}

/** A Party on the date: the Convention had entered into force for it on or before that day. */
export function isPartyOn(partySince: string | null, date: string): boolean {
  return partySince !== null && partySince <= date;
}

/**
 * Several problems with one licence or consent in one sentence:
 * "Consent X is for exports from PE to BO, not MX to BO; it was withdrawn on 2026-02-20".
 */
export function describeProblems(subject: string, problems: readonly string[]): string {
  return problems.map((problem, i) => (i === 0 ? `${subject} ${problem}` : `it ${problem}`)).join('; ');
}
