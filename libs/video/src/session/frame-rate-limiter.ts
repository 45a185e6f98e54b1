/**
 * Thins a session's frames to at most `maxFps` per second of presentation time, evenly spaced (60 → 30 keeps every
 * other frame, 60 → 20 every third): the analysis rate a host can sustain, chosen up front, instead of frames lost
 * to overload at random. H.264 still has to be decoded frame by frame; what is saved is everything after decoding
 * (publishing, inference, storage, delivery).
 */
export class FrameRateLimiter {
  private readonly interval: number;
  private nextDue = -Infinity;
  /** A frame this close before its due time is still kept: timestamps of live sources jitter. */
  private readonly tolerance: number;

  constructor(maxFps: number) {
    if (!(maxFps > 0)) throw new RangeError(`maxFps must be positive, got ${maxFps}`);
    this.interval = 1 / maxFps;
    this.tolerance = this.interval / 4;
  }

  /** Whether to keep the frame presented at `pts` seconds. */
  admit(pts: number): boolean {
    // Backwards by more than an interval (a timestamp reset): start a new grid.
    if (pts < this.nextDue - 2 * this.interval) this.nextDue = -Infinity;
    if (pts < this.nextDue - this.tolerance) return false;
    // On the grid while frames come regularly; after a gap (a reconnect, a stall), from this frame on.
    this.nextDue = pts - this.nextDue < this.interval ? this.nextDue + this.interval : pts + this.interval;
    return true;
  }
}
