// Runs outside jest's module mapping, so it uses the compiled support code (`npm run test:faults` builds first).
import { cleanUpAbandonedWorkDirs } from '../../../dist/test/support/faults/processes.js';

/** Kills and removes what a crashed fault run left behind (never another run's live instances). */
export default async function globalSetup() {
  for (const dir of cleanUpAbandonedWorkDirs()) console.warn(`faults: removed ${dir}, left behind by a crashed run`);
}
