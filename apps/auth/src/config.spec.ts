import { describe, expect, it } from 'vitest';
import { loadAuthConfig } from './config.js';

describe('auth configuration', () => {
  it('has working defaults for every variable', () => {
    const config = loadAuthConfig({});
    expect(config).toMatchObject({
      HTTP_PORT: 3001,
      BCRYPT_COST: 12,
      AUTH_ACCESS_TOKEN_TTL_SECONDS: 900,
      AUTH_SIGNUP_ENABLED: true,
      AUTH_SIGNUP_DEFAULT_ROLE: 'agent',
    });
    expect(config.AUTH_BOOTSTRAP_ADMIN_PASSWORD).toBeUndefined();
  });

  it('refuses a privileged signup role', () => {
    for (const role of ['admin', 'operator'])
      expect(() => loadAuthConfig({ AUTH_SIGNUP_DEFAULT_ROLE: role }), role).toThrow(/AUTH_SIGNUP_DEFAULT_ROLE/);
    expect(loadAuthConfig({ AUTH_SIGNUP_DEFAULT_ROLE: 'viewer' }).AUTH_SIGNUP_DEFAULT_ROLE).toBe('viewer');
  });

  it('refuses a bcrypt cost below 12', () => {
    expect(() => loadAuthConfig({ BCRYPT_COST: '10' })).toThrow(/BCRYPT_COST/);
  });

  it('wants all three bootstrap-admin variables or none', () => {
    expect(() => loadAuthConfig({ AUTH_BOOTSTRAP_ADMIN_USERNAME: 'boss' })).toThrow(/must be set together/);
  });

  it('refuses a weak bootstrap password without echoing it', () => {
    const attempt = () =>
      loadAuthConfig({
        AUTH_BOOTSTRAP_ADMIN_USERNAME: 'boss',
        AUTH_BOOTSTRAP_ADMIN_EMAIL: 'boss@example.com',
        AUTH_BOOTSTRAP_ADMIN_PASSWORD: 'boss-password-1',
      });
    expect(attempt).toThrow(/AUTH_BOOTSTRAP_ADMIN_PASSWORD: must not contain the username or email/);
    expect(attempt).not.toThrow(/boss-password-1/);
  });
});
