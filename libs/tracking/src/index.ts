export { assign, type AssignmentResult } from './assignment.js';
export {
  ByteTracker,
  DEFAULT_TRACKER_OPTIONS,
  pathSummary,
  type FrameUpdate,
  type Track,
  type TrackerOptions,
  type TrackerState,
} from './byte-tracker.js';
export { centreOf, crossing, iou, pointInPolygon, sideOf, type Point } from './geometry.js';
export { correct, initiate, predict, stateToBox, type KalmanState } from './kalman.js';
export { evaluateMot, type LabelledBox, type MotFrame, type MotSummary } from './mot-metrics.js';
export { DEFAULT_REORDER_OPTIONS, ReorderWindow, type OfferOutcome, type Released, type ReorderOptions } from './reorder-window.js';
export { SessionTracker, type SessionTrackerState, type TrackingEvent } from './session-tracker.js';
