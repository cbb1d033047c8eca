import { loadEnv } from '@hgtrace/config';
import { bootstrap } from './bootstrap.js';
import { listenOnEveryAddress } from './listen.js';

async function main(): Promise<void> {
  const env = loadEnv();
  const app = await bootstrap();
  await listenOnEveryAddress((port, host) => app.listen(port, host), env.PORT);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
