import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { type Child, type Exit, freePort, spawnChild } from './processes.js';

export interface RedisInstanceOptions {
  /**
   * Keep the data over a stop and start, with the append-only file as docker/compose.yaml runs Redis
   * in production. Without it (the default) a restarted Redis is empty.
   */
  appendOnly?: boolean;
}

/** A Redis server of the fault suite's own, on a free port of 127.0.0.1, as a child process (never daemonized). */
export class RedisInstance {
  private child?: Child;

  private constructor(
    readonly workDir: string,
    readonly port: number,
    private readonly options: RedisInstanceOptions,
  ) {}

  static async create(workDir: string, options: RedisInstanceOptions = {}): Promise<RedisInstance> {
    const instance = new RedisInstance(workDir, await freePort(), options);
    mkdirSync(instance.dataDir);
    await instance.start();
    return instance;
  }

  get dataDir(): string {
    return join(this.workDir, 'redis');
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.child?.running ? this.child.pid : undefined;
  }

  async start(): Promise<void> {
    if (this.child?.running) return;
    // set-proc-title no: the command line keeps --dir, by which a crashed run's clean-up recognises it.
    const child = spawnChild(
      'redis',
      'redis-server',
      ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', this.options.appendOnly ? 'yes' : 'no', '--dir', this.dataDir,
        '--daemonize', 'no', '--set-proc-title', 'no', '--maxmemory-policy', 'noeviction', '--loglevel', 'warning'],
      { env: { PATH: process.env.PATH }, workDir: this.workDir },
    );
    this.child = child;
    const deadline = Date.now() + 15_000;
    for (;;) {
      if (!child.running) throw new Error(`redis-server exited at start:\n${child.log()}`);
      const probe = new Redis(this.url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 1000 });
      probe.on('error', () => undefined);
      try {
        await probe.connect();
        // Loading the append-only file answers LOADING until it is done.
        if ((await probe.ping()) === 'PONG') return;
      } catch (error) {
        if (Date.now() > deadline) throw new Error(`redis-server did not answer within 15 s (${(error as Error).message}):\n${child.log()}`);
      } finally {
        probe.disconnect();
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** Stops the server (SIGTERM: Redis's own orderly shutdown) and waits until it has exited. */
  async stop(): Promise<Exit | undefined> {
    const child = this.child;
    if (!child?.running) return undefined;
    return child.stop('SIGTERM', 15_000);
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  /** A client of this server; the caller quits it. */
  client(): Redis {
    const redis = new Redis(this.url, { maxRetriesPerRequest: 1 });
    redis.on('error', () => undefined);
    return redis;
  }
}
