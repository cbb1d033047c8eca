export * from './test-database.js';
export * from './wait.js';
