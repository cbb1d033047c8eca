export * from './database.options.js';
export * from './database-setup.js';
export * from './database.module.js';
export * from './pg-errors.js';
export * from './prepared.js';
