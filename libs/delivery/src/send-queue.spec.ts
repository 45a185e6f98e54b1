import { describe, expect, it } from 'vitest';
import { BoundedSendQueue, type MessageSink, type OutgoingMessage } from './send-queue.js';

/** A socket stand-in whose buffer empties only when the test says so (like a client that reads on demand). */
class ManualSink implements MessageSink {
  bufferedAmount = 0;
  readonly written: string[] = [];
  private readonly pending: Array<{ bytes: number; done: () => void }> = [];

  send(data: string, done: () => void): void {
    this.written.push(data);
    this.bufferedAmount += data.length;
    this.pending.push({ bytes: data.length, done });
  }

  /** The client reads everything written so far. */
  flush(): void {
    for (const { bytes, done } of this.pending.splice(0)) {
      this.bufferedAmount -= bytes;
      done();
    }
  }
}

const KIB = 1024;
const message = (id: string, bytes: number, extra: Partial<OutgoingMessage> = {}): OutgoingMessage => ({
  data: id.padEnd(bytes, '.'),
  bytes,
  event: 'frameAnalyzed',
  ...extra,
});
const ids = (sink: ManualSink) => sink.written.map((d) => d.replace(/\.+$/, ''));

function setup(limitBytes = 64 * KIB) {
  const sink = new ManualSink();
  const sent: string[] = [];
  const replaced: string[] = [];
  const queue = new BoundedSendQueue(sink, limitBytes, {
    onSent: (m) => sent.push(m.data),
    onReplaced: (m) => replaced.push(m.data.replace(/\.+$/, '')),
  });
  return { sink, queue, sent, replaced };
}

describe('BoundedSendQueue', () => {
  it('writes straight through below the high-water mark, queues above it, and drains in order', async () => {
    const { sink, queue } = setup(64 * KIB); // high water = 16 KiB
    expect(queue.offer(message('a', 10 * KIB))).toBe('sent');
    expect(queue.offer(message('b', 10 * KIB))).toBe('sent');
    expect(queue.offer(message('c', 10 * KIB))).toBe('queued');
    expect(queue.offer(message('d', 10 * KIB))).toBe('queued');
    expect(queue.congested).toBe(true);
    expect(queue.bufferedBytes).toBe(40 * KIB);
    const drained = queue.drained();
    sink.flush();
    await drained;
    expect(ids(sink)).toEqual(['a', 'b', 'c', 'd']);
    expect(queue.congested).toBe(false);
  });

  it('reports overflow once the bytes held pass the limit', () => {
    const { queue } = setup(64 * KIB);
    const outcomes = Array.from({ length: 8 }, (_, i) => queue.offer(message(`m${i}`, 10 * KIB)));
    expect(outcomes.slice(0, 2)).toEqual(['sent', 'sent']);
    expect(outcomes.indexOf('overflow')).toBe(6); // 70 KiB > 64 KiB
  });

  it('lets a newer message with the same replaceKey supersede a waiting one, keeping the order of the rest', () => {
    const { sink, queue, replaced } = setup(64 * KIB);
    queue.offer(message('fill', 20 * KIB)); // socket above high water from here on
    queue.offer(message('f1', 1 * KIB, { replaceKey: 'cam' }));
    queue.offer(message('started', 1 * KIB, { event: 'sessionStarted' }));
    queue.offer(message('f2', 1 * KIB, { replaceKey: 'cam' }));
    queue.offer(message('other1', 1 * KIB, { replaceKey: 'cam-2' }));
    queue.offer(message('f3', 1 * KIB, { replaceKey: 'cam' }));
    expect(replaced).toEqual(['f1', 'f2']);
    expect(queue.length).toBe(3);
    sink.flush();
    expect(ids(sink)).toEqual(['fill', 'started', 'other1', 'f3']);
  });

  it('stops: discards what waits, writes nothing more, releases drain waiters', async () => {
    const { sink, queue } = setup(64 * KIB);
    queue.offer(message('a', 20 * KIB));
    queue.offer(message('b', 1 * KIB));
    queue.offer(message('c', 1 * KIB));
    const drained = queue.drained();
    expect(queue.stop()).toBe(2);
    await drained;
    sink.flush();
    expect(ids(sink)).toEqual(['a']);
  });
});
