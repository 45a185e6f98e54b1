/** Test support of @sightline/video for other projects' tests: `import { … } from '@sightline/video/testing'`. */
export * from './ingest-harness.js';
export * from './clock-shift-proxy.js';
