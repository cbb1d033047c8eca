export * from './flags.service.js';
export * from './flags.module.js';
