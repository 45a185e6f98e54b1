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
      // The contracts' sources, so that the module filter below can leave out the zod-building ones. The client SDK's
      // browser-safe modules come through its own subpath exports (@sightline/client/protocol, /backoff).
      '@sightline/contracts': resolve(repo, 'libs/contracts/src/index.ts'),
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
