import { describe, expect, it } from 'vitest';
import { upstreamFor } from './upstream-routes.js';

describe('upstreamFor (the Caddyfile layout)', () => {
  it.each([
    ['/ws/analysis', 'gateway'],
    ['/sessions/cam-1/results', 'persistence'],
    ['/sessions/cam-1/summary', 'persistence'],
    ['/sessions/cam-1/zones', 'persistence'],
    ['/sessions/cam-1/picture.jpg', 'ingest'],
    ['/sessions', 'ingest'],
    ['/sessions/cam-1', 'ingest'],
    ['/sessions/cam-1/snapshot.jpg', 'ingest'],
    ['/sessions/cam-1/results/extra', 'ingest'],
    ['/login', 'auth'],
    ['/signup', 'auth'],
    ['/me', 'auth'],
    ['/admin/users/3/roles/operator', 'auth'],
    ['/.well-known/jwks.json', 'auth'],
    ['/consoles', 'auth'],
  ])('%s → %s', (path, upstream) => {
    expect(upstreamFor(path)).toBe(upstream);
  });

  it.each([
    '/',
    '/console',
    '/console/',
    '/console/assets/index-abc.js',
    '/health',
    '/health/ready',
    '/metrics',
    '/METRICS',
    '/metrics/',
    '/Health/Ready',
    '/token-revocations',
    '/Token-Revocations/',
  ])('%s is served by the console server itself (never forwarded)', (path) => {
    expect(upstreamFor(path)).toBeUndefined();
  });
});
