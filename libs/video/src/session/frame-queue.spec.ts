import { describe, expect, it } from 'vitest';
import { FrameQueue } from './frame-queue.js';

describe('FrameQueue', () => {
  it('drops the oldest item when a live queue is full', async () => {
    const dropped: number[] = [];
    const queue = new FrameQueue<number>(2, 'dropOldest', (n) => dropped.push(n));
    for (const n of [1, 2, 3, 4]) await queue.put(n);
    expect(dropped).toEqual([1, 2]);
    expect([await queue.take(), await queue.take()]).toEqual([3, 4]);
  });

  it('makes a batch producer wait for space, losing nothing', async () => {
    const queue = new FrameQueue<number>(1, 'wait', () => expect.fail('nothing may be dropped'));
    await queue.put(1);
    let secondStored = false;
    const second = queue.put(2).then(() => (secondStored = true));
    await new Promise((r) => setTimeout(r, 10));
    expect(queue.producerBlocked).toBe(true);
    expect(secondStored).toBe(false);
    expect(await queue.take()).toBe(1);
    await second;
    expect(queue.producerBlocked).toBe(false);
    expect(await queue.take()).toBe(2);
  });

  it('hands an item straight to a waiting taker', async () => {
    const queue = new FrameQueue<string>(1, 'wait', () => undefined);
    const taken = queue.take();
    await queue.put('a');
    expect(await taken).toBe('a');
  });

  it('drains, then ends takers after close; discard reports what was left', async () => {
    const dropped: number[] = [];
    const queue = new FrameQueue<number>(4, 'wait', (n) => dropped.push(n));
    await queue.put(1);
    queue.close();
    expect(await queue.take()).toBe(1);
    expect(await queue.take()).toBeUndefined();

    const discarding = new FrameQueue<number>(4, 'wait', (n) => dropped.push(n));
    await discarding.put(7);
    await discarding.put(8);
    discarding.close(true);
    await discarding.put(9);
    expect(dropped).toEqual([7, 8, 9]);
    expect(await discarding.take()).toBeUndefined();
  });

  it('releases a blocked producer when closed', async () => {
    const dropped: number[] = [];
    const queue = new FrameQueue<number>(1, 'wait', (n) => dropped.push(n));
    await queue.put(1);
    const blocked = queue.put(2);
    queue.close(true);
    await blocked;
    expect(dropped).toEqual([1, 2]);
  });
});
