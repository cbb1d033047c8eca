export * from './reconcile.js';
export * from './flags.service.js';
export * from './flags.module.js';
