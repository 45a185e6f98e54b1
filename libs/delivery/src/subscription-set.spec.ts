/**
 * The subscribe / replace / conflict rules of one connection's subscriptions, against fake ResultSubscriptions (the
 * consumers themselves are covered against a real nats-server in apps/gateway/test).
 */
import { clientMessageSchema, type Principal, type SightlineError } from '@sightline/contracts';
import { describe, expect, it } from 'vitest';
import { ReplayBudget } from './replay-budget.js';
import { type StartPosition } from './result-subscription.js';
import { SubscriptionSet, type OpenSubscription, type SubscribeCommand } from './subscription-set.js';

class FakeSubscription implements OpenSubscription {
  closed = false;
  constructor(
    readonly target: string,
    readonly start: StartPosition,
  ) {}
  run(): Promise<void> {
    return new Promise(() => undefined);
  }
  async close(): Promise<void> {
    this.closed = true;
  }
}

const agent: Principal = {
  userId: '7',
  username: 'ada',
  roles: ['agent'],
  sessions: ['cam-1', 'cam-2', 'cam-3'],
  issuedAt: 0,
  expiresAt: 2 ** 31,
};
const HEAD: StartPosition = { afterSequence: 41 };

function subscribe(command: Record<string, unknown>): SubscribeCommand {
  return clientMessageSchema.parse({ type: 'subscribe', ...command }) as SubscribeCommand;
}

function makeSet(options: { principal?: Principal; maxSubscriptions?: number; replays?: ReplayBudget; failOn?: string } = {}) {
  const opened: FakeSubscription[] = [];
  const gauge = { value: 0, inc: (count = 1) => void (gauge.value += count), dec: () => void (gauge.value -= 1) };
  const set = new SubscriptionSet({
    principal: options.principal ?? agent,
    maxSubscriptions: options.maxSubscriptions ?? 64,
    replays: options.replays,
    gauge,
    open: async (target, start) => {
      if (target === options.failOn) throw new Error('consumer creation failed');
      const subscription = new FakeSubscription(target, start);
      opened.push(subscription);
      return subscription;
    },
  });
  /** Plans and opens a command as the connection does. */
  const run = async (command: SubscribeCommand, start = HEAD, cancelled = false) =>
    set.open(set.plan(command), command, start, () => cancelled);
  return { set, opened, gauge, run };
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return (err as SightlineError).code;
  }
  return undefined;
}

async function asyncCodeOf(promise: Promise<unknown>): Promise<string | undefined> {
  return promise.then(
    () => undefined,
    (err: SightlineError) => err.code,
  );
}

