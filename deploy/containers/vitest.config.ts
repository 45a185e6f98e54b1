/**
 * Container tests (`npm run test:containers`, after deploy/containers/harness.sh has built the images): the compose
 * fleet on real containers. Not part of `npm test`: they need a Docker engine and the images.
 *
 * The TLS proxy serves a certificate made here, before the test workers start: the workers inherit
 * NODE_EXTRA_CA_CERTS, so fetch and the SDK's wss:// client verify the proxy as any client would.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import swc from 'unplugin-swc';
import { defineConfig } from 'vitest/config';

const root = resolve(import.meta.dirname, '../..');
const libAliases = Object.fromEntries(
  readdirSync(resolve(root, 'libs')).map((lib) => [`@sightline/${lib}`, resolve(root, 'libs', lib, 'src/index.ts')]),
);

const tlsDir = mkdtempSync(join(tmpdir(), 'sightline-containers-tls-'));
execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=localhost',
  '-addext', 'subjectAltName=DNS:localhost', '-keyout', join(tlsDir, 'tls.key'), '-out', join(tlsDir, 'tls.crt')], { stdio: 'ignore' });
process.env.SIGHTLINE_CONTAINERS_TLS_DIR = tlsDir;
process.env.NODE_EXTRA_CA_CERTS = join(tlsDir, 'tls.crt');
process.on('exit', () => rmSync(tlsDir, { recursive: true, force: true }));

export default defineConfig({
  root,
  plugins: [
    swc.vite({
      jsc: {
        parser: { syntax: 'typescript', decorators: true },
        transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
        target: 'es2022',
      },
    }),
  ],
  resolve: { alias: libAliases },
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
