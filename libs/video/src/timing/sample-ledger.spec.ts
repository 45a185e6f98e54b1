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

  it('forgets samples older than the retention window, but never the newest', () => {
    let now = 0;
    const ledger = new SampleLedger<number>(1000, () => now);
    for (let i = 0; i < 3000; i++) {
      now = i * 10;
      ledger.record(10, i);
    }
    expect(ledger.size).toBeLessThanOrEqual(101);
    expect(ledger.lookup(0)).toBeUndefined();
    expect(ledger.lookup(2999 * 10 + 5)).toMatchObject({ value: 2999, start: 29990, writtenAt: 29990 });
    expect(ledger.lookup(2950 * 10)?.value).toBe(2950);
  });
});
