import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError, baseConfigShape, env, loadConfig } from './config.js';

describe('loadConfig', () => {
  const shape = { ...baseConfigShape, HTTP_PORT: env.port(3000), ENABLED: env.bool(false), TAGS: env.list(['a']) };

  it('applies documented defaults', () => {
    const cfg = loadConfig(shape, {});
    expect(cfg).toMatchObject({ NATS_URL: 'nats://127.0.0.1:4222', HTTP_PORT: 3000, ENABLED: false, TAGS: ['a'] });
  });

  it('coerces values and treats empty strings as unset', () => {
    const cfg = loadConfig(shape, { HTTP_PORT: '8080', ENABLED: 'yes', TAGS: 'x, y', LOG_LEVEL: '' });
    expect(cfg).toMatchObject({ HTTP_PORT: 8080, ENABLED: true, TAGS: ['x', 'y'], LOG_LEVEL: 'info' });
  });

  it('accepts NATS_TLS_CA_FILE naming a readable file and stops with CONFIG_INVALID naming it when it does not', () => {
    const ca = fileURLToPath(import.meta.url); // any readable file
    expect(loadConfig(shape, { NATS_TLS_CA_FILE: ca }).NATS_TLS_CA_FILE).toBe(ca);
    expect(loadConfig(shape, {}).NATS_TLS_CA_FILE).toBeUndefined();
    for (const missing of ['/nonexistent/nats-ca.crt', dirname(ca)]) {
      expect(() => loadConfig(shape, { NATS_TLS_CA_FILE: missing })).toThrow(
        expect.objectContaining({ code: 'CONFIG_INVALID', problems: [`NATS_TLS_CA_FILE: not a readable file (got "${missing}")`] }),
      );
    }
  });

  it('names every bad variable in one error, without echoing secrets', () => {
    const bad = { HTTP_PORT: 'eighty', LOG_LEVEL: 'loud', DB_PASSWORD: 'hunter2' };
    let error: unknown;
    try {
      loadConfig({ ...shape, DB_PASSWORD: z.string().min(12) }, bad);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    expect(message).toContain('HTTP_PORT');
    expect(message).toContain('LOG_LEVEL');
    expect(message).toContain('DB_PASSWORD');
    expect(message).not.toContain('hunter2');
    expect((error as ConfigError).code).toBe('CONFIG_INVALID');
  });

  it('does not echo a URL whose value is invalid, since URLs carry credentials', () => {
    const source = { DATABASE_URL: 'postgres://app:pa/ss#word@db/x', SMTP_URL: 'smtp://u:s3cret@mail' };
    const message = (() => {
      try {
        loadConfig({ DATABASE_URL: env.url('postgres://x@y/z', ['postgres']), SMTP_URL: env.url('smtp://x', ['https']) }, source);
      } catch (e) {
        return (e as ConfigError).message;
      }
      return '';
    })();
    expect(message).toContain('DATABASE_URL');
    expect(message).toContain('SMTP_URL');
    expect(message).not.toMatch(/pa\/ss|s3cret/);
  });
});
