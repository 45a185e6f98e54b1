// Single-file bundles of the built services and bench scripts for the GPU host, which has no npm and no registry.
// onnxruntime-node (native binding) and @ffmpeg-installer (locates its binary on disk) stay external, shipped beside
// the bundles; optional Nest/pg integrations are
// never loaded by our services.
const external = [/^onnxruntime-node/, /^@ffmpeg-installer/, /^@nestjs\/microservices/, /^@nestjs\/websockets\/socket-module/, /^class-(validator|transformer)/, /^@fastify/, /^pg-native$/];
const entries = {
  inference: 'apps/inference/dist/main.js',
  gateway: 'apps/gateway/dist/main.js',
  ingest: 'apps/ingest/dist/main.js',
  bench: 'bench/run.mjs',
  'gpu-bench': 'bench/gpu/inference-bench.mjs',
};
export default Object.entries(entries).map(([name, input]) => ({
  input,
  platform: 'node',
  external,
  output: { file: `tmp/gpu/stage/app/${name}.mjs`, format: 'esm', codeSplitting: false },
}));
