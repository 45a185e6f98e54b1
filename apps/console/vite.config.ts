/**
 * Builds the console SPA (web/) into dist/public, which the console server (and, through it, the compose proxy)
 * serves under /console/. Preact's JSX runtime via Vite's built-in transform; no dev-only plugins.
 */
import { resolve } from 'node:path';
import { defineConfig } from 'vite';

const repo = resolve(import.meta.dirname, '../..');

export default defineConfig({
  root: resolve(import.meta.dirname, 'web'),
  base: '/console/',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  resolve: {
    alias: {
      // Browser-safe sources of workspace libs (their package entry points pull in Node-only modules or need a build).
      '@sightline/contracts': resolve(repo, 'libs/contracts/src/index.ts'),
      // Workaround until @sightline/client exports its browser-safe modules on their own (see docs/console.md): its
      // entry point pulls in `ws` and node:events.
      '@sightline/client/backoff': resolve(repo, 'libs/client/src/backoff.ts'),
      '@sightline/client/protocol': resolve(repo, 'libs/client/src/protocol.ts'),
    },
  },
  build: {
    outDir: resolve(import.meta.dirname, 'dist/public'),
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 200,
    rolldownOptions: {
      // The contracts' modules only define things: one the console takes nothing from (the zod schemas) is left out
      // instead of being kept for its module-level schema construction (zod would be most of the bundle).
      treeshake: { moduleSideEffects: (id: string) => !id.includes('/libs/contracts/src/') },
    },
  },
});
