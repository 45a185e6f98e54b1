import { describe, expect, it } from 'vitest';
import { SampleLedger } from './sample-ledger.js';

describe('SampleLedger', () => {
  it('finds the sample containing a byte position, also out of order (reordered frames)', () => {
    const ledger = new SampleLedger<string>();
    ledger.record(100, 'a'); // bytes 0..99
    ledger.record(50, 'b'); // 100..149
    ledger.record(10, 'c'); // 150..159
    expect(ledger.lookup(0)?.value).toBe('a');
    expect(ledger.lookup(149)?.value).toBe('b');
    expect(ledger.lookup(150)?.value).toBe('c');
    expect(ledger.lookup(100)?.value).toBe('b');
    expect(ledger.lookup(99)?.value).toBe('a');
    expect(ledger.lookup(160)).toBeUndefined(); // not written yet
  });

  it('keeps every sample however late the decoder is, and forgets those it is well past', () => {
    let now = 0;
    const ledger = new SampleLedger<number>(16_384, 8, () => now);
    for (let i = 0; i < 3000; i++) {
      now = i * 10;
      ledger.record(10, i);
    }
    // 30 s of samples and nothing looked up yet: all still there (a lagging decoder).
    expect(ledger.lookup(0)?.value).toBe(0);
    expect(ledger.lookup(1500 * 10)?.value).toBe(1500);
    // The decoder is at sample 1500: samples up to 8 before it stay findable (reordered frames), older ones go.
    expect(ledger.lookup(1492 * 10)?.value).toBe(1492);
    expect(ledger.lookup(1491 * 10)).toBeUndefined();
    expect(ledger.lookup(2999 * 10 + 5)).toMatchObject({ value: 2999, start: 29990, writtenAt: 29990 });
    expect(ledger.size).toBeLessThanOrEqual(9);
  });

  it('tells when the oldest sample not decoded yet was written (a backlog in the pipe)', () => {
    let now = 1000;
    const ledger = new SampleLedger<string>(65_536, 4096, () => now);
    ledger.record(100, 'a'); // bytes 0..99 at 1000
    now = 1040;
    ledger.record(50, 'b'); // 100..149 at 1040
    now = 1080;
    ledger.record(10, 'c'); // 150..159 at 1080
    expect(ledger.writtenAfter(-1)).toBe(1000); // nothing decoded yet
    expect(ledger.writtenAfter(0)).toBe(1040); // a frame from sample a came out
    expect(ledger.writtenAfter(100)).toBe(1080);
    expect(ledger.writtenAfter(150)).toBeUndefined(); // FFmpeg has everything written
  });

  it('bounds memory by count when nothing is looked up, never forgetting the newest', () => {
    const ledger = new SampleLedger<number>(100);
    for (let i = 0; i < 3000; i++) ledger.record(10, i);
    expect(ledger.size).toBe(100);
    expect(ledger.lookup(2899 * 10)).toBeUndefined();
    expect(ledger.lookup(2900 * 10)?.value).toBe(2900);
    expect(ledger.lookup(2999 * 10)?.value).toBe(2999);
  });
});
