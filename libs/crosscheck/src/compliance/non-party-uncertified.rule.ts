import type { ComplianceOptions } from './compliance.rules.js';
import { consentInForceOn, isPartyOn, itemsOfClass } from './compliance.helpers.js';
import type { ComplianceFacts, Finding } from './compliance.types.js';

/**
 * NON_PARTY_UNCERTIFIED: mercury traded with a country that is not a Party on the date (or
 * exported by a declaring country that is not one) without a consent in force, in the direction
 * of the flow, that carries the non-Party certification of Art. 3(6)(b) or 3(8).
 */
export function nonPartyUncertifiedRule(facts: ComplianceFacts, _options: ComplianceOptions): Finding[] {
  const { declaration, partySince } = facts;
  const { date } = declaration;
  if (itemsOfClass(declaration, ['mercury']).length === 0) return [];

  const nonParties: string[] = [];
  if (declaration.flow === 'export' && !isPartyOn(partySince.country, date)) nonParties.push(declaration.country);
  if (!isPartyOn(partySince.partner, date)) nonParties.push(declaration.partnerCountry);
  if (nonParties.length === 0) return [];

  const [exporting, importing] =
    declaration.flow === 'export'
      ? [declaration.country, declaration.partnerCountry]
      : [declaration.partnerCountry, declaration.country];
  const certified = facts.pairConsents.some(
    (consent) =>
      consent.nonPartyCertification &&
      consent.exportingCountry === exporting &&
      consent.importingCountry === importing &&
      consentInForceOn(consent, date),
  );
  if (certified) return [];

  const who = nonParties.length === 1 ? `${nonParties[0]} is not a Party` : `${nonParties.join(' and ')} are not Parties`;
  return [
    {
      code: 'NON_PARTY_UNCERTIFIED',
      severity: 'high',
      message: `${who} to the Minamata Convention on ${date} and no consent carries the non-Party certification`,
      evidence: {
        nonParties,
        partySince: { [declaration.country]: partySince.country, [declaration.partnerCountry]: partySince.partner },
        exportingCountry: exporting,
        importingCountry: importing,
        date,
      },
    },
  ];
}
