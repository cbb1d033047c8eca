import { loadEnv } from '@hgtrace/config';
import { bootstrap } from './bootstrap.js';

async function main(): Promise<void> {
  const env = loadEnv();
  const app = await bootstrap();
  // Fastify listens on localhost alone unless told otherwise. Every address, as Node (and so Express)
  // listens by default: IPv6 and IPv4 on '::', or IPv4 alone on a host without IPv6.
  await app.listen(env.PORT, '::').catch(async (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EAFNOSUPPORT' && error.code !== 'EADDRNOTAVAIL') throw error;
    await app.listen(env.PORT, '0.0.0.0');
  });
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
