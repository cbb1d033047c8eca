import { createHash, randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import pg from 'pg';
import { databaseName } from '@hgtrace/config';
import { migrate } from '@hgtrace/database';
import { loadReferenceData } from '@hgtrace/reference';

const SERVER_URL = process.env.TEST_DATABASE_SERVER ?? 'postgres://postgres@127.0.0.1:5432';
// Two checkouts testing on one server at once must not share databases: names carry a tag of the checkout.
export const CHECKOUT = createHash('sha256').update(process.cwd()).digest('hex').slice(0, 6);
export const TEMPLATE_DATABASE = `hgtrace_test_template_${CHECKOUT}`;

function urlFor(name: string): string {
  return `${SERVER_URL}/${name}`;
}

/** Refuses to touch a database whose name does not say it is for tests. */
export function assertTestDatabase(url: string): void {
  const name = databaseName(url);
  if (!name.includes('test')) throw new Error(`refusing to use database "${name}" for tests: its name must contain "test"`);
}

async function admin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: urlFor('postgres') });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** Builds the migrated template once per test run (jest globalSetup). */
export async function prepareTemplateDatabase(): Promise<void> {
  await admin(async (client) => {
    // Databases a crashed run of this checkout left behind, then the old template.
    const { rows } = await client.query(`SELECT datname FROM pg_database WHERE datname LIKE $1`, [`hgtrace_test_${CHECKOUT}_%`]);
    for (const { datname } of rows) await client.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(datname)} WITH (FORCE)`);
    await client.query(`DROP DATABASE IF EXISTS ${TEMPLATE_DATABASE} WITH (FORCE)`);
  });
  await migrate({ DATABASE_URL: urlFor(TEMPLATE_DATABASE), DATABASE_POOL_SIZE: 2, STARTUP_WAIT_SECONDS: 10 }, loadReferenceData);
}

/**
 * A fresh database for one test file, copied from the migrated template (fast: no migrations), named
 * after the jest worker so that files running in parallel never share one.
 */
export async function createTestDatabase(label = 'e2e'): Promise<string> {
  // A name of its own for every file: nothing from an earlier file can still be connected to it.
  const name = `hgtrace_test_${CHECKOUT}_${label}_${process.env.JEST_WORKER_ID ?? 0}_${randomBytes(3).toString('hex')}`.toLowerCase().replace(/[^a-z0-9_]/g, '_');
  const url = urlFor(name);
  assertTestDatabase(url);
  await admin(async (client) => {
    await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await client.query(`CREATE DATABASE ${name} TEMPLATE ${TEMPLATE_DATABASE}`);
  });
  return url;
}

export async function dropTestDatabase(url: string): Promise<void> {
  assertTestDatabase(url);
  await admin((client) => client.query(`DROP DATABASE IF EXISTS ${databaseName(url)} WITH (FORCE)`));
}

/** Deletes this test run's Redis keys (never the whole database: another checkout may share it). */
export async function clearRedisPrefix(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    if (keys.length) await redis.del(...keys);
    cursor = next;
  } while (cursor !== '0');
}
