/** The rule codes of API.md: part of the contract. */
export const RULE_CODES = [
  'LICENCE_MISSING',
  'LICENCE_INACTIVE',
  'LICENCE_QUANTITY_EXCEEDED',
  'CONSENT_MISSING',
  'CONSENT_MISMATCH',
  'CONSENT_QUANTITY_EXCEEDED',
  'NON_PARTY_UNCERTIFIED',
  'NO_MATCHING_IMPORT',
  'NO_MATCHING_EXPORT',
  'QUANTITY_MISMATCH',
  'HS_CODE_MISMATCH',
  'COUNTERPARTY_MISMATCH',
  'ROUTE_MISMATCH',
  'DATE_ANOMALY',
  'VALUE_ANOMALY',
  'MIRROR_GAP',
] as const;
export type RuleCode = (typeof RULE_CODES)[number];

export const SEVERITIES = ['high', 'medium', 'low'] as const;
export type Severity = (typeof SEVERITIES)[number];

export type Lane = 'green' | 'yellow' | 'red';

/** Red: any high finding; yellow: medium or low; green: none (API.md, verify). */
export function laneOf(findings: readonly { severity: Severity }[]): Lane {
  if (findings.some((f) => f.severity === 'high')) return 'red';
  return findings.length > 0 ? 'yellow' : 'green';
}
