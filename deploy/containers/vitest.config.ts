/**
 * Container tests (`npm run test:containers`, after deploy/containers/harness.sh has built the images): the compose
 * fleet on real containers. Not part of `npm test`: they need a Docker engine and the images.
 *
 * The TLS proxy serves a certificate made here, before the test workers start: the workers inherit
 * NODE_EXTRA_CA_CERTS, so fetch and the SDK's wss:// client verify the proxy as any client would.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineConfig } from 'vitest/config';
import { WORKSPACE_ROOT, workspaceSources } from '../../vitest.shared.js';

const tlsDir = mkdtempSync(join(tmpdir(), 'sightline-containers-tls-'));
execFileSync(
  'openssl',
  [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '2',
    '-subj',
    '/CN=localhost',
    '-addext',
    'subjectAltName=DNS:localhost',
    '-keyout',
    join(tlsDir, 'tls.key'),
    '-out',
    join(tlsDir, 'tls.crt'),
  ],
  { stdio: 'ignore' },
);
process.env.SIGHTLINE_CONTAINERS_TLS_DIR = tlsDir;
process.env.NODE_EXTRA_CA_CERTS = join(tlsDir, 'tls.crt');
process.on('exit', () => rmSync(tlsDir, { recursive: true, force: true }));

export default defineConfig({
  root: WORKSPACE_ROOT,
  ...workspaceSources,
  test: {
    name: 'containers',
    include: ['deploy/containers/**/*.containers.spec.ts'],
    pool: 'forks',
    // One fleet at a time: the suites share the engine and the machine's two cores.
    fileParallelism: false,
    expect: { poll: { timeout: 15_000, interval: 100 } },
    // Image start-up, health checks and compose commands on a loaded 2-core machine: minutes, not seconds.
    testTimeout: 600_000,
    hookTimeout: 900_000,
  },
});
