import { Logger } from '@nestjs/common';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { databaseName, type Env } from '@hgtrace/config';
import { dataSourceOptions } from './database.options.js';

const logger = new Logger('Database');

/** Advisory lock key that serialises migrations between api replicas starting at once ("hgtrace-migrate"). */
const MIGRATION_LOCK_KEY = 0x6867_6d69;

/** Creates the database named in the URL if it does not exist, connecting to the server's `postgres` database. */
export async function ensureDatabase(url: string): Promise<boolean> {
  const name = databaseName(url);
  const adminUrl = new URL(url);
  adminUrl.pathname = '/postgres';
  const client = new pg.Client({ connectionString: adminUrl.toString() });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (rowCount) return false;
    try {
      await client.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
    } catch (error) {
      // Another process created it between our check and our CREATE.
      if ((error as { code?: string }).code !== '42P04') throw error;
      return false;
    }
    logger.log(`created database ${name}`);
    return true;
  } finally {
    await client.end();
  }
}

/** Retries `attempt` until PostgreSQL answers or `seconds` have passed. */
export async function waitForPostgres(url: string, seconds: number): Promise<void> {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const adminUrl = new URL(url);
    adminUrl.pathname = '/postgres';
    const client = new pg.Client({ connectionString: adminUrl.toString(), connectionTimeoutMillis: 2000 });
    try {
      await client.connect();
      await client.end();
      return;
    } catch (error) {
      await client.end().catch(() => undefined);
      if (Date.now() > deadline) throw error;
      logger.warn(`PostgreSQL is not answering yet (${(error as Error).message}); retrying`);
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
}

/**
 * Creates the database if needed and applies pending migrations, under an advisory lock so that
 * several api processes starting together apply each migration once. Only the api and the CLI call
 * this; workers wait for the schema instead (waitForSchema).
 */
export async function migrate(
  env: Pick<Env, 'DATABASE_URL' | 'DATABASE_POOL_SIZE' | 'STARTUP_WAIT_SECONDS'>,
  /** Runs after the migrations, still under the lock: loading reference data. */
  afterMigrations?: (dataSource: DataSource) => Promise<unknown>,
): Promise<string[]> {
  await waitForPostgres(env.DATABASE_URL, env.STARTUP_WAIT_SECONDS);
  await ensureDatabase(env.DATABASE_URL);
  const dataSource = new DataSource({ ...dataSourceOptions({ ...env, DATABASE_POOL_SIZE: 2 }, 'hgtrace-migrate') });
  await dataSource.initialize();
  const runner = dataSource.createQueryRunner();
  try {
    await runner.connect();
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      const applied = await dataSource.runMigrations({ transaction: 'each' });
      for (const migration of applied) logger.log(`applied migration ${migration.name}`);
      await afterMigrations?.(dataSource);
      return applied.map((m) => m.name);
    } finally {
      await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
    }
  } finally {
    await runner.release();
    await dataSource.destroy();
  }
}

/** Waits until every migration this build knows has been applied (by an api process). */
export async function waitForSchema(env: Pick<Env, 'DATABASE_URL' | 'STARTUP_WAIT_SECONDS'>): Promise<void> {
  await waitForPostgres(env.DATABASE_URL, env.STARTUP_WAIT_SECONDS);
  const deadline = Date.now() + env.STARTUP_WAIT_SECONDS * 1000;
  const dataSource = new DataSource(dataSourceOptions({ ...env, DATABASE_POOL_SIZE: 1 }, 'hgtrace-schema-wait'));
  let announced = false;
  for (;;) {
    try {
      if (!dataSource.isInitialized) await dataSource.initialize();
      if (!(await hasPendingMigrations(dataSource))) break;
    } catch (error) {
      // The database may not exist yet: the api creates it.
      if (Date.now() > deadline) throw error;
    }
    if (Date.now() > deadline) throw new Error('migrations are still pending: start the api (npm run start:api) or run `npm run cli -- migrate`');
    if (!announced) logger.log('waiting for the api to apply migrations');
    announced = true;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  if (dataSource.isInitialized) await dataSource.destroy();
}

async function hasPendingMigrations(dataSource: DataSource): Promise<boolean> {
  const [{ exists }] = await dataSource.query(`SELECT to_regclass('public.migrations') IS NOT NULL AS exists`);
  if (!exists) return true;
  const rows: { name: string }[] = await dataSource.query('SELECT name FROM migrations');
  const applied = new Set(rows.map((r) => r.name));
  return dataSource.migrations.some((m) => !applied.has(m.name ?? m.constructor.name));
}
