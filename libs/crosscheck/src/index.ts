export { RULE_CODES, SEVERITIES, laneOf, type Lane, type RuleCode, type Severity } from '@hgtrace/common';
export * from './compliance/index.js';
export * from './compliance-facts.service.js';
export * from './verify.service.js';
export * from './check.service.js';
export * from './pair-check.service.js';
export * from './runs.service.js';
export * from './matching/index.js';
export * from './crosscheck.module.js';
