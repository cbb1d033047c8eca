import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import pg from 'pg';
import { eventually } from '@hgtrace/testing';
import { type Child, freePort, makeWorkDir, removeWorkDir, spawnChild } from './processes.js';
import { PostgresInstance } from './postgres.js';
import { RedisInstance, type RedisInstanceOptions } from './redis.js';

const run = promisify(execFile);

export const FAULTS_ADMIN = { email: 'admin@hgtrace.test', password: 'admin-password-for-fault-tests' };
export const API_SCRIPT = 'dist/apps/api/src/main.js';
export const WORKER_SCRIPT = 'dist/apps/worker/src/main.js';
export const TEST_WORKER_SCRIPT = 'dist/test/support/test-worker.js';
const CLI_SCRIPT = 'dist/apps/cli/src/main.js';

export interface FaultStackOptions {
  redis?: RedisInstanceOptions;
}

/**
 * The servers of one fault test file: a PostgreSQL and a Redis of its own in a temporary directory,
 * on free ports. hgtrace runs on them as deployments (deploy()); the test stops, kills and restarts
 * any part. close() takes everything down and removes the directory, whatever state the test left.
 */
export class FaultStack {
  private readonly apps: HgtraceDeployment[] = [];

  private constructor(
    readonly workDir: string,
    readonly postgres: PostgresInstance,
    readonly redis: RedisInstance,
  ) {}

  static async start(options: FaultStackOptions = {}): Promise<FaultStack> {
    const workDir = makeWorkDir();
    let postgres: PostgresInstance | undefined;
    try {
      postgres = await PostgresInstance.create(workDir);
      const redis = await RedisInstance.create(workDir, options.redis);
      return new FaultStack(workDir, postgres, redis);
    } catch (error) {
      await postgres?.stop('immediate');
      removeWorkDir(workDir);
      throw error;
    }
  }

  /** Creates the database (or brings it up to date) with the compiled CLI's `migrate`. */
  async migrate(database: string): Promise<void> {
    await run(process.execPath, [CLI_SCRIPT, 'migrate'], {
      env: { ...process.env, DATABASE_URL: this.postgres.url(database), REDIS_URL: this.redis.url, LOG_LEVEL: 'warn', PORT: '3000' },
      timeout: 120_000,
    });
  }

  /** Copies a database (it must have no connections). */
  async copyDatabase(from: string, to: string): Promise<void> {
    await this.postgres.admin((client) => client.query(`CREATE DATABASE ${pg.escapeIdentifier(to)} TEMPLATE ${pg.escapeIdentifier(from)}`));
  }

  /**
   * hgtrace on `database` (migrated first unless it exists), with its own queue prefix in the Redis.
   * Its api and workers are started by the test.
   */
  async deploy(database = 'hgtrace_faults', env: Record<string, string> = {}): Promise<HgtraceDeployment> {
    await this.migrate(database);
    const app = new HgtraceDeployment(this, database, await freePort(), env);
    this.apps.push(app);
    return app;
  }

  /** Kills every api and worker, stops PostgreSQL and Redis and removes the directory; safe in any state. */
  async close(): Promise<void> {
    await Promise.allSettled(this.apps.map((app) => app.close()));
    await this.redis.stop();
    await this.postgres.stop('immediate');
    removeWorkDir(this.workDir);
  }
}

export interface Reply<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

export interface RequestOptions {
  /** The bearer token; the admin's when not given, none when null. */
  token?: string | null;
  timeoutMs?: number;
}

/** One hgtrace installation on a FaultStack: the compiled api and workers as child processes, on one database. */
export class HgtraceDeployment {
  api?: Child;
  readonly workers: Child[] = [];
  /** The admin's access token, once the api has started. */
  token = '';
  private pool?: pg.Pool;
  private readonly queues: { queue: Queue; connection: Redis }[] = [];

  constructor(
    readonly stack: FaultStack,
    readonly database: string,
    readonly apiPort: number,
    private readonly extraEnv: Record<string, string>,
  ) {}

  get databaseUrl(): string {
    return this.stack.postgres.url(this.database);
  }

  get apiUrl(): string {
    return `http://127.0.0.1:${this.apiPort}`;
  }

  /** The environment of the api and the workers. */
  env(extra: Record<string, string> = {}): Record<string, string> {
    return {
      NODE_ENV: 'test',
      DATABASE_URL: this.databaseUrl,
      DATABASE_POOL_SIZE: '5',
      REDIS_URL: this.stack.redis.url,
      QUEUE_PREFIX: `faults-${this.database}`.slice(0, 32).replace(/[^a-z0-9_-]/g, '-'),
      PORT: String(this.apiPort),
      LOG_LEVEL: process.env.FAULTS_LOG_LEVEL ?? 'info',
      HGTRACE_ADMIN_EMAIL: FAULTS_ADMIN.email,
      HGTRACE_ADMIN_PASSWORD: FAULTS_ADMIN.password,
      LOGIN_RATE_LIMIT_PER_MINUTE: '1000',
      OUTBOX_POLL_MS: '200',
      JOB_LOCK_MS: '2000',
      STARTUP_WAIT_SECONDS: '30',
      OPENAPI_ENABLED: 'false',
      ...this.extraEnv,
      ...extra,
    };
  }

  /** A pool on the deployment's database, for the test's own queries; it survives PostgreSQL restarts. */
  get db(): pg.Pool {
    if (!this.pool) {
      this.pool = new pg.Pool({ connectionString: this.databaseUrl, max: 3 });
      // Idle connections cut by a PostgreSQL stop are replaced at the next query.
      this.pool.on('error', () => undefined);
    }
    return this.pool;
  }

