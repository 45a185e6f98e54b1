// Single-file bundles of the built services and bench scripts for the GPU host, which has no npm and no registry.
// Kept external, shipped beside the bundles by stage.mjs: onnxruntime-node (native binding), @ffmpeg-installer
// (locates its binary on disk), swagger-ui-dist (static assets served from its folder on disk). Optional Nest/pg
// integrations are never loaded by our services.
// `npx rolldown -c bench/gpu/rolldown.config.mjs` writes tmp/gpu/stage/app/; stage.mjs builds into any folder.
const external = [
  /^onnxruntime-node/,
  /^@ffmpeg-installer/,
  /^swagger-ui-dist/,
  /^@nestjs\/microservices/,
  /^@nestjs\/websockets\/socket-module/,
  /^class-(validator|transformer)/,
  /^@fastify/,
  /^pg-native$/,
];
export const SERVICE_BUNDLES = {
  inference: 'apps/inference/dist/main.js',
  gateway: 'apps/gateway/dist/main.js',
  ingest: 'apps/ingest/dist/main.js',
  persistence: 'apps/persistence/dist/main.js',
};
const entries = {
  ...SERVICE_BUNDLES,
  bench: 'bench/run.mjs',
  'gpu-bench': 'bench/gpu/inference-bench.mjs',
  // Spawned by bench.mjs's concurrent baseline from beside it.
  'bare-worker': 'bench/lib/bare-worker.mjs',
};
export const bundleConfigs = (outDir) =>
  Object.entries(entries).map(([name, input]) => ({
    input,
    platform: 'node',
    external,
    output: { file: `${outDir}/${name}.mjs`, format: 'esm', codeSplitting: false },
  }));
export default bundleConfigs('tmp/gpu/stage/app');
