export { AnalysisServer, type AnalysisServerOptions } from './analysis-server.js';
