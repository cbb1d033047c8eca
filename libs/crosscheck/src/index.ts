export * from './rule-codes.js';
export * from './compliance/index.js';
export * from './compliance-facts.service.js';
export * from './verify.service.js';
export * from './crosscheck.module.js';
