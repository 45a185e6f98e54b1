import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The SDK is published without dependencies, so it holds its own copy of the runtime's queue. The copy must stay that
 * very file: the queue's behaviour is specified once, in libs/async/src/bounded-async-queue.spec.ts.
 */
describe('the SDK copy of BoundedAsyncQueue', () => {
  it('is byte-identical to libs/async/src/bounded-async-queue.ts', () => {
    const read = (path: string) => readFileSync(join(import.meta.dirname, path), 'utf8');
    expect(read('bounded-async-queue.ts')).toBe(read('../../async/src/bounded-async-queue.ts'));
  });
});
