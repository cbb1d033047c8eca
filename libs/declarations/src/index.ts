export * from './content-hash.js';
export * from './declaration.dto.js';
export * from './declarations.service.js';
export * from './declarations.module.js';
export * from './imports.service.js';
export * from './declaration.fast-validation.js';
