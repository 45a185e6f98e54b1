import { Tensor } from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { builtinManifest } from '../manifest.js';
import { BlazeFaceDecoder, generateAnchors } from './blazeface.js';

describe('BlazeFace anchors', () => {
  it('back 256 (strides 16,32,32,32): 16x16x2 then 8x8x6 = 896', () => {
    const anchors = generateAnchors(256, 256, [16, 32, 32, 32]);
    expect(anchors).toHaveLength(896);
    // First grid: two anchors per cell at the cell centre, row by row.
    expect(anchors[0]).toEqual({ x: 0.5 / 16, y: 0.5 / 16 });
    expect(anchors[1]).toEqual(anchors[0]);
    expect(anchors[2]).toEqual({ x: 1.5 / 16, y: 0.5 / 16 });
    expect(anchors[32]).toEqual({ x: 0.5 / 16, y: 1.5 / 16 });
    expect(anchors[511]).toEqual({ x: 15.5 / 16, y: 15.5 / 16 });
    // Second grid: six anchors per cell.
    expect(anchors[512]).toEqual({ x: 0.5 / 8, y: 0.5 / 8 });
    expect(anchors[517]).toEqual(anchors[512]);
    expect(anchors[518]).toEqual({ x: 1.5 / 8, y: 0.5 / 8 });
    expect(anchors[895]).toEqual({ x: 7.5 / 8, y: 7.5 / 8 });
  });

  it('front 128 (strides 8,16,16,16) has the same grids', () => {
    expect(generateAnchors(128, 128, [8, 16, 16, 16])).toEqual(generateAnchors(256, 256, [16, 32, 32, 32]));
  });
});

describe('BlazeFace decoding', () => {
  const manifest = builtinManifest('blazeface-back-256');
  const spec = manifest.decoder;
  if (spec.kind !== 'blazeface') throw new Error('a BlazeFace manifest was expected');
  // As the ORT session reports them for the vendored model.
  const shapes = {
    'Identity:0': [1, 512, 1],
    'Identity_1:0': [1, 384, 1],
    'Identity_2:0': [1, 512, 16],
    'Identity_3:0': [1, 384, 16],
  };
  const metadata = Object.entries(shapes).map(([name, shape]) => ({
    name,
    isTensor: true as const,
    type: 'float32' as const,
    shape,
  }));
  const outputs = (hit: { anchor: number; logit: number; regressors: number[] }) => {
    const scores = new Float32Array(896).fill(-10);
    const boxes = new Float32Array(896 * 16);
    scores[hit.anchor] = hit.logit;
    boxes.set(hit.regressors, hit.anchor * 16);
    return {
      'Identity:0': new Tensor('float32', scores.slice(0, 512), shapes['Identity:0']),
      'Identity_1:0': new Tensor('float32', scores.slice(512), shapes['Identity_1:0']),
      'Identity_2:0': new Tensor('float32', boxes.slice(0, 512 * 16), shapes['Identity_2:0']),
      'Identity_3:0': new Tensor('float32', boxes.slice(512 * 16), shapes['Identity_3:0']),
    };
  };
  const decoder = new BlazeFaceDecoder(spec, manifest, metadata);

  it('decodes regressors as pixel offsets from the anchor centre, with sigmoid scores', () => {
    // Anchor 518: second grid, cell (1, 0) → centre (48, 16) px.
    const regressors = [2, -4, 30, 40, ...[1, 1, -1, -1, 0, 3, 0, 6, -10, 2, 10, 2]];
    const [face, ...rest] = decoder.decode(outputs({ anchor: 518, logit: 2, regressors }), 0);
    expect(rest).toEqual([]);
    expect(face.score).toBeCloseTo(1 / (1 + Math.exp(-2)));
    expect(face.box).toEqual({ x: 50 - 15, y: 12 - 20, w: 30, h: 40 });
    expect(face.keypoints).toHaveLength(6);
    expect(face.keypoints?.[0]).toEqual({ x: 49, y: 17 });
    expect(face.keypoints?.[5]).toEqual({ x: 58, y: 18 });
  });

  it('clips huge logits instead of producing NaN, and drops scores under the threshold', () => {
    const [sure] = decoder.decode(outputs({ anchor: 0, logit: 1e6, regressors: [0, 0, 10, 10] }), 0);
    expect(sure.score).toBe(1);
    expect(decoder.decode(outputs({ anchor: 0, logit: 0, regressors: [] }), 0)).toEqual([]); // 0.5 < 0.6
  });

  it('refuses outputs that do not cover its anchors', () => {
    const wrong = metadata.map((m) => (m.name === 'Identity:0' ? { ...m, shape: [1, 500, 1] } : m));
    expect(() => new BlazeFaceDecoder(spec, manifest, wrong)).toThrow(expect.objectContaining({ code: 'MODEL_OUTPUT_MISMATCH' }));
  });
});
