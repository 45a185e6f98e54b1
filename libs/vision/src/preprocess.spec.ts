import { describe, expect, it } from 'vitest';
import type { PixelFormat } from '@sightline/contracts';
import type { ModelInputSpec } from './manifest.js';
import { InputTensorPacker, type InputFrame } from './preprocess.js';

/** 2x1 model input; pixel 0 is (10, 20, 30) and pixel 1 is (40, 50, 60) in RGB. */
const input = (overrides: Partial<ModelInputSpec> = {}): ModelInputSpec => ({
  name: 'x',
  width: 2,
  height: 1,
  layout: 'NHWC',
  range: '[0,255]',
  channelOrder: 'rgb',
  ...overrides,
});

function frame(bytes: number[], pixelFormat: PixelFormat = 'rgb24'): InputFrame {
  return {
    pixels: Uint8Array.from(bytes),
    meta: {
      source: { width: 2, height: 1 },
      frame: { width: 2, height: 1, pixelFormat },
      letterbox: { scale: 1, padX: 0, padY: 0 },
    },
  };
}
const RGB = [10, 20, 30, 40, 50, 60];

describe('InputTensorPacker', () => {
  it('interleaves channels for NHWC and writes planes for NCHW', () => {
    expect([...new InputTensorPacker(input()).pack([frame(RGB)])]).toEqual([10, 20, 30, 40, 50, 60]);
    expect([...new InputTensorPacker(input({ layout: 'NCHW' })).pack([frame(RGB)])]).toEqual([10, 40, 20, 50, 30, 60]);
    expect(new InputTensorPacker(input()).dims(3)).toEqual([3, 1, 2, 3]);
    expect(new InputTensorPacker(input({ layout: 'NCHW' })).dims(3)).toEqual([3, 3, 1, 2]);
  });

  it('scales 0..255 to the model range', () => {
    const bytes = [0, 255, 51, 0, 0, 0];
    const minusOneToOne = new InputTensorPacker(input({ range: '[-1,1]' })).pack([frame(bytes)]);
    expect([...minusOneToOne.slice(0, 3)].map((v) => Number(v.toFixed(5)))).toEqual([-1, 1, -0.6]);
    const zeroToOne = new InputTensorPacker(input({ range: '[0,1]' })).pack([frame(bytes)]);
    expect([...zeroToOne.slice(0, 3)].map((v) => Number(v.toFixed(5)))).toEqual([0, 1, 0.2]);
  });

  it('swaps channels when frame and model orders differ, and spreads grey over three channels', () => {
    const bgrModel = new InputTensorPacker(input({ channelOrder: 'bgr' }));
    expect([...bgrModel.pack([frame(RGB)])]).toEqual([30, 20, 10, 60, 50, 40]);
    expect([...new InputTensorPacker(input()).pack([frame([30, 20, 10, 60, 50, 40], 'bgr24')])]).toEqual(RGB);
    expect([...bgrModel.pack([frame([30, 20, 10, 60, 50, 40], 'bgr24')])]).toEqual([30, 20, 10, 60, 50, 40]);
    expect([...new InputTensorPacker(input()).pack([frame([7, 9], 'gray')])]).toEqual([7, 7, 7, 9, 9, 9]);
  });

  it('batches frames one after the other, reusing one buffer per batch size', () => {
    const packer = new InputTensorPacker(input({ layout: 'NCHW' }));
    const batch = packer.pack([frame(RGB), frame([1, 2, 3, 4, 5, 6])]);
    expect([...batch]).toEqual([10, 40, 20, 50, 30, 60, 1, 4, 2, 5, 3, 6]);
    const again = packer.pack([frame([6, 5, 4, 3, 2, 1]), frame(RGB)]);
    expect(again).toBe(batch);
    expect(packer.pack([frame(RGB)])).not.toBe(batch);
  });

  it('zeroes the spare slots of a fixed-size batch', () => {
    const packer = new InputTensorPacker(input());
    packer.pack([frame(RGB), frame(RGB)]);
    expect([...packer.pack([frame(RGB)], 2)]).toEqual([...RGB, 0, 0, 0, 0, 0, 0]);
    expect([...packer.pack([frame([6, 5, 4, 3, 2, 1])], 2)]).toEqual([6, 5, 4, 3, 2, 1, 0, 0, 0, 0, 0, 0]);
    packer.pack([frame(RGB), frame(RGB)], 2);
    expect([...packer.pack([frame(RGB)], 2)]).toEqual([...RGB, 0, 0, 0, 0, 0, 0]);
  });

  it('rejects frames that are not letterboxed to the model size', () => {
    const sizeMismatch = expect.objectContaining({ code: 'FRAME_SIZE_MISMATCH' });
    expect(() => new InputTensorPacker(input({ width: 4 })).pack([frame(RGB)])).toThrow(sizeMismatch);
    expect(() => new InputTensorPacker(input()).pack([frame(RGB.slice(0, 5))])).toThrow(sizeMismatch);
  });

  describe('uint8 input (the model scales the bytes itself)', () => {
    const uint8 = (overrides: Partial<ModelInputSpec> = {}) =>
      new InputTensorPacker(input({ type: 'uint8', range: '[-1,1]', ...overrides }));

    it('takes one frame already in the model layout as the tensor itself: no copy, no scaling', () => {
      const single = frame(RGB);
      const packed = uint8().pack([single]);
      expect(packed).toBeInstanceOf(Uint8Array);
      expect(packed).toBe(single.pixels);
      expect(uint8().type).toBe('uint8');
    });

    it('copies a batch frame by frame, unscaled, and zeroes the spare slots', () => {
      const packer = uint8();
      const batch = packer.pack([frame(RGB), frame([1, 2, 3, 4, 5, 6])], 3);
      expect([...batch]).toEqual([...RGB, 1, 2, 3, 4, 5, 6, 0, 0, 0, 0, 0, 0]);
      expect(packer.pack([frame([6, 5, 4, 3, 2, 1])], 3)).toBe(batch);
      expect([...batch]).toEqual([6, 5, 4, 3, 2, 1, ...Array(12).fill(0)]);
    });

    it('reorders channels and lays out planes when the frame is not in the model layout', () => {
      expect([...uint8().pack([frame([30, 20, 10, 60, 50, 40], 'bgr24')])]).toEqual(RGB);
      expect([...uint8().pack([frame([7, 9], 'gray')])]).toEqual([7, 7, 7, 9, 9, 9]);
      expect([...uint8({ layout: 'NCHW' }).pack([frame(RGB)])]).toEqual([10, 40, 20, 50, 30, 60]);
    });

    it('still rejects frames of the wrong size', () => {
      expect(() => uint8({ width: 4 }).pack([frame(RGB)])).toThrow(expect.objectContaining({ code: 'FRAME_SIZE_MISMATCH' }));
    });
  });
});
