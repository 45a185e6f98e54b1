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

  it('drains, then ends takers after close', async () => {
    const queue = new FrameQueue<number>(4, 'wait', () => expect.fail('nothing may be dropped'));
    await queue.put(1);
    queue.close();
    expect(await queue.take()).toBe(1);
    expect(await queue.take()).toBeUndefined();
  });

  it('discards (without reporting drops) what is queued or put after a discarding close', async () => {
    const queue = new FrameQueue<number>(4, 'wait', () => expect.fail('a discard is not a drop'));
    await queue.put(7);
    await queue.put(8);
    queue.close(true);
    await queue.put(9);
    expect(queue.length).toBe(0);
    expect(await queue.take()).toBeUndefined();
  });

  it('releases a blocked producer when closed', async () => {
    const queue = new FrameQueue<number>(1, 'wait', () => undefined);
    await queue.put(1);
    const blocked = queue.put(2);
    queue.close(true);
    await blocked;
    expect(queue.producerBlocked).toBe(false);
    expect(await queue.take()).toBeUndefined();
  });
});
