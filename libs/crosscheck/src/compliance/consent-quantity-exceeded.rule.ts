import type { ComplianceOptions } from './compliance.rules.js';
import { formatGrams, gramsToKg, sumGrams, toGrams } from './compliance.helpers.js';
import type { ComplianceFacts, Finding } from './compliance.types.js';
import { consentItems, consentUsed } from './consent-selection.js';

/**
 * CONSENT_QUANTITY_EXCEEDED: the mercury of this export, added to what other declarations already
 * drew on the consent it uses, goes past the consented quantity. Drawing it to exactly zero is allowed.
 */
export function consentQuantityExceededRule(facts: ComplianceFacts, _options: ComplianceOptions): Finding[] {
  const items = consentItems(facts);
  if (items.length === 0) return [];
  const consent = consentUsed(facts);
  if (!consent || consent.quantityKg === null) return [];
  const allowedGrams = toGrams(consent.quantityKg);
  const drawnGrams = toGrams(consent.usedByOthersKg);
  const declarationGrams = sumGrams(items);
  const excessGrams = drawnGrams + declarationGrams - allowedGrams;
  if (excessGrams <= 0) return [];
  return [
    {
      code: 'CONSENT_QUANTITY_EXCEEDED',
      severity: 'high',
      message:
        `Consent ${consent.reference} allows ${formatGrams(allowedGrams)}; ${formatGrams(drawnGrams)} were already ` +
        `drawn and this declaration adds ${formatGrams(declarationGrams)}, ${formatGrams(excessGrams)} over`,
      evidence: {
        consentReference: consent.reference,
        quantityKg: gramsToKg(allowedGrams),
        usedByOthersKg: gramsToKg(drawnGrams),
        declarationKg: gramsToKg(declarationGrams),
        excessKg: gramsToKg(excessGrams),
      },
    },
  ];
}
