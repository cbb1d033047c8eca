export * from './domain-error.js';
export * from './actor.js';
export * from './paging.js';
export * from './validation.js';
export * from './rule-codes.js';
export * from './group-by.js';
