import { describe, expect, it } from 'vitest';
import { loadPersistenceConfig } from './config.js';

describe('persistence configuration', () => {
  it('has a documented default for every variable', () => {
    expect(loadPersistenceConfig({})).toEqual({
      NATS_URL: 'nats://127.0.0.1:4222',
      LOG_LEVEL: 'info',
      SHUTDOWN_TIMEOUT_MS: 10_000,
      DATABASE_URL: 'postgres://sightline@127.0.0.1:5432/sightline',
      DB_POOL_SIZE: 10,
      DB_STATEMENT_TIMEOUT_MS: 30_000,
      HTTP_PORT: 3003,
      PERSIST_BATCH_SIZE: 500,
      PERSIST_LINGER_MS: 200,
      PERSIST_MAX_IN_FLIGHT: 2000,
      PERSIST_ACK_WAIT_MS: 30_000,
      PERSIST_RETRY_INITIAL_MS: 250,
      PERSIST_RETRY_MAX_MS: 5000,
      AUTH_JWKS_URL: 'http://127.0.0.1:3001/.well-known/jwks.json',
    });
  });

  it('names every bad variable', () => {
    expect(() => loadPersistenceConfig({ PERSIST_BATCH_SIZE: '0', PERSIST_LINGER_MS: 'soon', AUTH_JWKS_URL: 'ftp://x' })).toThrow(
      expect.objectContaining({
        code: 'CONFIG_INVALID',
        problems: [
          expect.stringMatching(/^PERSIST_BATCH_SIZE/),
          expect.stringMatching(/^PERSIST_LINGER_MS/),
          expect.stringMatching(/^AUTH_JWKS_URL/),
        ],
      }),
    );
    expect(() => loadPersistenceConfig({ PERSIST_BATCH_SIZE: '10001' })).toThrow(/PERSIST_BATCH_SIZE/);
  });
});
