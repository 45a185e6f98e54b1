/**
 * Presentation times of decoded frames in a run timed by RTP (H.264 over RTSP): a frame takes the RTP time of the
 * sample it was decoded from (SampleLedger), and is published only when that time is after the last published one.
 *
 * A frame FFmpeg cannot trace to a sample (no input position) is skipped, not timed on FFmpeg's own clock: that
 * clock counts decoded frames only, so once units were dropped before decoding (catch-up) or lost, it is seconds
 * behind the RTP clock and the frame would go back in time. A second picture from the same sample (a picture split
 * in two by parameter sets between its slices) and a sample whose RTP time is not after the last published one
 * (a sender repeating a timestamp) are skipped too: a pts is never repeated nor goes back.
 */
export type FramePtsSkip = 'sameSample' | 'untraced' | 'notAfterPrevious';

export type FramePts = { ticks: number } | { skip: FramePtsSkip };

export class RtpFramePts<S extends { value: { pts: number } }> {
  private previous?: S;
  private lastTicks = Number.NEGATIVE_INFINITY;

  next(sample: S | undefined): FramePts {
    if (!sample) return { skip: 'untraced' };
    if (sample === this.previous) return { skip: 'sameSample' };
    this.previous = sample;
    if (sample.value.pts <= this.lastTicks) return { skip: 'notAfterPrevious' };
    this.lastTicks = sample.value.pts;
    return { ticks: sample.value.pts };
  }
}
