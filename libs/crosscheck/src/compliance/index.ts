export {
  COMPLIANCE_RULES,
  DEFAULT_COMPLIANCE_OPTIONS,
  evaluateCompliance,
  type ComplianceOptions,
  type ComplianceRule,
} from './compliance.rules.js';
export type {
  ComplianceFacts,
  ConsentFacts,
  DeclarationFacts,
  Finding,
  ItemFacts,
  LicenceFacts,
  MercuryClass,
} from './compliance.types.js';
export { formatKg } from './compliance.helpers.js';
export { consentUsed } from './consent-selection.js';
export { LICENSED_CLASSES, licenceUsedFor } from './licence-selection.js';
export { normaliseName, sameName } from './name-normaliser.js';
