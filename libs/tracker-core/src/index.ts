export { TrackingWorker, partitionOf, trackerConsumerName, type TrackingWorkerOptions } from './tracking-worker.js';
export { TrackerStateStore, type SessionSnapshot } from './state-store.js';
