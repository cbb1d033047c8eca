import type { ComplianceOptions } from './compliance.rules.js';
import { consentInForceOn, covers, hsList, itemsOfClass } from './compliance.helpers.js';
import type { ComplianceFacts, Finding } from './compliance.types.js';

/**
 * CONSENT_MISSING (medium) for mercury compounds, which fall under the Rotterdam Convention: where
 * the country requires it, a compound export needs an export notification (Art. 12) in force from
 * the declaring country to the partner covering its HS code. Off by default.
 */
export function compoundExportNotificationRule(facts: ComplianceFacts, options: ComplianceOptions): Finding[] {
  const { declaration } = facts;
  if (!options.requireExportNotificationForCompounds || declaration.flow !== 'export') return [];
  const compounds = itemsOfClass(declaration, ['compound']);
  const notifications = facts.pairConsents.filter(
    (consent) =>
      consent.type === 'export_notification' &&
      consent.exportingCountry === declaration.country &&
      consent.importingCountry === declaration.partnerCountry &&
      consentInForceOn(consent, declaration.date),
  );
  const unnotified = compounds.filter(
    (item) => !notifications.some((notification) => covers(notification.hsCodes, item.hsCode)),
  );
  if (unnotified.length === 0) return [];
  return [
    {
      code: 'CONSENT_MISSING',
      severity: 'medium',
      message: `No export notification covers this mercury compound export (HS ${hsList(unnotified)})`,
      evidence: {
        reason: 'no_export_notification',
        exportingCountry: declaration.country,
        importingCountry: declaration.partnerCountry,
        hsCodes: [...new Set(unnotified.map((item) => item.hsCode))],
        date: declaration.date,
      },
    },
  ];
}
