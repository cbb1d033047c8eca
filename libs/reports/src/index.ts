export * from './article21.dto.js';
export * from './article21.service.js';
export * from './reports.module.js';
