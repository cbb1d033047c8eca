// Runs outside jest's module mapping, so it uses the compiled libraries (`npm test` builds first).
import { prepareTemplateDatabase } from '../../dist/libs/testing/src/index.js';

/** Migrates the template database once; every e2e file copies it. */
export default async function globalSetup() {
  process.env.LOG_LEVEL ??= 'silent';
  await prepareTemplateDatabase();
}
