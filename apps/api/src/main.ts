import { loadEnv } from '@hgtrace/config';
import { bootstrap } from './bootstrap.js';
import { everyAddressHost } from './listen.js';

async function main(): Promise<void> {
  const env = loadEnv();
  const app = await bootstrap();
  await app.listen(env.PORT, await everyAddressHost());
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
