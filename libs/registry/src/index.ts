export * from './numeric.js';
export * from './trader.entity.js';
export * from './licence.entity.js';
export * from './registry.dto.js';
export * from './traders.service.js';
export * from './licences.service.js';
export * from './registry.module.js';
