export * from './consent.dto.js';
export * from './consents.service.js';
export * from './consents.module.js';
