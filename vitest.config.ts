/**
 * One test command for the whole workspace: `npm test`.
 * - unit:        `*.spec.ts` next to the code; fast, may use fakes for collaborators.
 * - integration: `*.int.spec.ts`; real nats-server, PostgreSQL, FFmpeg and RTSP server, started by the tests.
 * Sources are compiled by SWC (vitest.shared.ts) so Nest's decorator metadata works as in the tsc build.
 */
import { defineConfig } from 'vitest/config';
import { workspaceSources } from './vitest.shared.js';

export default defineConfig({
  ...workspaceSources,
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
          include: ['{apps,libs,deploy,bench}/**/*.int.spec.ts'],
          exclude: ['**/node_modules/**', '**/dist/**'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
