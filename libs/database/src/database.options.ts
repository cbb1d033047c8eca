import pg from 'pg';
import type { DataSourceOptions } from 'typeorm';
import type { Env } from '@hgtrace/config';
import { MIGRATIONS } from './migrations/index.js';

// Calendar dates stay 'YYYY-MM-DD' strings: turning them into JS Dates shifts them by the zone offset.
pg.types.setTypeParser(pg.types.builtins.DATE, (value: string) => value);
// hgtrace works in UTC throughout (timestamps are timestamptz; "today" is the UTC date).
process.env.TZ = 'UTC';

/**
 * The one set of DataSource options, used by the app (through TypeOrmModule), by the CLI and by the
 * migration runner. Entities are registered by each library's TypeOrmModule.forFeature; migrations are
 * hand-written SQL, so the migration runner needs none.
 */
export function dataSourceOptions(env: Pick<Env, 'DATABASE_URL' | 'DATABASE_POOL_SIZE'>, applicationName = 'hgtrace'): DataSourceOptions {
  return {
    type: 'postgres',
    url: env.DATABASE_URL,
    applicationName,
    synchronize: false,
    migrationsRun: false,
    migrations: MIGRATIONS,
    migrationsTableName: 'migrations',
    migrationsTransactionMode: 'each',
    invalidWhereValuesBehavior: { null: 'throw', undefined: 'throw' },
    // Without JIT: hgtrace's statements are many and short, and on tables whose statistics lag behind
    // their growth (a run fills matches and flags as it goes) the planner's estimates cross
    // jit_above_cost and compiling takes longer than running (a lookup of a chunk's 1,000 matches:
    // 40-140 ms with JIT, 6-8 ms without). `options` in DATABASE_URL overrides this.
    extra: { max: env.DATABASE_POOL_SIZE, connectionTimeoutMillis: 5000, options: '-c jit=off' },
    // Query errors reach the exception filter, which logs what is unexpected; refused writes are not errors.
    logging: false,
  };
}
