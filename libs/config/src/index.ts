export { ConfigError, baseConfigShape, env, loadConfig } from './config.js';
