import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '.nx/**', '.data/**', 'tmp/**', 'apps/console/dist/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: globals.node },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['**/apps/**', '@sightline/*-service'], message: 'libs never import apps' }] },
      ],
    },
  },
  {
    // Dependency direction: runtime code (every service and the libs they load) never depends on dev and test
    // tooling (local-infra, fleet) or on the published agent SDK (client). Specs and test support may.
    files: ['apps/*/src/**/*.ts', 'libs/*/src/**/*.ts'],
    ignores: ['**/*.spec.ts', 'libs/local-infra/**', 'libs/fleet/**', 'libs/client/**', 'apps/console/web/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['**/apps/**', '@sightline/*-service'], message: 'libs never import apps' },
            {
              group: ['@sightline/local-infra', '@sightline/fleet'],
              message: 'runtime code never depends on dev/test tooling (local-infra, fleet)',
            },
            {
              group: ['@sightline/client', '@sightline/client/*'],
              message: 'servers never depend on the agent SDK: shared wire types live in @sightline/contracts',
            },
            { group: ['**/test-support/**', '**/test/**', '@sightline/*/testing'], message: 'runtime code never imports test support' },
          ],
        },
      ],
    },
  },
  {
    files: ['libs/contracts/src/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['@sightline/*'], message: 'contracts imports nothing of ours' }] }],
    },
  },
  {
    // Type-aware: a promise nobody awaits or handles is a silent failure (`void promise` marks the deliberate ones).
    files: [
      'apps/*/src/**/*.ts',
      'apps/*/test/**/*.ts',
      'libs/*/src/**/*.ts',
      'libs/*/test/**/*.ts',
      'libs/*/test-support/**/*.ts',
      'deploy/**/*.ts',
    ],
    ignores: ['**/dist/**'],
    languageOptions: { parserOptions: { project: ['./tsconfig.lint.json'], tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
    },
  },
  {
    files: ['**/*.mjs', '**/*.cjs', 'bench/**/*.js'],
    languageOptions: { globals: globals.node },
  },
);
