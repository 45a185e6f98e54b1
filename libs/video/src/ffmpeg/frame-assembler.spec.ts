import { describe, expect, it } from 'vitest';
import { FrameAssembler } from './frame-assembler.js';

const FRAME = 6;
const bytes = (from: number, count: number) => Buffer.from(Array.from({ length: count }, (_, i) => (from + i) & 0xff));

describe('FrameAssembler', () => {
  it('cuts whole frames out of one chunk without copying', () => {
    const chunk = bytes(0, FRAME * 2);
    const frames = new FrameAssembler(FRAME).push(chunk);
    expect(frames.map((f) => [...f])).toEqual([[...bytes(0, FRAME)], [...bytes(FRAME, FRAME)]]);
    expect(frames[0]!.buffer).toBe(chunk.buffer); // a view of the chunk, not a copy
  });

  it('reassembles frames split across chunks of any size, in order', () => {
    const stream = bytes(0, FRAME * 5);
    for (const chunkSize of [1, 4, 5, 7, 13]) {
      const assembler = new FrameAssembler(FRAME);
      const frames: Buffer[] = [];
      for (let i = 0; i < stream.length; i += chunkSize) frames.push(...assembler.push(stream.subarray(i, i + chunkSize)));
      expect(Buffer.concat(frames).equals(stream)).toBe(true);
      expect(frames.every((f) => f.length === FRAME)).toBe(true);
      expect(assembler.pendingBytes).toBe(0);
    }
  });

  it('holds back an incomplete trailing frame', () => {
    const assembler = new FrameAssembler(FRAME);
    expect(assembler.push(bytes(0, FRAME + 2))).toHaveLength(1);
    expect(assembler.pendingBytes).toBe(2);
  });

  it('rejects a non-positive frame size', () => {
    expect(() => new FrameAssembler(0)).toThrow(RangeError);
  });
});
