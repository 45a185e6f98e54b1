/** Test support of @sightline/contracts for other projects' tests: `import { … } from '@sightline/contracts/testing'`. */
export * from './results.js';
