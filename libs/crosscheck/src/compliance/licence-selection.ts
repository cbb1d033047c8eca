import { covers, itemsOfClass, licenceUsableOn } from './compliance.helpers.js';
import type { ComplianceFacts, DeclarationFacts, ItemFacts, LicenceFacts } from './compliance.types.js';

/** The mercury classes licence rules look at: mercury and mercury compounds. */
export const LICENSED_CLASSES: readonly ItemFacts['mercuryClass'][] = ['mercury', 'compound'];

/** The items licence rules look at. */
export function licensedItems(declaration: DeclarationFacts): ItemFacts[] {
  return itemsOfClass(declaration, [...LICENSED_CLASSES]);
}

/**
 * The licence the declaration cites: undefined when it cites none, null when no licence of the
 * declaring country has that number.
 */
export function citedLicenceOf(facts: ComplianceFacts): LicenceFacts | null | undefined {
  if (!facts.declaration.licenceNumber) return undefined;
  const cited = facts.citedLicence;
  if (cited === null || cited.country !== facts.declaration.country) return null;
  return cited;
}

/** Held by the declaring trader, in the declaring country, of the flow's type. */
export function isTradersLicence(licence: LicenceFacts, declaration: DeclarationFacts): boolean {
  return (
    licence.country === declaration.country &&
    licence.traderNationalId === declaration.trader.nationalId &&
    licence.type === declaration.flow
  );
}

/**
 * The licences an item would be declared under: the cited one when it is the trader's, of the
 * flow's type and covers the item; otherwise every licence of the trader of that type covering it.
 */
export function licenceCandidates(facts: ComplianceFacts, item: ItemFacts): LicenceFacts[] {
  const { declaration } = facts;
  const cited = citedLicenceOf(facts);
  if (cited && isTradersLicence(cited, declaration) && covers(cited.hsCodes, item.hsCode)) return [cited];
  return facts.traderLicences.filter(
    (licence) => isTradersLicence(licence, declaration) && covers(licence.hsCodes, item.hsCode),
  );
}

/**
 * The licence an item is declared under: the first candidate usable on the declaration date, or
 * undefined when none is (LICENCE_MISSING or LICENCE_INACTIVE say why). Exported so that whoever
 * counts usedByOthersKg attributes declarations the same way.
 */
export function licenceUsedFor(facts: ComplianceFacts, item: ItemFacts): LicenceFacts | undefined {
  return licenceCandidates(facts, item).find((licence) => licenceUsableOn(licence, facts.declaration.date));
}
