export * from './reference-data.js';
export * from './reference.service.js';
export * from './reference.module.js';
export * from './hs-code.js';