describe('SubscriptionSet', () => {
  it('opens one subscription per distinct granted session, with the command’s delivery state', async () => {
    const { set, opened, gauge, run } = makeSet();
    const active = await run(subscribe({ sessions: ['cam-1', 'cam-2', 'cam-1'], policy: 'latest', events: ['frameAnalyzed'] }));
    expect(active!.map((a) => a.target)).toEqual(['cam-1', 'cam-2']);
    expect(active![0]!.state).toEqual({ policy: 'latest', replaying: false, holdsReplaySlot: false, events: new Set(['frameAnalyzed']) });
    expect(opened.map((s) => [s.target, s.start])).toEqual([
      ['cam-1', HEAD],
      ['cam-2', HEAD],
    ]);
    expect(set.targets).toEqual(['cam-1', 'cam-2']);
    expect(gauge.value).toBe(2);
    expect(active!.every((a) => set.isCurrent(a))).toBe(true);
  });

  it('refuses sessions not granted, naming only those, and opens nothing', async () => {
    const { set, opened } = makeSet();
    let error: SightlineError | undefined;
    try {
      set.plan(subscribe({ sessions: ['cam-1', 'cam-9', 'cam-8'] }));
    } catch (err) {
      error = err as SightlineError;
    }
    expect(error).toMatchObject({ code: 'SESSION_FORBIDDEN', context: { sessions: ['cam-9', 'cam-8'] } });
    expect(opened).toEqual([]);
  });

  it('replaces a session subscribed again: the old consumer is closed, the count stays', async () => {
    const { set, opened, gauge, run } = makeSet();
    const [first] = (await run(subscribe({ sessions: ['cam-1'] })))!;
    const [second] = (await run(subscribe({ sessions: ['cam-1'], fromSequence: 5 })))!;
    expect(opened.map((s) => s.closed)).toEqual([true, false]);
    expect(opened[1]!.start).toEqual(HEAD); // the start position is the caller's
    expect(set.isCurrent(first!)).toBe(false);
    expect(set.isCurrent(second!)).toBe(true);
    expect(set.size).toBe(1);
    expect(gauge.value).toBe(1);
  });

  it("'*' replaces every session; picking sessions beside '*', or taking them out of it, is a conflict", async () => {
    const { set, opened, run } = makeSet();
    await run(subscribe({ sessions: ['cam-1', 'cam-2'] }));
    await run(subscribe({ sessions: '*' }));
    expect(opened.map((s) => [s.target, s.closed])).toEqual([
      ['cam-1', true],
      ['cam-2', true],
      ['*', false],
    ]);
    expect(set.targets).toEqual(['*']);
    expect(codeOf(() => set.plan(subscribe({ sessions: ['cam-3'] })))).toBe('SUBSCRIPTION_CONFLICT');
    expect(codeOf(() => set.unsubscribeTargets(['cam-1']))).toBe('SUBSCRIPTION_CONFLICT');
    expect(set.unsubscribeTargets('*')).toEqual(['*']);
    expect(set.plan(subscribe({ sessions: '*' }))).toEqual({ all: true, targets: ['*'], replaced: ['*'] });
  });

  it("'*' for a principal without any grant is a subscription to nothing", async () => {
    const { set, opened, run } = makeSet({ principal: { ...agent, sessions: [] } });
    expect(set.plan(subscribe({ sessions: '*' }))).toEqual({ all: true, targets: [], replaced: [] });
    expect(await run(subscribe({ sessions: '*' }))).toEqual([]);
    expect(opened).toEqual([]);
  });

  it('counts replaced subscriptions out before applying maxSubscriptions', async () => {
    const { set, run } = makeSet({ maxSubscriptions: 2 });
    await run(subscribe({ sessions: ['cam-1', 'cam-2'] }));
    expect(set.plan(subscribe({ sessions: ['cam-2'] })).replaced).toEqual(['cam-2']);
    let error: SightlineError | undefined;
    try {
      set.plan(subscribe({ sessions: ['cam-2', 'cam-3'] }));
    } catch (err) {
      error = err as SightlineError;
    }
    expect(error).toMatchObject({ code: 'TOO_MANY_SUBSCRIPTIONS', context: { requested: 3 } });
  });

  it('takes replay slots all or none, returns them when the replay catches up or stops', async () => {
    const replays = new ReplayBudget(2);
    const { set, opened, run } = makeSet({ replays });
    const [one, two] = (await run(subscribe({ sessions: ['cam-1', 'cam-2'], fromSequence: 10 }), { afterSequence: 10 }))!;
    expect(one!.state).toMatchObject({ replaying: true, holdsReplaySlot: true });
    expect(replays.used('7')).toBe(2);
    expect(await asyncCodeOf(run(subscribe({ sessions: ['cam-3'], fromTime: '2026-01-01T00:00:00Z' })))).toBe('TOO_MANY_REPLAYS');
    expect(opened).toHaveLength(2);

    set.releaseReplaySlot(one!.state);
    set.releaseReplaySlot(one!.state); // once only
    expect(replays.used('7')).toBe(1);
    await set.stop('cam-2');
    expect(two!.state.holdsReplaySlot).toBe(false);
    expect(replays.used('7')).toBe(0);
    // A live subscription takes no slot.
    await run(subscribe({ sessions: ['cam-3'] }));
    expect(replays.used('7')).toBe(0);
  });

  it('opens all or none: a consumer that fails closes the others and returns the replay slots', async () => {
    const replays = new ReplayBudget(5);
    const { set, opened, gauge, run } = makeSet({ replays, failOn: 'cam-3' });
    await run(subscribe({ sessions: ['cam-1'] }));
    let error: SightlineError | undefined;
    await run(subscribe({ sessions: ['cam-2', 'cam-3'], fromSequence: 3 })).catch((err: SightlineError) => (error = err));
    expect(error).toMatchObject({ code: 'SUBSCRIBE_FAILED', context: { sessions: ['cam-2', 'cam-3'] } });
    expect(opened.map((s) => [s.target, s.closed])).toEqual([
      ['cam-1', false],
      ['cam-2', true],
    ]);
    expect(set.targets).toEqual(['cam-1']);
    expect(gauge.value).toBe(1);
    expect(replays.used('7')).toBe(0);
  });

  it('closes what it opened when the connection closed meanwhile, and keeps nothing', async () => {
    const replays = new ReplayBudget(5);
    const { set, opened, gauge, run } = makeSet({ replays });
    expect(await run(subscribe({ sessions: ['cam-1'], fromSequence: 3 }), HEAD, true)).toBeUndefined();
    expect(opened.map((s) => s.closed)).toEqual([true]);
    expect(set.size).toBe(0);
    expect(gauge.value).toBe(0);
    expect(replays.used('7')).toBe(0);
  });

  it('stopping an unknown target does nothing; unsubscribe targets are the command’s sessions', async () => {
    const { set, gauge, run } = makeSet();
    await run(subscribe({ sessions: ['cam-1'] }));
    await set.stop('cam-2');
    expect(gauge.value).toBe(1);
    expect(set.unsubscribeTargets(['cam-2'])).toEqual(['cam-2']);
    expect(set.unsubscribeTargets('*')).toEqual(['cam-1']);
  });
});
