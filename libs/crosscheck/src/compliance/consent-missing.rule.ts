import type { ComplianceOptions } from './compliance.rules.js';
import { capitalise, formatGrams, gramsToKg, sumGrams } from './compliance.helpers.js';
import type { ComplianceFacts, Finding } from './compliance.types.js';
import { citedConsentOf, consentItems, consentUsed } from './consent-selection.js';

/**
 * CONSENT_MISSING: a mercury export cites a consent that does not exist, or cites none and no
 * consent of the importing country authorises it. A cited consent that exists but does not fit is
 * CONSENT_MISMATCH instead.
 */
export function consentMissingRule(facts: ComplianceFacts, _options: ComplianceOptions): Finding[] {
  const items = consentItems(facts);
  if (items.length === 0) return [];
  const { declaration } = facts;
  const cited = citedConsentOf(facts);
  const used = consentUsed(facts);
  // Worded only for a finding: most mercury exports have their consent.
  const noneFits = () =>
    `no active consent from ${declaration.partnerCountry} covers this mercury export of ` +
    `${formatGrams(sumGrams(items))} dated ${declaration.date}`;

  if (cited === null) {
    return [
      {
        code: 'CONSENT_MISSING',
        severity: 'high',
        message: `Cited consent ${declaration.consentReference} does not exist` + (used ? '' : `; ${noneFits()}`),
        evidence: {
          reason: 'cited_consent_unknown',
          consentReference: declaration.consentReference,
          fittingConsentReference: used?.reference ?? null,
        },
      },
    ];
  }
  if (cited === undefined && !used) {
    return [
      {
        code: 'CONSENT_MISSING',
        severity: 'high',
        message: capitalise(noneFits()),
        evidence: {
          reason: 'no_consent',
          exportingCountry: declaration.country,
          importingCountry: declaration.partnerCountry,
          hsCodes: [...new Set(items.map((item) => item.hsCode))],
          mercuryKg: gramsToKg(sumGrams(items)),
          date: declaration.date,
        },
      },
    ];
  }
  return [];
}
