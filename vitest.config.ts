/**
 * One test command for the whole workspace: `npm test`.
 * - unit:        `*.spec.ts` next to the code; fast, may use fakes for collaborators.
 * - integration: `*.int.spec.ts`; real nats-server, PostgreSQL, FFmpeg and RTSP server, started by the tests.
 * Sources are compiled by SWC so Nest's decorator metadata (dependency injection) works as in the tsc build.
 */
import { readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import swc from 'unplugin-swc';
import { defineConfig } from 'vitest/config';

const root = import.meta.dirname;
const libAliases = Object.fromEntries(
  readdirSync(resolve(root, 'libs')).map((lib) => [`@sightline/${lib}`, resolve(root, 'libs', lib, 'src/index.ts')]),
);

export default defineConfig({
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
    pool: 'forks',
    maxWorkers: 2,
    // Polled assertions wait on real services (bcrypt logins, browser rendering) on a loaded 2-core CI box:
    // Vitest's 1 s default is a flake, not a bound on behaviour.
    expect: { poll: { timeout: 15_000, interval: 100 } },
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['{apps,libs,bench}/**/src/**/*.spec.ts', 'deploy/**/*.spec.ts'],
          // *.containers.spec.ts need a Docker engine and built images: `npm run test:containers` runs them.
          exclude: ['**/node_modules/**', '**/dist/**', '**/*.int.spec.ts', '**/*.containers.spec.ts'],
          testTimeout: 20_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['{apps,libs,deploy,tools}/**/*.int.spec.ts', 'bench/**/*.int.spec.ts'],
          exclude: ['**/node_modules/**', '**/dist/**'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
