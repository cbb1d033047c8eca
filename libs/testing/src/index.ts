export * from './test-database.js';
export * from './wait.js';
export * from './seeded.js';
