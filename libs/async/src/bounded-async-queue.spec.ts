import { describe, expect, it } from 'vitest';
import { BoundedAsyncQueue } from './bounded-async-queue.js';

/** Lets every pending promise callback run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

async function drain<T>(queue: BoundedAsyncQueue<T>): Promise<T[]> {
  const taken: T[] = [];
  for await (const item of queue) taken.push(item);
  return taken;
}

describe('BoundedAsyncQueue', () => {
  describe('hand-off', () => {
    it('delivers in order, straight to a consumer that is already waiting', async () => {
      const queue = new BoundedAsyncQueue<string>();
      const first = queue.next();
      const second = queue.next();
      await queue.push('a');
      await queue.push('b');
      await queue.push('c');
      expect(queue.length).toBe(1);
      expect([await first, await second, await queue.next()]).toEqual([
        { done: false, value: 'a' },
        { done: false, value: 'b' },
        { done: false, value: 'c' },
      ]);
    });
  });

  describe('ending', () => {
    it('end(): what is queued is still taken, then iteration is done, and stays done', async () => {
      const queue = new BoundedAsyncQueue<number>();
      await queue.push(1);
      await queue.push(2);
      queue.end();
      await queue.push(3);
      expect(queue.ended).toBe(true);
      expect(await drain(queue)).toEqual([1, 2]);
      expect(await queue.next()).toEqual({ done: true, value: undefined });
    });

    it('end() releases every waiting consumer with done', async () => {
      const queue = new BoundedAsyncQueue<number>();
      const waiting = [queue.next(), queue.next()];
      queue.end();
      expect(await Promise.all(waiting)).toEqual([
        { done: true, value: undefined },
        { done: true, value: undefined },
      ]);
    });

    it('end(error): what is queued is still taken, then every next() rejects with that error', async () => {
      const queue = new BoundedAsyncQueue<number>();
      const failure = new Error('server went away');
      await queue.push(1);
      queue.end(failure);
      queue.end(new Error('a later end changes nothing'));
      expect(await queue.next()).toEqual({ done: false, value: 1 });
      await expect(queue.next()).rejects.toBe(failure);
      await expect(queue.next()).rejects.toBe(failure);
    });

    it('end(error) rejects a waiting consumer and ends a for-await loop with the error', async () => {
      const queue = new BoundedAsyncQueue<number>();
      const failure = new Error('boom');
      const waiting = queue.next();
      const looping = drain(queue);
      queue.end(failure);
      await expect(waiting).rejects.toBe(failure);
      await expect(looping).rejects.toBe(failure);
    });

    it('close() discards what is queued (not reported as drops) and ends at once', async () => {
      const dropped: number[] = [];
      const queue = new BoundedAsyncQueue<number>({ capacity: 4, overflow: 'dropOldest', onDrop: (n) => dropped.push(n) });
      await queue.push(7);
      await queue.push(8);
      queue.close();
      await queue.push(9);
      expect(queue.length).toBe(0);
      expect(await queue.next()).toEqual({ done: true, value: undefined });
      expect(dropped).toEqual([]);
    });

    it('leaving a for-await loop early closes the queue', async () => {
      const queue = new BoundedAsyncQueue<number>();
      for (const n of [1, 2, 3]) await queue.push(n);
      for await (const n of queue) {
        expect(n).toBe(1);
        break;
      }
      expect(queue.ended).toBe(true);
      expect(queue.length).toBe(0);
    });
  });

  describe('overflow: dropOldest', () => {
    it('makes room by dropping the oldest item, reporting each drop', async () => {
      const dropped: number[] = [];
      const queue = new BoundedAsyncQueue<number>({ capacity: 2, overflow: 'dropOldest', onDrop: (n) => dropped.push(n) });
      for (const n of [1, 2, 3, 4]) await queue.push(n);
      expect(dropped).toEqual([1, 2]);
      expect(queue.producerBlocked).toBe(false);
      queue.end();
      expect(await drain(queue)).toEqual([3, 4]);
    });
  });

  describe('overflow: wait', () => {
    it('makes the producer wait for room, losing nothing', async () => {
      const queue = new BoundedAsyncQueue<number>({ capacity: 1, overflow: 'wait', onDrop: () => expect.fail('nothing may be dropped') });
      await queue.push(1);
      let secondStored = false;
      const second = queue.push(2).then(() => (secondStored = true));
      await settle();
      expect(queue.producerBlocked).toBe(true);
      expect(secondStored).toBe(false);
      expect(queue.length).toBe(1);
      expect(await queue.next()).toEqual({ done: false, value: 1 });
      await second;
      expect(queue.producerBlocked).toBe(false);
      expect(await queue.next()).toEqual({ done: false, value: 2 });
    });

    it('keeps the order of several waiting producers', async () => {
      const queue = new BoundedAsyncQueue<number>({ capacity: 1, overflow: 'wait' });
      const pushes = [1, 2, 3, 4].map((n) => queue.push(n));
      const taken: number[] = [];
      for (let i = 0; i < 4; i++) {
        const result = await queue.next();
        if (!result.done) taken.push(result.value);
      }
      await Promise.all(pushes);
      expect(taken).toEqual([1, 2, 3, 4]);
    });

    it('releases a waiting producer when ended, and its item is discarded', async () => {
      const queue = new BoundedAsyncQueue<number>({ capacity: 1, overflow: 'wait' });
      await queue.push(1);
      const blocked = queue.push(2);
      queue.close();
      await blocked;
      expect(queue.producerBlocked).toBe(false);
      expect(await queue.next()).toEqual({ done: true, value: undefined });
    });

    it('after end(), a released producer’s item is not queued behind the drained ones', async () => {
      const queue = new BoundedAsyncQueue<number>({ capacity: 1, overflow: 'wait' });
      await queue.push(1);
      const blocked = queue.push(2);
      queue.end();
      await blocked;
      expect(await drain(queue)).toEqual([1]);
    });
  });

  describe('water marks', () => {
    it('calls onHigh once on reaching high water and onLow once on draining to low water', async () => {
      const calls: string[] = [];
      const queue = new BoundedAsyncQueue<number>({
        highWater: 4,
        lowWater: 1,
        onHigh: () => calls.push(`high at ${queue.length}`),
        onLow: () => calls.push(`low at ${queue.length}`),
      });
      for (let n = 1; n <= 6; n++) await queue.push(n); // items pushed above high water are kept
      expect(calls).toEqual(['high at 4']);
      expect(queue.congested).toBe(true);
      expect(queue.length).toBe(6);
      for (let i = 0; i < 4; i++) await queue.next();
      expect(calls).toEqual(['high at 4']);
      await queue.next();
      expect(calls).toEqual(['high at 4', 'low at 1']);
      expect(queue.congested).toBe(false);
      await queue.next();
      await queue.push(7);
      expect(calls).toHaveLength(2);
    });

    it('after resetCongestion() (a new producer), asks again at high water and not before', async () => {
      const calls: string[] = [];
      const queue = new BoundedAsyncQueue<number>({
        highWater: 4,
        onHigh: () => calls.push(`high at ${queue.length}`),
        onLow: () => calls.push(`low at ${queue.length}`),
      });
      for (let n = 1; n <= 4; n++) await queue.push(n);
      await queue.next(); // 3 left, above low water (2)
      queue.resetCongestion();
      expect(queue.congested).toBe(false);
      await queue.next(); // 2 left: no onLow, nobody was asked to pause
      await queue.push(5); // 3 waiting
      expect(calls).toEqual(['high at 4']);
      await queue.push(6);
      expect(calls).toEqual(['high at 4', 'high at 4']);
    });

    it('defaults low water to half of high water (rounded down)', async () => {
      const calls: string[] = [];
      const queue = new BoundedAsyncQueue<number>({
        highWater: 5,
        onHigh: () => calls.push('high'),
        onLow: () => calls.push(`low at ${queue.length}`),
      });
      for (let n = 0; n < 5; n++) await queue.push(n);
      while (calls.length < 2) await queue.next();
      expect(calls).toEqual(['high', 'low at 2']);
    });

    it('counts only what waits: items handed straight to a consumer never reach high water', async () => {
      let highs = 0;
      const queue = new BoundedAsyncQueue<number>({ highWater: 1, onHigh: () => highs++ });
      for (let n = 0; n < 3; n++) {
        const taken = queue.next();
        await queue.push(n);
        expect(await taken).toEqual({ done: false, value: n });
      }
      expect(highs).toBe(0);
    });

    it('with high water 0, asks the producer to pause at every queued item and to go on once it is taken', async () => {
      const calls: string[] = [];
      const queue = new BoundedAsyncQueue<number>({ highWater: 0, onHigh: () => calls.push('high'), onLow: () => calls.push('low') });
      await queue.push(1);
      await queue.next();
      expect(calls).toEqual(['high', 'low']);
    });
  });

  describe('options', () => {
    it('refuses a capacity below 1', () => {
      expect(() => new BoundedAsyncQueue({ capacity: 0 })).toThrow(RangeError);
    });
  });
});
