/**
 * Frames arrive as 8-bit pixels already letterboxed to the model input size by FFmpeg; packing turns them into the
 * model's input tensor (layout, range, channel order). A float32 input is converted value by value; a uint8 input
 * (the model scales the bytes itself) takes a frame whose bytes are already in its layout as they are — no copy for
 * a run of one frame, one copy per frame into the batch otherwise. One buffer per batch size is allocated on first
 * use and reused afterwards: nothing is allocated per frame.
 */
import { BYTES_PER_PIXEL, SightlineError, type FrameMeta, type PixelFormat } from '@sightline/contracts';
import type { ChannelOrder, ModelInputSpec, PixelRange } from './manifest.js';
import { VisionErrorCode } from './errors.js';

export interface InputFrame {
  pixels: Uint8Array;
  meta: Pick<FrameMeta, 'frame' | 'letterbox' | 'source'>;
}

const CHANNELS = 3;

/** 8-bit value → model value, as a lookup table (one multiply-add per value otherwise). */
function rangeLookup(range: PixelRange): Float32Array {
  const [scale, offset] = { '[-1,1]': [2 / 255, -1], '[0,1]': [1 / 255, 0], '[0,255]': [1, 0] }[range];
  return Float32Array.from({ length: 256 }, (_, v) => v * scale + offset);
}

const IDENTITY = Uint8Array.from({ length: 256 }, (_, v) => v);

/** For each model channel, the byte offset within a source pixel that feeds it. */
function sourceChannelOffsets(format: PixelFormat, order: ChannelOrder): readonly number[] {
  if (format === 'gray') return [0, 0, 0];
  return (format === 'rgb24') === (order === 'rgb') ? [0, 1, 2] : [2, 1, 0];
}

type TensorValues = Float32Array | Uint8Array;

export class InputTensorPacker {
  /** Per batch size: the reusable buffer and how many leading slots hold frame data (the rest are zeros). */
  private readonly buffers = new Map<number, { values: TensorValues; written: number }>();
  private readonly toModelValue: Float32Array;
  private readonly pixelsPerFrame: number;
  /** The tensor's element type. */
  readonly type: 'float32' | 'uint8';

  constructor(private readonly input: ModelInputSpec) {
    this.toModelValue = rangeLookup(input.range);
    this.pixelsPerFrame = input.width * input.height;
    this.type = input.type ?? 'float32';
  }

  dims(batchSize: number): number[] {
    const { width, height, layout } = this.input;
    return layout === 'NHWC' ? [batchSize, height, width, CHANNELS] : [batchSize, CHANNELS, height, width];
  }

  /**
   * Packs `frames` into the reusable buffer for `batchSize` (a fixed-batch model may need more slots than frames;
   * the spare slots are zeroed). The buffer is overwritten by the next call with the same batch size.
   */
  pack(frames: readonly InputFrame[], batchSize = frames.length): TensorValues {
    if (frames.length === 0 || frames.length > batchSize) {
      throw new RangeError(`cannot pack ${frames.length} frames into a batch of ${batchSize}`);
    }
    const frameValues = this.pixelsPerFrame * CHANNELS;
    // A uint8 input of one frame already laid out as the model wants it: the frame's bytes are the tensor.
    if (batchSize === 1 && this.type === 'uint8' && this.isModelLayout(frames[0])) {
      this.checkSize(frames[0]);
      return frames[0].pixels.length === frameValues ? frames[0].pixels : frames[0].pixels.subarray(0, frameValues);
    }
    let buffer = this.buffers.get(batchSize);
    if (!buffer) {
      const values = this.type === 'uint8' ? new Uint8Array(batchSize * frameValues) : new Float32Array(batchSize * frameValues);
      buffer = { values, written: 0 };
      this.buffers.set(batchSize, buffer);
    }
    const { values } = buffer;
    frames.forEach((frame, index) => this.packFrame(frame, values, index * frameValues));
    // Only slots the previous run wrote need zeroing again: a padded run (every CUDA run) stays cheap.
    if (buffer.written > frames.length) values.fill(0, frames.length * frameValues, buffer.written * frameValues);
    buffer.written = frames.length;
    return values;
  }

  /** 3 bytes per pixel, interleaved, in the model's channel order: what an NHWC uint8 input is. */
  private isModelLayout({ meta }: InputFrame): boolean {
    return this.input.layout === 'NHWC' && sourceChannelOffsets(meta.frame.pixelFormat, this.input.channelOrder).join() === '0,1,2';
  }

  private checkSize({ pixels, meta }: InputFrame): void {
    const { width, height } = this.input;
    const bytesPerPixel = BYTES_PER_PIXEL[meta.frame.pixelFormat];
    const sizeMatches = meta.frame.width === width && meta.frame.height === height;
    if (!sizeMatches || pixels.length < this.pixelsPerFrame * bytesPerPixel) {
      throw new SightlineError(
        VisionErrorCode.frameSizeMismatch,
        `frame ${meta.frame.width}x${meta.frame.height} (${pixels.length} bytes) does not match the model input ` +
          `${width}x${height}; ingest must letterbox to the model size`,
        { frame: meta.frame, bytes: pixels.length, modelInput: { width, height } },
      );
    }
  }

  private packFrame(frame: InputFrame, out: TensorValues, base: number): void {
    this.checkSize(frame);
    const { pixels, meta } = frame;
    if (out instanceof Uint8Array && this.isModelLayout(frame)) {
      out.set(pixels.subarray(0, this.pixelsPerFrame * CHANNELS), base);
      return;
    }
    const { layout, channelOrder } = this.input;
    const { pixelFormat } = meta.frame;
    const bytesPerPixel = BYTES_PER_PIXEL[pixelFormat];
    const [c0, c1, c2] = sourceChannelOffsets(pixelFormat, channelOrder);
    // NHWC interleaves channels per pixel; NCHW stores one plane per channel.
    const pixelStride = layout === 'NHWC' ? CHANNELS : 1;
    const channelStride = layout === 'NHWC' ? 1 : this.pixelsPerFrame;
    // A uint8 input takes the bytes unscaled (reordered only); a float input through the range's lookup table.
    const lut = out instanceof Uint8Array ? IDENTITY : this.toModelValue;
    for (let p = 0, src = 0, dst = base; p < this.pixelsPerFrame; p++, src += bytesPerPixel, dst += pixelStride) {
      out[dst] = lut[pixels[src + c0]];
      out[dst + channelStride] = lut[pixels[src + c1]];
      out[dst + 2 * channelStride] = lut[pixels[src + c2]];
    }
  }
}
