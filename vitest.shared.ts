/**
 * How every Vitest config of the workspace compiles and resolves sources: SWC, so Nest's decorator metadata
 * (dependency injection) works as in the tsc build, and `@sightline/<lib>` straight to each lib's `src/index.ts`.
 */
import { existsSync, readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import swc from 'unplugin-swc';

export const WORKSPACE_ROOT = import.meta.dirname;

export const workspaceSources = {
  plugins: [
    swc.vite({
      jsc: {
        parser: { syntax: 'typescript', decorators: true },
        transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
        target: 'es2022',
      },
    }),
  ],
  resolve: {
    alias: Object.fromEntries(
      readdirSync(resolve(WORKSPACE_ROOT, 'libs')).flatMap((lib) => [
        // `@sightline/<lib>/testing` (test support shared across projects) first: the plain alias would swallow it.
        ...(existsSync(resolve(WORKSPACE_ROOT, 'libs', lib, 'test-support/index.ts'))
          ? [[`@sightline/${lib}/testing`, resolve(WORKSPACE_ROOT, 'libs', lib, 'test-support/index.ts')]]
          : []),
        [`@sightline/${lib}`, resolve(WORKSPACE_ROOT, 'libs', lib, 'src/index.ts')],
      ]),
    ),
  },
};
