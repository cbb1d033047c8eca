import type { Pool, QueryResult } from 'pg';
import { DataSource, type EntityManager, QueryFailedError } from 'typeorm';

/** A statement text and the name PostgreSQL keeps it under, once per connection. */
export interface PreparedStatement {
  readonly name: string;
  readonly text: string;
}

/**
 * Declares a hot statement: run through {@link queryPrepared}, PostgreSQL parses and plans it once per
 * pooled connection instead of on every call. For a large statement answered in a millisecond (the
 * compliance facts of verify), planning is most of the cost. Names must be unique per text.
 */
export function preparedStatement(name: string, text: string): PreparedStatement {
  return Object.freeze({ name, text });
}

/**
 * Runs a prepared statement on the manager's connection (a transaction's, when there is one), with
 * TypeORM's error wrapping, logging and released-connection checks as for any `manager.query`.
 * TypeORM types its statement as a string but hands it to pg's `client.query` as is, and pg takes a
 * `{ name, text }` query config there: that is the one cast here.
 *
 * Outside a transaction (the data source itself, or its default manager) the statement goes to the
 * pool directly: a query runner made, connected, broadcast to and released around every call costs
 * about as much Node CPU as the pg protocol itself, and these statements run on every verify and
 * every authenticated request. What the caller sees is the same: the rows (`[rows, count]` for an
 * UPDATE or DELETE), connection failures as pg reports them, anything the query raises wrapped in
 * TypeORM's QueryFailedError, and a connection that failed during the query not given back.
 */
export function queryPrepared<T = unknown>(manager: EntityManager | DataSource, statement: PreparedStatement, parameters: unknown[]): Promise<T> {
  const pool = poolOutsideTransaction(manager);
  if (pool) return queryOnPool<T>(pool, statement, parameters);
  return manager.query({ name: statement.name, text: statement.text } as unknown as string, parameters);
}

/** The PostgreSQL driver's pool when `manager` runs outside any transaction, else null (TypeORM's path). */
function poolOutsideTransaction(manager: EntityManager | DataSource): Pool | null {
  const dataSource = manager instanceof DataSource ? manager : manager.queryRunner ? null : manager.connection;
  if (!dataSource?.isInitialized || dataSource.options.type !== 'postgres') return null;
  const pool = (dataSource.driver as { master?: Pool }).master;
  return pool && typeof pool.connect === 'function' ? pool : null;
}

async function queryOnPool<T>(pool: Pool, statement: PreparedStatement, parameters: unknown[]): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  const onError = (error: Error) => {
    broken = error;
  };
  client.on('error', onError);
  const config = { name: statement.name, text: statement.text };
  try {
    const raw: QueryResult = await client.query({ ...config, values: parameters });
    return (raw.command === 'UPDATE' || raw.command === 'DELETE' ? [raw.rows, raw.rowCount] : raw.rows) as T;
  } catch (error) {
    throw new QueryFailedError(config as unknown as string, parameters, error as Error);
  } finally {
    client.removeListener('error', onError);
    client.release(broken);
  }
}
