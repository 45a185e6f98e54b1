/**
 * Cuts FFmpeg's raw-video stdout into exact frame-size buffers. Whole frames inside a chunk are zero-copy views of
 * it; only a frame split across chunks is copied, once, into a buffer of its own.
 */
export class FrameAssembler {
  private partial?: Buffer;
  private filled = 0;

  constructor(readonly frameBytes: number) {
    if (!Number.isInteger(frameBytes) || frameBytes <= 0) throw new RangeError(`invalid frame size ${frameBytes}`);
  }

  /** Bytes of an incomplete frame held back (non-zero at the end means the output was truncated). */
  get pendingBytes(): number {
    return this.filled;
  }

  push(chunk: Buffer): Buffer[] {
    const frames: Buffer[] = [];
    let offset = 0;
    if (this.partial) {
      const take = Math.min(this.frameBytes - this.filled, chunk.length);
      chunk.copy(this.partial, this.filled, 0, take);
      this.filled += take;
      offset = take;
      if (this.filled < this.frameBytes) return frames;
      frames.push(this.partial);
      this.partial = undefined;
      this.filled = 0;
    }
    for (; chunk.length - offset >= this.frameBytes; offset += this.frameBytes) {
      frames.push(chunk.subarray(offset, offset + this.frameBytes));
    }
    if (offset < chunk.length) {
      this.partial = Buffer.allocUnsafe(this.frameBytes);
      this.filled = chunk.copy(this.partial, 0, offset);
    }
    return frames;
  }
}