  /** Closes the test's pool (a database to be copied must have no connections). */
  async endPool(): Promise<void> {
    await this.pool?.end().catch(() => undefined);
    this.pool = undefined;
  }

  /** The first column of the first row of `sql`, as a number. */
  async count(sql: string, params: unknown[] = []): Promise<number> {
    const { rows } = await this.db.query(sql, params);
    return Number(Object.values(rows[0])[0]);
  }

  /** A BullMQ queue of this deployment, to look at its jobs; closed with the deployment. */
  queue(name: string): Queue {
    const connection = this.stack.redis.client();
    const queue = new Queue(name, { connection, prefix: this.env().QUEUE_PREFIX });
    queue.on('error', () => undefined);
    this.queues.push({ queue, connection });
    return queue;
  }

  /** Starts the compiled api, waits until /health/ready answers 200, and logs the admin in. */
  async startApi(extra: Record<string, string> = {}): Promise<Child> {
    if (this.api?.running) throw new Error('the api is already running');
    const api = this.spawnNode('api', API_SCRIPT, extra);
    this.api = api;
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (!api.running) throw new Error(`the api exited at start:\n${api.log()}`);
      const ready = await this.request('get', '/health/ready', undefined, { token: null, timeoutMs: 2000 }).catch(() => undefined);
      if (ready?.status === 200) break;
      if (Date.now() > deadline) throw new Error(`the api was not ready within 60 s:\n${api.log()}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    this.token = await this.login(FAULTS_ADMIN.email, FAULTS_ADMIN.password);
    return api;
  }

  /** Starts a worker (the compiled worker, or another script such as the test worker) and waits until it takes jobs. */
  async startWorker(options: { script?: string; env?: Record<string, string> } = {}): Promise<Child> {
    const worker = this.spawnNode('worker', options.script ?? WORKER_SCRIPT, options.env ?? {});
    this.workers.push(worker);
    const deadline = Date.now() + 60_000;
    while (!worker.log().includes(`worker ${worker.pid} started`)) {
      if (!worker.running) throw new Error(`the worker exited at start:\n${worker.log()}`);
      if (Date.now() > deadline) throw new Error(`the worker did not start within 60 s:\n${worker.log()}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return worker;
  }

  private spawnNode(name: string, script: string, extra: Record<string, string>): Child {
    // The marker argument puts the work directory on the command line, where a crashed run's clean-up looks for it.
    return spawnChild(name, process.execPath, [script, `--hgtrace-faults=${this.stack.workDir}`], {
      env: { ...process.env, ...this.env(extra) },
      workDir: this.stack.workDir,
    });
  }

  async login(email: string, password: string): Promise<string> {
    const login = await this.request('post', '/api/v1/auth/login', { email, password }, { token: null });
    if (login.status !== 200) throw new Error(`login of ${email} answered ${login.status}: ${JSON.stringify(login.body)}`);
    return login.body.accessToken;
  }

  /** Creates a user as the admin and returns their access token. */
  async createUser(role: string, countries: string[]): Promise<string> {
    const email = `${role}.${countries.join('-').replace('*', 'all').toLowerCase()}@hgtrace.test`;
    const password = 'a-password-for-fault-tests';
    const created = await this.request('post', '/api/v1/users', { email, password, role, countries });
    if (created.status !== 201) throw new Error(`creating ${email} answered ${created.status}: ${JSON.stringify(created.body)}`);
    return this.login(email, password);
  }

  /** An HTTP request to the api, as the admin unless `token` says otherwise. Times out instead of hanging. */
  async request<T = any>(method: string, path: string, body?: unknown, options: RequestOptions = {}): Promise<Reply<T>> {
    const token = options.token === undefined ? this.token : options.token;
    const headers: Record<string, string> = {};
    if (token) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(`${this.apiUrl}${path}`, {
      method: method.toUpperCase(),
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(options.timeoutMs ?? 30_000),
    });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // Not JSON: kept as text.
    }
    return { status: response.status, body: parsed as T, headers: response.headers };
  }

  /**
   * Polls `probe` until it returns something other than undefined or false. On time-out the error
   * carries the last value or error seen and the tail of every process's output.
   */
  async eventually<T>(probe: () => Promise<T | undefined | false>, timeoutMs: number, what: string, intervalMs = 100): Promise<T> {
    try {
      return await eventually(probe, timeoutMs, what, intervalMs);
    } catch (error) {
      throw new Error(`${(error as Error).message}\n${this.logs().slice(-6000)}`);
    }
  }

  /** The output of PostgreSQL, the api and the workers, for a failure message. */
  logs(): string {
    const parts = [`--- postgres ---\n${this.stack.postgres.log()}`];
    if (this.api) parts.push(`--- api ${this.api.pid} ---\n${this.api.log()}`);
    for (const worker of this.workers) parts.push(`--- worker ${worker.pid} ---\n${worker.log()}`);
    return parts.join('\n');
  }

  async close(): Promise<void> {
    const children = [this.api, ...this.workers].filter((c): c is Child => c !== undefined);
    await Promise.all(children.map((c) => c.stop('SIGKILL')));
    // FAULTS_LOG_DIR keeps what every process wrote, for a look after the run.
    const logDir = process.env.FAULTS_LOG_DIR;
    if (logDir) {
      mkdirSync(logDir, { recursive: true });
      for (const child of children) writeFileSync(join(logDir, `${this.database}-${child.name}-${child.pid}.log`), child.log());
      writeFileSync(join(logDir, `${this.database}-postgres.log`), this.stack.postgres.log());
    }
    await this.endPool();
    for (const { queue, connection } of this.queues.splice(0)) {
      await queue.close().catch(() => undefined);
      connection.disconnect();
    }
  }
}
