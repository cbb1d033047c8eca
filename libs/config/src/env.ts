import 'reflect-metadata';
import { plainToInstance, Transform } from 'class-transformer';
import { IsBoolean, IsEmail, IsIn, IsInt, IsNumber, IsOptional, IsString, Matches, Max, Min, MinLength, validateSync, ValidateIf } from 'class-validator';

// Implicit conversion would turn the string 'false' into true, so booleans are read from the raw value.
const toBool = ({ obj, key }: { obj: Record<string, unknown>; key: string }) => {
  const raw = obj[key];
  return typeof raw === 'string' ? ['1', 'true', 'yes', 'on'].includes(raw.toLowerCase()) : raw;
};

/**
 * Every setting hgtrace reads, validated once at boot. Each has a local default so that a fresh
 * checkout runs against the local PostgreSQL and Redis; every one can be overridden by an environment
 * variable of the same name (see .env.example).
 */
export class Env {
  /** `production` makes JWT_SECRET mandatory and turns off the developer conveniences. */
  @IsIn(['development', 'production', 'test'])
  NODE_ENV: 'development' | 'production' | 'test' = 'development';

  /** PostgreSQL connection; the database is created at api start if it does not exist. */
  @Matches(/^postgres(ql)?:\/\/.+\/[^/?]+(\?.*)?$/, { message: 'DATABASE_URL must look like postgres://user@host:5432/database' })
  DATABASE_URL: string = 'postgres://postgres@127.0.0.1:5432/hgtrace';

  /** Connections each process keeps open to PostgreSQL. */
  @IsInt() @Min(1) @Max(200)
  DATABASE_POOL_SIZE: number = 10;

  /** Redis for BullMQ; a `/N` database index is honoured. Use `maxmemory-policy noeviction`. */
  @Matches(/^rediss?:\/\/[^/]+(\/\d{1,2})?$/, { message: 'REDIS_URL must look like redis://host:6379 or redis://host:6379/2' })
  REDIS_URL: string = 'redis://127.0.0.1:6379';

  /** Prefix of every BullMQ key, so several hgtrace installations can share one Redis. */
  @Matches(/^[a-z0-9_-]{1,32}$/, { message: 'QUEUE_PREFIX must be 1 to 32 characters of a-z, 0-9, _ or -' })
  QUEUE_PREFIX: string = 'hgtrace';

  /** HTTP port of the api. */
  @IsInt() @Min(1) @Max(65535)
  PORT: number = 3000;

  /** pino log level. */
  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  LOG_LEVEL: string = 'info';

  /** The first admin, created when the users table is empty. */
  @IsEmail({ require_tld: false })
  HGTRACE_ADMIN_EMAIL: string = 'admin@hgtrace.local';

  /** Password of the first admin; change it in production. */
  @IsString() @MinLength(12)
  HGTRACE_ADMIN_PASSWORD: string = 'hgtrace-admin-pass';

  /** Secret that signs access tokens; required (32+ characters) when NODE_ENV=production. */
  @ValidateIf((env: Env) => env.NODE_ENV === 'production' || env.JWT_SECRET !== undefined)
  @IsString() @MinLength(32, { message: 'JWT_SECRET must be at least 32 characters (and is required when NODE_ENV=production)' })
  JWT_SECRET?: string;

  /** Lifetime of an access token, in seconds. */
  @IsInt() @Min(60) @Max(86400)
  JWT_TTL_SECONDS: number = 900;

  /** Login attempts allowed per client address and minute. */
  @IsInt() @Min(1) @Max(10000)
  LOGIN_RATE_LIMIT_PER_MINUTE: number = 10;

  /** Largest JSON body the api accepts, in bytes. */
  @IsInt() @Min(1024)
  BODY_LIMIT_BYTES: number = 10 * 1024 * 1024;

  /** Largest CSV upload, in bytes. */
  @IsInt() @Min(1024)
  UPLOAD_LIMIT_BYTES: number = 20 * 1024 * 1024;

  /** How often the outbox relay looks for rows when no notification arrives, in ms. */
  @IsInt() @Min(50) @Max(60000)
  OUTBOX_POLL_MS: number = 1000;

  /** Jobs a worker process runs at once. */
  @IsInt() @Min(1) @Max(256)
  WORKER_CONCURRENCY: number = 8;

  /**
   * Declaration checks a worker process checks together in one transaction. It holds up to twice this
   * many check jobs at once, so that one batch fills while the one before runs.
   */
  @IsInt() @Min(1) @Max(1000)
  CHECK_BATCH_SIZE: number = 100;

  /**
   * Chunks a cross-check run works on at once, each in its own transaction over its own slice of the
   * declarations: the run's queries are PostgreSQL's work, and one at a time keeps one core busy.
   */
  @IsInt() @Min(1) @Max(16)
  RUN_CONCURRENCY: number = 2;

