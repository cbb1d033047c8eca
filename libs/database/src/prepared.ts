import type { DataSource, EntityManager } from 'typeorm';

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
 */
export function queryPrepared<T = unknown>(manager: EntityManager | DataSource, statement: PreparedStatement, parameters: unknown[]): Promise<T> {
  return manager.query({ name: statement.name, text: statement.text } as unknown as string, parameters);
}
