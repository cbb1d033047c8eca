import { covers, hsList, itemsOfClass, withdrawnBy, withinValidity } from './compliance.helpers.js';
import type { ComplianceFacts, ConsentFacts, ItemFacts } from './compliance.types.js';
import { sameName } from './name-normaliser.js';

/** Consent rules (Minamata Art. 3) look at mercury items of export declarations. */
export function consentItems(facts: ComplianceFacts): ItemFacts[] {
  if (facts.declaration.flow !== 'export') return [];
  return itemsOfClass(facts.declaration, ['mercury']);
}

/** The consent the declaration cites: undefined when it cites none, null when no consent has that reference. */
export function citedConsentOf(facts: ComplianceFacts): ConsentFacts | null | undefined {
  if (!facts.declaration.consentReference) return undefined;
  return facts.citedConsent;
}

/**
 * Why a consent does not authorise this mercury export, each as the rest of a sentence that
 * starts with "Consent <reference>". Empty when it fits.
 */
export function consentProblems(consent: ConsentFacts, facts: ComplianceFacts, items: readonly ItemFacts[]): string[] {
  const { declaration } = facts;
  const { date } = declaration;
  const problems: string[] = [];
  if (consent.type === 'export_notification') {
    problems.push('is an export notification, which does not authorise a mercury export');
  }
  if (consent.exportingCountry !== declaration.country || consent.importingCountry !== declaration.partnerCountry) {
    problems.push(
      `is for exports from ${consent.exportingCountry} to ${consent.importingCountry}, ` +
        `not ${declaration.country} to ${declaration.partnerCountry}`,
    );
  }
  if (consent.exporterNationalId !== null && consent.exporterNationalId !== declaration.trader.nationalId) {
    problems.push(`names exporter ${consent.exporterNationalId}, not ${declaration.trader.nationalId}`);
  }
  if (consent.importerName !== null && !sameName(consent.importerName, declaration.counterparty.name)) {
    problems.push(`names importer ${consent.importerName}, not ${declaration.counterparty.name}`);
  }
  const uncovered = items.filter((item) => !covers(consent.hsCodes, item.hsCode));
  if (uncovered.length > 0) problems.push(`does not cover HS ${hsList(uncovered)}`);
  if (withdrawnBy(consent, date)) {
    problems.push(consent.withdrawnOn ? `was withdrawn on ${consent.withdrawnOn}` : 'has been withdrawn');
  }
  if (!withinValidity(consent, date)) {
    problems.push(`is valid ${consent.validFrom} to ${consent.validTo}; the declaration is dated ${date}`);
  }
  return problems;
}

export function consentFits(consent: ConsentFacts, facts: ComplianceFacts, items: readonly ItemFacts[]): boolean {
  return consentProblems(consent, facts, items).length === 0;
}

/**
 * The consent this mercury export draws on: the cited one if it fits, else the first consent of
 * the pair that fits; undefined when none does. Exported so that the quantity draw-down picks the
 * same consent as the rules.
 */
export function consentUsed(facts: ComplianceFacts): ConsentFacts | undefined {
  const items = consentItems(facts);
  if (items.length === 0) return undefined;
  const cited = citedConsentOf(facts);
  if (cited && consentFits(cited, facts, items)) return cited;
  return facts.pairConsents.find((consent) => consentFits(consent, facts, items));
}