  /** How long a job may run without renewing its lock before it counts as stalled and runs again elsewhere, in ms. */
  @IsInt() @Min(1000) @Max(600000)
  JOB_LOCK_MS: number = 30000;

  /** Time a worker is given to finish its jobs on SIGTERM before it exits anyway, in ms. */
  @IsInt() @Min(1000)
  SHUTDOWN_TIMEOUT_MS: number = 30000;

  /** Serve the OpenAPI document and UI at /api/docs. */
  @Transform(toBool) @IsBoolean()
  OPENAPI_ENABLED: boolean = true;

  /** Seconds before the api gives up waiting for PostgreSQL at start. */
  @IsInt() @Min(0)
  STARTUP_WAIT_SECONDS: number = 60;

  // Rule tolerances (DESIGN.md, Rules). Each is a setting with the documented default.

  /** Days after an export (or before an import) within which its counterpart must appear. */
  @IsInt() @Min(1) @Max(3650)
  MATCH_WINDOW_DAYS: number = 120;

  /** QUANTITY_MISMATCH: relative tolerance on net mass, in percent. */
  @IsNumber() @Min(0) @Max(100)
  QUANTITY_TOLERANCE_PCT: number = 2;

  /** QUANTITY_MISMATCH: absolute tolerance on net mass, in kg (both must be exceeded). */
  @IsNumber() @Min(0)
  QUANTITY_TOLERANCE_KG: number = 1;

  /** COUNTERPARTY_MISMATCH and matching: trigram similarity under which names differ. */
  @IsNumber() @Min(0) @Max(1)
  COUNTERPARTY_SIMILARITY: number = 0.45;

  /** DATE_ANOMALY: days an import may precede its export before it is an anomaly. */
  @IsInt() @Min(0) @Max(365)
  DATE_TOLERANCE_DAYS: number = 1;

  /** VALUE_ANOMALY: the CIF/FOB adjustment, in percent. */
  @IsNumber() @Min(0) @Max(100)
  VALUE_CIF_FOB_PCT: number = 6;

  /** VALUE_ANOMALY: how far export and import values may differ after the CIF/FOB factor, in percent. */
  @IsNumber() @Min(0) @Max(1000)
  VALUE_TOLERANCE_PCT: number = 25;

  /** VALUE_ANOMALY: Tukey fence multiplier on unit values. */
  @IsNumber() @Min(0) @Max(10)
  VALUE_TUKEY_K: number = 1.5;

  /** VALUE_ANOMALY: fewest items of an HS code and year for their unit-value fences to count. */
  @IsInt() @Min(4) @Max(100000)
  VALUE_TUKEY_MIN_SAMPLE: number = 20;

  /** MIRROR_GAP: relative gap between exporter- and importer-reported mass, in percent. */
  @IsNumber() @Min(0) @Max(1000)
  MIRROR_GAP_PCT: number = 25;

  /** MIRROR_GAP: absolute gap, in kg (both must be exceeded). */
  @IsNumber() @Min(0)
  MIRROR_GAP_KG: number = 100;

  /** Cron expression of the scheduled sweep. */
  @IsString() @Matches(/^(\S+\s+){4,5}\S+$/, { message: 'CROSSCHECK_SCHEDULE must be a cron expression' })
  CROSSCHECK_SCHEDULE: string = '0 * * * *';

  @IsOptional() @IsString()
  TZ?: string;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

const DEV_JWT_SECRET = 'hgtrace-development-secret-not-for-production-use';

/**
 * Reads and validates the environment. Unknown variables are ignored; an empty string counts as
 * unset. Throws a ConfigError naming every variable that is wrong.
 */
export function loadEnv(source: NodeJS.ProcessEnv = process.env): Env {
  const known = Object.keys(new Env()).concat('JWT_SECRET', 'TZ');
  const raw: Record<string, string> = {};
  for (const key of known) {
    const value = source[key];
    if (value !== undefined && value !== '') raw[key] = value;
  }
  const env = plainToInstance(Env, raw, { enableImplicitConversion: true, exposeDefaultValues: true });
  const errors = validateSync(env, { forbidUnknownValues: true });
  const problems = errors.flatMap((e) =>
    Object.values(e.constraints ?? {}).map((message) =>
      message.startsWith(e.property) ? message : `${e.property}: ${message} (got ${JSON.stringify(raw[e.property] ?? null)})`,
    ),
  );
  if (problems.length > 0) throw new ConfigError(problems);
  if (env.JWT_SECRET === undefined) env.JWT_SECRET = DEV_JWT_SECRET;
  return env;
}

/** The database name in DATABASE_URL. */
export function databaseName(url: string): string {
  return decodeURIComponent(new URL(url).pathname.replace(/^\//, ''));
}
