export * from './audit.service.js';
export * from './audit.module.js';
