import { ConfigError, loadEnv } from './env.js';

describe('loadEnv', () => {
  it('gives the local defaults when nothing is set', () => {
    const env = loadEnv({});
    expect(env.DATABASE_URL).toBe('postgres://postgres@127.0.0.1:5432/hgtrace');
    expect(env.REDIS_URL).toBe('redis://127.0.0.1:6379');
    expect(env.PORT).toBe(3000);
    expect(env.QUANTITY_TOLERANCE_PCT).toBe(2);
    expect(env.MATCH_WINDOW_DAYS).toBe(120);
    expect(env.JWT_SECRET).toBeDefined();
  });

  it('converts numbers and booleans from strings', () => {
    const env = loadEnv({ PORT: '8080', COUNTERPARTY_SIMILARITY: '0.6', OPENAPI_ENABLED: 'false' });
    expect(env.PORT).toBe(8080);
    expect(env.COUNTERPARTY_SIMILARITY).toBe(0.6);
    expect(env.OPENAPI_ENABLED).toBe(false);
  });

  it('names the variable that is wrong', () => {
    expect(() => loadEnv({ PORT: 'eighty' })).toThrow(/PORT/);
    expect(() => loadEnv({ REDIS_URL: 'localhost:6379' })).toThrow(/REDIS_URL/);
    expect(() => loadEnv({ QUANTITY_TOLERANCE_PCT: '-1' })).toThrow(/QUANTITY_TOLERANCE_PCT/);
  });

  it('reports every problem at once', () => {
    try {
      loadEnv({ PORT: '0', DATABASE_URL: 'mysql://x/y' });
      throw new Error('expected a ConfigError');
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      expect((e as ConfigError).problems).toHaveLength(2);
    }
  });

  it('requires JWT_SECRET in production', () => {
    expect(() => loadEnv({ NODE_ENV: 'production' })).toThrow(/JWT_SECRET/);
    expect(() => loadEnv({ NODE_ENV: 'production', JWT_SECRET: 'short' })).toThrow(/JWT_SECRET/);
    expect(loadEnv({ NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(40) }).JWT_SECRET).toBe('x'.repeat(40));
  });

  it('honours a Redis database index', () => {
    expect(loadEnv({ REDIS_URL: 'redis://127.0.0.1:6379/3' }).REDIS_URL).toBe('redis://127.0.0.1:6379/3');
  });
});
