import { Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import pg from 'pg';
import type { DataSource } from 'typeorm';
import { Env } from '@hgtrace/config';
import { QueueService } from './queue.service.js';

interface OutboxRow {
  id: string;
  queue: string;
  job_name: string;
  job_id: string;
  payload: unknown;
}

const BATCH_SIZE = 500;
const RETENTION = '7 days';

/**
 * Moves outbox rows into BullMQ. Rows are claimed with FOR UPDATE SKIP LOCKED, so any number of
 * worker processes can relay side by side; a row is marked published only in the transaction that
 * claimed it, after BullMQ accepted its job. If Redis is down the transaction rolls back and the rows
 * wait in Postgres. A crash between BullMQ's accept and the commit publishes the row again under the
 * same job id, which BullMQ ignores while it still holds the job, and which the job inbox makes
 * harmless after that.
 *
 * The relay wakes on NOTIFY from the outbox trigger, and polls as a fallback.
 */
@Injectable()
export class OutboxRelay implements OnModuleDestroy {
  private readonly logger = new Logger(OutboxRelay.name);
  private running = false;
  private loop?: Promise<void>;
  private listener?: pg.Client;
  private wake?: () => void;
  private lastPrune = 0;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly queues: QueueService,
    private readonly env: Env,
  ) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
    await this.listener?.end().catch(() => undefined);
    this.listener = undefined;
  }

  onModuleDestroy(): Promise<void> {
    return this.stop();
  }

  /** Publishes one batch; returns how many rows it published. */
  async publishBatch(): Promise<number> {
    return this.dataSource.transaction(async (manager) => {
      const rows: OutboxRow[] = await manager.query(
        `SELECT id, queue, job_name, job_id, payload FROM outbox
          WHERE published_at IS NULL ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED`,
        [BATCH_SIZE],
      );
      if (rows.length === 0) return 0;
      const byQueue = new Map<string, OutboxRow[]>();
      for (const row of rows) {
        const queued = byQueue.get(row.queue);
        if (queued) queued.push(row);
        else byQueue.set(row.queue, [row]);
      }
      for (const [queue, queued] of byQueue) {
        await this.queues.queue(queue).addBulk(queued.map((row) => ({ name: row.job_name, data: row.payload, opts: { jobId: row.job_id } })));
      }
      await manager.query(`UPDATE outbox SET published_at = now(), attempts = attempts + 1 WHERE id = ANY($1::bigint[])`, [rows.map((r) => r.id)]);
      return rows.length;
    });
  }

  /** Rows waiting to be published. */
  async backlog(): Promise<number> {
    const [{ count }] = await this.dataSource.query(`SELECT count(*)::int AS count FROM outbox WHERE published_at IS NULL`);
    return count;
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (this.running) {
      await this.listen();
      let published = 0;
      try {
        published = await this.publishBatch();
        if (failures > 0) this.logger.log('outbox relay is publishing again');
        failures = 0;
        await this.prune();
      } catch (error) {
        failures += 1;
        if (failures === 1 || failures % 30 === 0) this.logger.warn(`outbox relay cannot publish (${(error as Error).message}); rows stay in Postgres`);
      }
      if (published === BATCH_SIZE) continue;
      const delay = failures > 0 ? Math.min(250 * 2 ** failures, 10_000) : this.env.OUTBOX_POLL_MS;
      await this.sleep(delay);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  private async listen(): Promise<void> {
    if (this.listener || !this.running) return;
    const client = new pg.Client({ connectionString: this.env.DATABASE_URL, application_name: 'hgtrace-outbox-listener' });
    client.on('notification', () => this.wake?.());
    client.on('error', () => {
      if (this.listener === client) this.listener = undefined;
      client.end().catch(() => undefined);
    });
    try {
      await client.connect();
      await client.query('LISTEN hgtrace_outbox');
      this.listener = client;
    } catch {
      await client.end().catch(() => undefined);
    }
  }

  private async prune(): Promise<void> {
    if (Date.now() - this.lastPrune < 10 * 60_000) return;
    this.lastPrune = Date.now();
    await this.dataSource.query(`DELETE FROM outbox WHERE published_at < now() - $1::interval`, [RETENTION]);
    await this.dataSource.query(`DELETE FROM job_inbox WHERE processed_at < now() - $1::interval`, ['30 days']);
  }
}
