import { describe, expect, it } from 'vitest';
import { CatchUpGate, type GateUnit } from './catch-up-gate.js';

const NOW = 1_000_000;
const unit = (kind: 'key' | 'ref' | 'nonref', ageMs: number): GateUnit => ({
  keyframe: kind === 'key',
  reference: kind !== 'nonref',
  arrivalMs: NOW - ageMs,
});

/** A gate past the decoder's start-up (armed by a decoded frame that kept up). */
function armedGate(): CatchUpGate {
  const gate = new CatchUpGate({ maxLagMs: 500 });
  gate.decoded(50, NOW - 50);
  return gate;
}

describe('CatchUpGate', () => {
  it('writes everything until the decoder has produced a frame (FFmpeg starting and probing reads slowly)', () => {
    const gate = new CatchUpGate({ maxLagMs: 500 });
    expect([unit('ref', 3000), unit('nonref', 3000)].map((u) => gate.decide(u, NOW))).toEqual(['write', 'write']);
    gate.decoded(50, NOW - 50);
    expect(gate.decide(unit('nonref', 3000), NOW)).toBe('dropNonReference');
  });

  it('writes everything while decoding keeps up', () => {
    const gate = armedGate();
    const decisions = [unit('key', 10), unit('ref', 400), unit('nonref', 500), unit('ref', 0)].map((u) => gate.decide(u, NOW));
    expect(decisions).toEqual(['write', 'write', 'write', 'write']);
    expect(gate.dropped).toBe(0);
  });

  it('drops non-reference units first when behind, and keeps the reference chain decodable', () => {
    const gate = armedGate();
    const decisions = [unit('nonref', 600), unit('ref', 600), unit('ref', 900), unit('nonref', 700)].map((u) => gate.decide(u, NOW));
    expect(decisions).toEqual(['dropNonReference', 'write', 'write', 'dropNonReference']);
    expect(gate.dropped).toBe(2);
  });

  it('in a stream with nothing non-reference to drop (baseline camera), skips to the next keyframe as soon as behind', () => {
    const gate = armedGate();
    // Lags of 0.5-1 s would otherwise be decoded, and every such frame is past inference's deadline.
    const units = [unit('ref', 400), unit('ref', 600), unit('ref', 100), unit('key', 700), unit('ref', 0)];
    expect(units.map((u) => gate.decide(u, NOW))).toEqual(['write', 'dropToKeyframe', 'dropToKeyframe', 'write', 'write']);
    expect(gate.dropped).toBe(2);
  });

  it("counts a backlog in FFmpeg's input pipe as behind, except what was written before the last resync", () => {
    const gate = armedGate();
    // Fresh unit, fresh decoded frame, but the oldest unit FFmpeg has not decoded yet was written 700 ms ago.
    expect(gate.decide(unit('nonref', 0), NOW, NOW - 400)).toBe('write');
    expect(gate.decide(unit('nonref', 0), NOW, NOW - 700)).toBe('dropNonReference');
    expect(gate.decide(unit('ref', 0), NOW, NOW - 1100)).toBe('dropToKeyframe');
    expect(gate.decide(unit('key', 0), NOW, NOW - 1100)).toBe('write');
    // Units written before the keyframe restarted decoding drain from the pipe; they do not make the gate drop again.
    expect(gate.decide(unit('nonref', 0), NOW + 10, NOW - 1100)).toBe('write');
    expect(gate.decide(unit('nonref', 0), NOW + 600, NOW + 50)).toBe('dropNonReference');
  });

  it('far behind, drops everything up to the next keyframe, writes it, and is live again', () => {
    const gate = armedGate();
    const units = [unit('ref', 1200), unit('ref', 100), unit('nonref', 100), unit('key', 1500), unit('ref', 100), unit('nonref', 100)];
    expect(units.map((u) => gate.decide(u, NOW))).toEqual([
      'dropToKeyframe',
      'dropToKeyframe',
      'dropToKeyframe',
      'write',
      'write',
      'write',
    ]);
    expect(gate.dropped).toBe(3);
  });

  it('counts a decoder whose output lags as behind, even when units do not wait in the queue', () => {
    const gate = armedGate();
    gate.decoded(800, NOW - 800);
    expect(gate.decide(unit('nonref', 0), NOW)).toBe('dropNonReference');
    expect(gate.decide(unit('ref', 0), NOW)).toBe('write');
    gate.decoded(1100, NOW - 1100);
    expect(gate.decide(unit('ref', 0), NOW)).toBe('dropToKeyframe');
    expect(gate.decide(unit('key', 0), NOW)).toBe('write');
    // The keyframe restarted decoding from live: the old lag no longer counts, nor that of frames written before it
    // (they sat in the pipe), while a fresh frame's lag does.
    expect(gate.decide(unit('nonref', 0), NOW)).toBe('write');
    gate.decoded(2000, NOW - 2000);
    expect(gate.decide(unit('nonref', 0), NOW + 10)).toBe('write');
    gate.decoded(700, NOW + 5);
    expect(gate.decide(unit('nonref', 0), NOW + 705)).toBe('dropNonReference');
  });
});
