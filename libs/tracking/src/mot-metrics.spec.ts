import { describe, expect, it } from 'vitest';
import { evaluateMot } from './mot-metrics.js';

const at = (x: number, y = 0) => ({ x, y, w: 10, h: 10 });

describe('CLEAR-MOT and IDF1', () => {
  it('matches a hand-computed sequence with a swap, a false positive and misses', () => {
    const A = 1;
    const B = 2;
    const summary = evaluateMot([
      {
        truth: [
          { id: A, box: at(0) },
          { id: B, box: at(100) },
        ],
        hypotheses: [
          { id: 1, box: at(0) },
          { id: 2, box: at(100) },
        ],
      },
      // The hypotheses swap identities: two ID switches.
      {
        truth: [
          { id: A, box: at(0) },
          { id: B, box: at(100) },
        ],
        hypotheses: [
          { id: 1, box: at(100) },
          { id: 2, box: at(0) },
        ],
      },
      // Hypothesis 3 covers nothing: a false positive.
      {
        truth: [{ id: A, box: at(0) }],
        hypotheses: [
          { id: 2, box: at(0) },
          { id: 3, box: at(500) },
        ],
      },
      // Nothing detected: two misses.
      {
        truth: [
          { id: A, box: at(0) },
          { id: B, box: at(100) },
        ],
        hypotheses: [],
      },
    ]);
    expect(summary).toMatchObject({
      frames: 4,
      truthBoxes: 7,
      hypothesisBoxes: 6,
      matches: 5,
      misses: 2,
      falsePositives: 1,
      idSwitches: 2,
    });
    expect(summary.mota).toBeCloseTo(1 - 5 / 7, 10);
    expect(summary.motp).toBe(1);
    // Best id pairing: A↔2 (frames 2, 3) and B↔1 (frame 2): IDTP 3 (A↔1 + B↔2 would give only 2).
    expect(summary.idtp).toBe(3);
    expect(summary.idf1).toBeCloseTo(6 / 13, 10);
    expect(summary.idPrecision).toBeCloseTo(3 / 6, 10);
    expect(summary.idRecall).toBeCloseTo(3 / 7, 10);
  });

  it("keeps last frame's correspondence while it still overlaps, even when another hypothesis fits better", () => {
    const summary = evaluateMot([
      { truth: [{ id: 7, box: at(0) }], hypotheses: [{ id: 1, box: at(0) }] },
      // Hypothesis 1 moved by 2 px (IoU 0.67 ≥ 0.5): kept; hypothesis 2 is exact but a false positive.
      {
        truth: [{ id: 7, box: at(0) }],
        hypotheses: [
          { id: 1, box: at(2) },
          { id: 2, box: at(0) },
        ],
      },
    ]);
    expect(summary).toMatchObject({ matches: 2, falsePositives: 1, idSwitches: 0, misses: 0 });
    expect(summary.mota).toBeCloseTo(0.5, 10);
    expect(summary.motp).toBeCloseTo((1 + 80 / 120) / 2, 10);
  });

  it('scores a perfect tracker 1 and counts a re-identified object after a gap as a switch', () => {
    const perfect = evaluateMot([0, 1, 2].map((f) => ({ truth: [{ id: 1, box: at(f) }], hypotheses: [{ id: 9, box: at(f) }] })));
    expect(perfect).toMatchObject({ mota: 1, idf1: 1, idSwitches: 0 });
    const reborn = evaluateMot([
      { truth: [{ id: 1, box: at(0) }], hypotheses: [{ id: 9, box: at(0) }] },
      { truth: [{ id: 1, box: at(0) }], hypotheses: [] },
      { truth: [{ id: 1, box: at(0) }], hypotheses: [{ id: 10, box: at(0) }] },
    ]);
    expect(reborn).toMatchObject({ matches: 2, misses: 1, idSwitches: 1, idtp: 1 });
    expect(reborn.mota).toBeCloseTo(1 - 2 / 3, 10);
    expect(reborn.idf1).toBeCloseTo(2 / 5, 10);
  });
});
