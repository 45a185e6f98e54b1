export { TrackingWorker } from './tracking-worker.js';
