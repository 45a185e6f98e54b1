import { describe, expect, it } from 'vitest';
import { assign } from './assignment.js';

describe('gated assignment', () => {
  it('finds the minimum total cost, not the greedy one', () => {
    // Greedy would take (0,0)=1 then (1,1)=10 → 11; optimal is (0,1)+(1,0) = 2+3 = 5.
    const result = assign(
      [
        [1, 2],
        [3, 10],
      ],
      2,
      2,
      100,
    );
    expect(result.matches).toEqual([
      [0, 1],
      [1, 0],
    ]);
    expect(result.unmatchedRows).toEqual([]);
  });

  it('drops pairs above the gate and reports who is left on both sides', () => {
    const result = assign(
      [
        [0.1, 0.95],
        [0.9, 0.97],
        [0.99, 0.2],
      ],
      3,
      2,
      0.8,
    );
    expect(result.matches).toEqual([
      [0, 0],
      [2, 1],
    ]);
    expect(result.unmatchedRows).toEqual([1]);
    expect(result.unmatchedCols).toEqual([]);
  });

  it('handles rectangular and empty matrices and never matches an infinite cost', () => {
    expect(assign([[Infinity, 0.3, 0.1]], 1, 3, 0.5)).toEqual({ matches: [[0, 2]], unmatchedRows: [], unmatchedCols: [0, 1] });
    expect(assign([[Infinity]], 1, 1, 0.5)).toEqual({ matches: [], unmatchedRows: [0], unmatchedCols: [0] });
    expect(assign([], 0, 2, 0.5)).toEqual({ matches: [], unmatchedRows: [], unmatchedCols: [0, 1] });
  });
});
