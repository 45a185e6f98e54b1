import { baseConfigShape, env, loadConfig } from '@sightline/config';

/** Environment variables of the inference service (documented in docs/configuration.md). */
export const inferenceConfigShape = {
  ...baseConfigShape,
  HTTP_PORT: env.port(3002),
};

export type INFERENCEConfig = ReturnType<typeof loadINFERENCEConfig>;
export const loadINFERENCEConfig = (source: NodeJS.ProcessEnv = process.env) => loadConfig(inferenceConfigShape, source);
