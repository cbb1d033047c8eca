import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { type Child, type Exit, freePort, spawnChild } from './processes.js';

const BIN = process.env.FAULTS_PG_BIN ?? '/usr/lib/postgresql/15/bin';

/** How a stop reaches PostgreSQL: SIGINT is its "fast" shutdown (sessions cut), SIGQUIT "immediate" (a crash, recovered at the next start). */
export type PostgresStop = 'fast' | 'immediate';

function postgresUser(): { uid: number; gid: number } {
  const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
  return { uid, gid };
}

/**
 * A PostgreSQL server of the fault suite's own, in a temporary directory, on a free port of
 * 127.0.0.1, run as the postgres OS user (PostgreSQL refuses root) with fsync off. It can be stopped
 * and started again on the same port and data; nothing of it is shared with the instance on 5432.
 */
export class PostgresInstance {
  private child?: Child;
  private readonly user = postgresUser();

  private constructor(
    readonly workDir: string,
    readonly port: number,
  ) {}

  get dataDir(): string {
    return join(this.workDir, 'pgdata');
  }

  get socketDir(): string {
    return join(this.workDir, 'pgsocket');
  }

  get pid(): number | undefined {
    return this.child?.running ? this.child.pid : undefined;
  }

  /** Creates the cluster (initdb) and starts the server. */
  static async create(workDir: string): Promise<PostgresInstance> {
    const instance = new PostgresInstance(workDir, await freePort());
    mkdirSync(instance.dataDir, { mode: 0o700 });
    mkdirSync(instance.socketDir, { mode: 0o700 });
    execFileSync('chown', ['postgres:postgres', instance.dataDir, instance.socketDir]);
    execFileSync(join(BIN, 'initdb'), ['-D', instance.dataDir, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--locale=C.UTF-8', '--no-sync', '--no-instructions'], {
      ...instance.user,
      env: { PATH: process.env.PATH, LANG: 'C.UTF-8' },
      stdio: 'pipe',
    });
    await instance.start();
    return instance;
  }

  url(database: string): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${database}`;
  }

  async start(): Promise<void> {
    if (this.child?.running) return;
    const child = spawnChild(
      'postgres',
      join(BIN, 'postgres'),
      ['-D', this.dataDir, '-p', String(this.port), '-k', this.socketDir, '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off', '-c', 'synchronous_commit=off',
        '-c', 'full_page_writes=off', '-c', 'max_connections=200', '-c', 'shared_buffers=128MB', '-c', 'log_min_messages=warning'],
      { env: { PATH: process.env.PATH, LANG: 'C.UTF-8' }, workDir: this.workDir, ...this.user },
    );
    this.child = child;
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (!child.running) throw new Error(`postgres exited at start:\n${child.log()}`);
      const client = new pg.Client({ connectionString: this.url('postgres'), connectionTimeoutMillis: 1000 });
      try {
        await client.connect();
        await client.end();
        return;
      } catch (error) {
        await client.end().catch(() => undefined);
        if (Date.now() > deadline) throw new Error(`postgres did not accept connections within 30 s (${(error as Error).message}):\n${child.log()}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  }

  /** Stops the server and waits until it has exited. */
  async stop(mode: PostgresStop = 'fast'): Promise<Exit | undefined> {
    const child = this.child;
    if (!child?.running) return undefined;
    return child.stop(mode === 'fast' ? 'SIGINT' : 'SIGQUIT', 30_000);
  }

  async restart(mode: PostgresStop = 'fast'): Promise<void> {
    await this.stop(mode);
    await this.start();
  }

  log(): string {
    return this.child?.log() ?? '';
  }

  /** A client of the `postgres` database, for creating and copying databases. */
  async admin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
    const client = new pg.Client({ connectionString: this.url('postgres') });
    await client.connect();
    try {
      return await work(client);
    } finally {
      await client.end();
    }
  }
}
