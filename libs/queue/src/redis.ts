import { Redis, type RedisOptions } from 'ioredis';

/**
 * One ioredis connection. `blocking` connections (BullMQ workers) retry commands forever while Redis is
 * away, as BullMQ requires; producer connections fail fast instead, so that the outbox relay notices
 * an outage and leaves its rows in Postgres.
 */
export function createRedis(url: string, purpose: 'worker' | 'producer' | 'probe'): Redis {
  const options: RedisOptions = {
    connectionName: `hgtrace-${purpose}`,
    lazyConnect: purpose === 'probe',
    retryStrategy: (times) => Math.min(times * 200, 2000),
  };
  if (purpose === 'worker') {
    options.maxRetriesPerRequest = null;
  } else {
    options.maxRetriesPerRequest = 1;
    options.enableOfflineQueue = false;
    options.connectTimeout = 2000;
    options.commandTimeout = 5000;
  }
  const redis = new Redis(url, options);
  // Errors surface through the commands that fail; the connection keeps reconnecting on its own.
  redis.on('error', () => undefined);
  return redis;
}
