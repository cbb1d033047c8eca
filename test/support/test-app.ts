import type { INestApplication } from '@nestjs/common';
import pg from 'pg';
import request from 'supertest';
import type TestAgent from 'supertest/lib/agent.js';
import { Redis } from 'ioredis';
import { CHECKOUT, clearRedisPrefix, createTestDatabase, dropTestDatabase } from '@hgtrace/testing';
import { bootstrap } from '../../apps/api/src/bootstrap.js';

export const ADMIN = { email: 'admin@hgtrace.test', password: 'admin-password-for-tests' };

export interface TestApp {
  app: INestApplication;
  http: TestAgent;
  db: pg.Pool;
  redis: Redis;
  env: Record<string, string>;
  adminToken: string;
  clearRedis(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The real api (bootstrap() of apps/api) on a fresh copy of the migrated test database and a Redis
 * database of this jest worker's own, with the first admin logged in.
 */
export async function startTestApp(overrides: Record<string, string> = {}): Promise<TestApp> {
  const workerId = Number(process.env.JEST_WORKER_ID ?? 1);
  const databaseUrl = await createTestDatabase();
  const env: Record<string, string> = {
    NODE_ENV: 'test',
    DATABASE_URL: databaseUrl,
    DATABASE_POOL_SIZE: '5',
    REDIS_URL: `redis://127.0.0.1:6379/${(workerId % 15) + 1}`,
    QUEUE_PREFIX: `hgtrace-test-${CHECKOUT}-${workerId}`,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    HGTRACE_ADMIN_EMAIL: ADMIN.email,
    HGTRACE_ADMIN_PASSWORD: ADMIN.password,
    LOGIN_RATE_LIMIT_PER_MINUTE: '1000',
    JOB_LOCK_MS: '2000',
    ...overrides,
  };
  Object.assign(process.env, env);
  const redis = new Redis(env.REDIS_URL, { maxRetriesPerRequest: 1 });
  await clearRedisPrefix(redis, env.QUEUE_PREFIX);
  const app = await bootstrap({ migrate: false });
  const http = request(app.getHttpServer());
  const db = new pg.Pool({ connectionString: databaseUrl, max: 3 });
  // An idle connection ended by the server is replaced on the next query; it is not a test failure.
  db.on('error', () => undefined);
  const login = await http.post('/api/v1/auth/login').send(ADMIN).expect(200);
  return {
    app,
    http,
    db,
    redis,
    env,
    adminToken: login.body.accessToken,
    clearRedis: () => clearRedisPrefix(redis, env.QUEUE_PREFIX),
    async close() {
      await app.close();
      await db.end();
      await redis.quit();
      await dropTestDatabase(databaseUrl);
    },
  };
}

export interface TestUser {
  id: string;
  email: string;
  role: string;
  countries: string[];
  token: string;
}

let userCounter = 0;

/** Creates a user through the API as the admin and logs them in. */
export async function createUser(t: TestApp, role: string, countries: string[], email?: string): Promise<TestUser> {
  userCounter += 1;
  const password = 'a-password-for-tests';
  const address = email ?? `${role}.${countries.join('-').replace('*', 'all').toLowerCase()}.${userCounter}@hgtrace.test`;
  const created = await t.http.post('/api/v1/users').auth(t.adminToken, { type: 'bearer' }).send({ email: address, password, role, countries }).expect(201);
  if (role === 'system') {
    const token = await t.http.post(`/api/v1/users/${created.body.id}/tokens`).auth(t.adminToken, { type: 'bearer' }).send({ name: 'tests' }).expect(201);
    return { ...created.body, token: token.body.token };
  }
  const login = await t.http.post('/api/v1/auth/login').send({ email: address, password }).expect(200);
  return { ...created.body, token: login.body.accessToken };
}

export type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

/** A request as `user` (a test user, or a bare token), with a JSON body when one is given. */
export function requestAs(t: TestApp, user: TestUser | string, method: Method, path: string, body?: object) {
  const request = t.http[method](path).auth(typeof user === 'string' ? user : user.token, { type: 'bearer' });
  return body ? request.send(body) : request;
}
