import { compoundExportNotificationRule } from './compound-export-notification.rule.js';
import { consentMismatchRule } from './consent-mismatch.rule.js';
import { consentMissingRule } from './consent-missing.rule.js';
import { consentQuantityExceededRule } from './consent-quantity-exceeded.rule.js';
import type { ComplianceFacts, Finding } from './compliance.types.js';
import { licenceInactiveRule } from './licence-inactive.rule.js';
import { licenceMissingRule } from './licence-missing.rule.js';
import { licenceQuantityExceededRule } from './licence-quantity-exceeded.rule.js';
import { nonPartyUncertifiedRule } from './non-party-uncertified.rule.js';

export interface ComplianceOptions {
  /**
   * Whether the declaring country requires a Rotterdam export notification for mercury compound
   * exports (HS 2852): if so, a compound export without one is CONSENT_MISSING (medium).
   */
  requireExportNotificationForCompounds: boolean;
}

export const DEFAULT_COMPLIANCE_OPTIONS: ComplianceOptions = { requireExportNotificationForCompounds: false };

export type ComplianceRule = (facts: ComplianceFacts, options: ComplianceOptions) => Finding[];

/** In the order of DESIGN.md's table; findings come out in this order. */
export const COMPLIANCE_RULES: readonly ComplianceRule[] = [
  licenceMissingRule,
  licenceInactiveRule,
  licenceQuantityExceededRule,
  consentMissingRule,
  consentMismatchRule,
  consentQuantityExceededRule,
  nonPartyUncertifiedRule,
  compoundExportNotificationRule,
];

/** Every compliance rule over one declaration and what the registries hold about it. */
export function evaluateCompliance(facts: ComplianceFacts, options: Partial<ComplianceOptions> = {}): Finding[] {
  const resolved: ComplianceOptions = {
    requireExportNotificationForCompounds:
      options.requireExportNotificationForCompounds ?? DEFAULT_COMPLIANCE_OPTIONS.requireExportNotificationForCompounds,
  };
  return COMPLIANCE_RULES.flatMap((rule) => rule(facts, resolved));
}
