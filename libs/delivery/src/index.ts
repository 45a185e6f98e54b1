export { AnalysisServer } from './analysis-server.js';
