/** Test support of @sightline/vision for other projects' tests: `import { … } from '@sightline/vision/testing'`. */
export * from './frames.js';
export * from './onnx-model.js';
