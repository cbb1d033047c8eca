import { Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import pg from 'pg';
import { Env } from '@hgtrace/config';

/** The channel on which PostgreSQL announces every committed change to users and API tokens (migration AuthChangeNotify). */
export const AUTH_CHANGED_CHANNEL = 'hg_auth_changed';

/** How the listening connection shows in pg_stat_activity. */
export const LISTENER_APPLICATION_NAME = 'hgtrace-auth-listener';
/** How long an entry is trusted at most, should a notice ever be missed (triggers disabled by a restore, say). */
const MAX_AGE_MS = 60_000;
/** Users and tokens are few (a token per customs system, a login per officer); past this the cache starts afresh. */
const MAX_ENTRIES = 10_000;
/** How long to wait before listening again after the connection was lost. */
const RETRY_MS = 1_000;

interface Entry<T> {
  value: T;
  at: number;
}

/**
 * The users behind bearer credentials, kept in memory so that an authenticated request needs no
 * round trip to PostgreSQL. It is used only while this process listens on {@link AUTH_CHANGED_CHANNEL}
 * (on a connection of its own, opened at the first lookup, so processes that never authenticate never
 * open it); every notice empties it, and so does losing that connection, after which lookups go to the
 * database until it listens again. A change made in this process also empties it at once
 * ({@link invalidate}), before the change is answered. A change made elsewhere (another replica, the
 * CLI, SQL) shows once its notice arrives: PostgreSQL sends it as the change commits, and it is read a
 * moment later (well under a millisecond on an idle machine, a few under heavy load); a request
 * already past the guard by then was let in by the caller's rights of a moment before.
 *
 * A lookup that was under way while the cache was emptied must not put back what it read before the
 * change: callers take a {@link stamp} before they read and {@link set} keeps the value only if no
 * change was announced since.
 */
@Injectable()
export class CredentialCache<T = unknown> implements OnModuleDestroy {
  private readonly logger = new Logger(CredentialCache.name);
  private readonly entries = new Map<string, Entry<T>>();
  private generation = 0;
  private listening = false;
  private client: pg.Client | null = null;
  private retryAfter = 0;
  private closed = false;
  private warned = false;

  constructor(private readonly env: Env) {}

  /** The value kept for `key`, or undefined (also whenever the cache cannot be trusted). */
  get(key: string): T | undefined {
    if (!this.listening) {
      this.listen();
      return undefined;
    }
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (Date.now() - entry.at > MAX_AGE_MS) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  /** To take before reading what {@link set} will keep. */
  stamp(): number {
    return this.generation;
  }

  /** Keeps `value` unless a change was announced since `stamp` was taken, or the cache cannot be trusted. */
  set(key: string, value: T, stamp: number): void {
    if (!this.listening || stamp !== this.generation) return;
    if (this.entries.size >= MAX_ENTRIES) this.entries.clear();
    this.entries.set(key, { value, at: Date.now() });
  }

  /** Forgets everything, and refuses what lookups under way would put back. */
  invalidate(): void {
    this.generation += 1;
    this.entries.clear();
  }

  async onModuleDestroy(): Promise<void> {
    this.closed = true;
    const client = this.client;
    this.drop();
    if (client) await client.end().catch(() => undefined);
  }

  private listen(): void {
    if (this.client || this.closed || Date.now() < this.retryAfter) return;
    const client = new pg.Client({ connectionString: this.env.DATABASE_URL, application_name: LISTENER_APPLICATION_NAME, keepAlive: true });
    this.client = client;
    client.on('notification', () => this.invalidate());
    client.on('error', (error) => this.lost(client, error));
    client.on('end', () => this.lost(client));
    // Dropped while connecting (closed, or lost): end it again once connected, so that no connection is left open.
    const dropped = () => this.client !== client;
    client
      .connect()
      .then(async () => {
        if (!dropped()) await client.query(`LISTEN ${AUTH_CHANGED_CHANNEL}`);
      })
      .then(
        () => {
          if (dropped()) {
            client.end().catch(() => undefined);
            return;
          }
          // Anything read before now may predate a change this connection never heard of.
          this.invalidate();
          this.listening = true;
          this.warned = false;
        },
        (error: unknown) => this.lost(client, error),
      );
  }

  private lost(client: pg.Client, error?: unknown): void {
    if (this.client !== client) return;
    this.drop();
    this.retryAfter = Date.now() + RETRY_MS;
    client.end().catch(() => undefined);
    if (!this.closed && !this.warned) {
      this.warned = true;
      this.logger.warn(`not listening for changes to users and tokens (${error instanceof Error ? error.message : 'connection ended'}); every request reads them until it listens again`);
    }
  }

  private drop(): void {
    this.listening = false;
    this.client = null;
    this.invalidate();
  }
}
