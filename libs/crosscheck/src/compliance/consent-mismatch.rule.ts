import type { ComplianceOptions } from './compliance.rules.js';
import { describeProblems } from './compliance.helpers.js';
import type { ComplianceFacts, Finding } from './compliance.types.js';
import { citedConsentOf, consentItems, consentProblems } from './consent-selection.js';

/**
 * CONSENT_MISMATCH: the cited consent exists but does not authorise this mercury export, even when
 * another consent would: the declaration names the wrong one.
 */
export function consentMismatchRule(facts: ComplianceFacts, _options: ComplianceOptions): Finding[] {
  const items = consentItems(facts);
  const cited = citedConsentOf(facts);
  if (items.length === 0 || !cited) return [];
  const problems = consentProblems(cited, facts, items);
  if (problems.length === 0) return [];
  return [
    {
      code: 'CONSENT_MISMATCH',
      severity: 'high',
      message: describeProblems(`Consent ${cited.reference}`, problems),
      evidence: {
        consentReference: cited.reference,
        consentType: cited.type,
        exportingCountry: cited.exportingCountry,
        importingCountry: cited.importingCountry,
        exporterNationalId: cited.exporterNationalId,
        importerName: cited.importerName,
        hsCodes: cited.hsCodes,
        validFrom: cited.validFrom,
        validTo: cited.validTo,
        withdrawnOn: cited.withdrawnOn,
        date: facts.declaration.date,
        problems,
      },
    },
  ];
}
