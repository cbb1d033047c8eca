/** PostgreSQL error codes hgtrace reacts to (https://www.postgresql.org/docs/current/errcodes-appendix.html). */
export const PG = {
  UNIQUE_VIOLATION: '23505',
  FOREIGN_KEY_VIOLATION: '23503',
  CHECK_VIOLATION: '23514',
  EXCLUSION_VIOLATION: '23P01',
  SERIALIZATION_FAILURE: '40001',
  DEADLOCK: '40P01',
} as const;

interface PgErrorLike {
  code?: string;
  constraint?: string;
  driverError?: { code?: string; constraint?: string };
}

export function pgCode(error: unknown): string | undefined {
  const e = error as PgErrorLike | undefined;
  return e?.driverError?.code ?? e?.code;
}

export function pgConstraint(error: unknown): string | undefined {
  const e = error as PgErrorLike | undefined;
  return e?.driverError?.constraint ?? e?.constraint;
}

export function isUniqueViolation(error: unknown, constraint?: string): boolean {
  return pgCode(error) === PG.UNIQUE_VIOLATION && (constraint === undefined || pgConstraint(error) === constraint);
}

/**
 * TypeORM releases a transaction's connection the moment that connection fails (a PostgreSQL stop cuts
 * it between two queries); the transaction's next query then throws one of these instead of the
 * connection error.
 */
const RELEASED_RUNNER_ERRORS = new Set(['QueryRunnerAlreadyReleasedError', 'QueryRunnerProviderAlreadyReleasedError']);

/** Errors that mean the database could not be reached, as opposed to a query it refused. */
export function isConnectionError(error: unknown): boolean {
  if (RELEASED_RUNNER_ERRORS.has((error as Error)?.name)) return true;
  const code = pgCode(error) ?? (error as { code?: string })?.code;
  if (code && (/^08/.test(code) || code === '57P01' || code === '57P02' || code === '57P03' || code === 'ECONNREFUSED' || code === 'ECONNRESET' || code === 'ETIMEDOUT' || code === 'EPIPE')) {
    return true;
  }
  const message = (error as Error)?.message ?? '';
  return /Connection terminated|connect ECONNREFUSED|timeout exceeded when trying to connect|Client has encountered a connection error|the database system is (starting up|shutting down)|terminating connection/i.test(message);
}

/**
 * The rows of a raw query. TypeORM's PostgreSQL driver answers UPDATE and DELETE with
 * `[rows, affectedCount]` and everything else with the rows; this reads both.
 */
export function rowsOf<T>(result: unknown): T[] {
  if (Array.isArray(result) && result.length === 2 && Array.isArray(result[0]) && typeof result[1] === 'number') return result[0] as T[];
  return result as T[];
}
