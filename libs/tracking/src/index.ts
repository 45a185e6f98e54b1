export { DEFAULT_TRACKER_OPTIONS, type TrackerOptions } from './byte-tracker.js';
export { iou } from './geometry.js';
export { evaluateMot } from './mot-metrics.js';
export { DEFAULT_REORDER_OPTIONS, ReorderWindow, type ReorderOptions } from './reorder-window.js';
export { SessionTracker, type SessionTrackerState, type TrackingEvent } from './session-tracker.js';
