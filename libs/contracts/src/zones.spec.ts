import { describe, expect, it } from 'vitest';
import { describeIssues, polygonProblem, sessionZonesSchema } from './schemas.js';

const square = [
  { x: 0, y: 0 },
  { x: 10, y: 0 },
  { x: 10, y: 10 },
  { x: 0, y: 10 },
];

describe('session zones', () => {
  it('accepts simple polygons (convex or not) and lines; zones and lines default to none', () => {
    const concave = [
      { x: 0, y: 0 },
      { x: 30, y: 0 },
      { x: 30, y: 30 },
      { x: 15, y: 10 },
      { x: 0, y: 30 },
    ];
    expect(polygonProblem(square)).toBeUndefined();
    expect(polygonProblem(concave)).toBeUndefined();
    expect(sessionZonesSchema.parse({})).toEqual({ zones: [], lines: [] });
    expect(
      sessionZonesSchema.safeParse({ zones: [{ id: 'a', polygon: concave }], lines: [{ id: 'l', a: { x: 0, y: 0 }, b: { x: 5, y: 5 } }] })
        .success,
    ).toBe(true);
  });

  it('refuses self-intersecting or flat polygons, duplicate ids, degenerate lines and out-of-range points', () => {
    const bowtie = [
      { x: 0, y: 0 },
      { x: 10, y: 10 },
      { x: 10, y: 0 },
      { x: 0, y: 10 },
    ];
    expect(polygonProblem(bowtie)).toMatch(/not simple: edge 0 crosses edge 2/);
    expect(
      polygonProblem([
        { x: 0, y: 0 },
        { x: 5, y: 5 },
        { x: 10, y: 10 },
      ]),
    ).toBe('polygon has no area');
    const result = sessionZonesSchema.safeParse({
      zones: [
        { id: 'a', polygon: bowtie },
        { id: 'a', polygon: square },
        { id: 'b', polygon: [{ x: -1, y: 0 }, ...square.slice(1)] },
      ],
      lines: [{ id: 'l', a: { x: 3, y: 3 }, b: { x: 3, y: 3 } }],
    });
    expect(result.success).toBe(false);
    const message = describeIssues(result.error!);
    expect(message).toMatch(/zones\.2\.polygon\.0\.x/);
    expect(message).toMatch(/duplicate zone or line id "a"/);
    expect(message).toMatch(/zones\.0\.polygon: polygon is not simple/);
    expect(message).toMatch(/lines\.0: line ends must differ/);
  });
});
