import { loadEnv } from '@hgtrace/config';
import { bootstrap } from './bootstrap.js';

async function main(): Promise<void> {
  const env = loadEnv();
  const app = await bootstrap();
  await app.listen(env.PORT);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
