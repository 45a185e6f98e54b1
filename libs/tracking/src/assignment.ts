/**
 * Minimum-cost assignment with a gate: the Hungarian algorithm (the `munkres` package, O(n³), rectangular matrices)
 * over a cost matrix, keeping only pairs whose cost is at most `maxCost`. Pairs beyond the gate are priced high
 * so the solver never trades a gated pair for a real one.
 */
import { munkres } from 'munkres';

export interface AssignmentResult {
  matches: Array<[row: number, col: number]>;
  unmatchedRows: number[];
  unmatchedCols: number[];
}

/** Any cost above this is "not allowed"; finite so the solver's arithmetic stays exact. */
const GATED = 1e6;

export function assign(cost: readonly (readonly number[])[], rows: number, cols: number, maxCost: number): AssignmentResult {
  const matches: Array<[number, number]> = [];
  if (rows > 0 && cols > 0) {
    const gated = cost.map((row) => row.map((c) => (Number.isFinite(c) && c <= maxCost ? c : GATED)));
    for (const [r, c] of munkres(gated)) if (gated[r]![c]! <= maxCost) matches.push([r, c]);
  }
  const matchedRows = new Set(matches.map(([r]) => r));
  const matchedCols = new Set(matches.map(([, c]) => c));
  return {
    matches: matches.sort((a, b) => a[0] - b[0]),
    unmatchedRows: Array.from({ length: rows }, (_, i) => i).filter((i) => !matchedRows.has(i)),
    unmatchedCols: Array.from({ length: cols }, (_, i) => i).filter((i) => !matchedCols.has(i)),
  };
}
