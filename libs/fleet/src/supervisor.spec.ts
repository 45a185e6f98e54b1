import { describe, expect, it } from 'vitest';
import {
  DEFAULT_RESTART_POLICY,
  RestartPolicy,
  Supervisor,
  describeSupervisorEvent,
  type LivenessProbe,
  type SupervisedProcess,
  type SupervisorClock,
  type SupervisorEvent,
} from './supervisor.js';

/** A clock the test advances by hand: timers fire only inside `advance`. */
class FakeClock implements SupervisorClock {
  private time = 0;
  private timers: Array<{ at: number; fn: () => void; id: number }> = [];
  private nextId = 0;
  now = () => this.time;
  setTimeout = (fn: () => void, ms: number) => {
    const id = this.nextId++;
    this.timers.push({ at: this.time + ms, fn, id });
    return id;
  };
  clearTimeout = (id: unknown) => void (this.timers = this.timers.filter((t) => t.id !== id));
  get pending(): number[] {
    return this.timers.map((t) => t.at - this.time);
  }
  async advance(ms: number): Promise<void> {
    const until = this.time + ms;
    await settle();
    for (;;) {
      const due = this.timers.filter((t) => t.at <= until).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      this.timers = this.timers.filter((t) => t !== due);
      this.time = due.at;
      due.fn();
      await settle();
    }
    this.time = until;
    await settle();
  }
}

/** Lets every pending promise callback run (a macrotask comes after all microtasks). */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A process that exits when the test says so. */
class FakeProcess implements SupervisedProcess {
  static nextPid = 100;
  readonly pid = FakeProcess.nextPid++;
  running = true;
  stopRequested = false;
  outputTail = `line 1 of ${this.pid}\nlast line of ${this.pid}`;
  private resolveExit!: (status: { code: number | null; signal: NodeJS.Signals | null }) => void;
  private readonly exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => (this.resolveExit = r));
  exited = () => this.exit;
  crash(signal: NodeJS.Signals | null = 'SIGKILL', code: number | null = null): void {
    this.running = false;
    this.resolveExit({ code, signal });
  }
  stop(): void {
    this.stopRequested = true;
    this.crash('SIGTERM');
  }
  /** Signals received; any signal ends it (as SIGKILL would). */
  readonly signals: NodeJS.Signals[] = [];
  signal(signal: NodeJS.Signals): void {
    this.signals.push(signal);
    if (this.running) this.crash(signal);
  }
  /** Whether its liveness probe answers (a hung process does not). */
  alive = true;
}

function harness(options: { failStarts?: number; liveness?: boolean } = {}) {
  const clock = new FakeClock();
  const events: SupervisorEvent[] = [];
  const supervisor = new Supervisor({
    clock,
    onEvent: (e) => events.push(e),
    liveness: { intervalMs: 5000, timeoutMs: 5000, failures: 3 },
  });
  const processes: FakeProcess[] = [];
  let failStarts = options.failStarts ?? 0;
  /** Probes the newest process: answers at once when alive, never when hung (the timeout decides). */
  const probe: LivenessProbe = () => (processes.at(-1)!.alive ? Promise.resolve() : new Promise<void>(() => undefined));
  const start = (): FakeProcess => {
    const proc = new FakeProcess();
    processes.push(proc);
    supervisor.watch('inference', proc, restart, options.liveness ? probe : undefined);
    return proc;
  };
  const restart = async () => {
    const proc = start();
    if (failStarts > 0) {
      failStarts--;
      proc.crash(null, 1);
      throw new Error('inference exited during start-up:\nError: listen EADDRINUSE');
    }
  };
  start();
  const current = () => processes.at(-1)!;
  return { clock, events, supervisor, processes, current };
}

describe('RestartPolicy', () => {
  it('backs off 1, 2, 5, 10, 20, 30 s and calls more than 6 crashes within 5 minutes a crash loop', () => {
    const policy = new RestartPolicy();
    const delays: number[] = [];
    let t = 0;
    for (let i = 0; i < 6; i++) {
      const decision = policy.onCrash(t);
      if (!decision.restart) throw new Error('gave up too early');
      delays.push(decision.delayMs);
      t += decision.delayMs + 1000; // up for a second after each restart
    }
    expect(delays).toEqual([1000, 2000, 5000, 10_000, 20_000, 30_000]);
    expect(policy.onCrash(t)).toEqual({ restart: false, reason: 'crash loop: 7 crashes within 5 min' });
  });

  it('forgets crashes older than the window: a process that ran for a while restarts after 1 s again', () => {
    const policy = new RestartPolicy();
    expect(policy.onCrash(0)).toMatchObject({ attempt: 1, delayMs: 1000 });
    expect(policy.onCrash(10_000)).toMatchObject({ attempt: 2, delayMs: 2000 });
    expect(policy.onCrash(10_000 + DEFAULT_RESTART_POLICY.windowMs)).toMatchObject({ attempt: 1, delayMs: 1000 });
  });

  it('keeps the last delay for attempts beyond the schedule', () => {
    const policy = new RestartPolicy({ backoffMs: [1000, 2000], maxRestarts: 4, windowMs: 60_000 });
    expect([1, 2, 3, 4].map((t) => policy.onCrash(t))).toMatchObject([
      { delayMs: 1000 },
      { delayMs: 2000 },
      { delayMs: 2000 },
      { delayMs: 2000 },
    ]);
    expect(policy.onCrash(5)).toMatchObject({ restart: false });
  });
});

describe('Supervisor', () => {
  it('reports a crash once with its signal and last output, restarts after the backoff and reports it back', async () => {
    const { clock, events, current, processes } = harness();
    const first = current();
    first.crash('SIGKILL');
    await settle();
    expect(events).toEqual([
      {
        type: 'crashed',
        name: 'inference',
        pid: first.pid,
        how: 'signal SIGKILL',
        lastLines: [`line 1 of ${first.pid}`, `last line of ${first.pid}`],
        next: { restart: true, attempt: 1, delayMs: 1000 },
      },
    ]);
    await clock.advance(999);
    expect(processes).toHaveLength(1); // not before the backoff
    await clock.advance(1);
    expect(processes).toHaveLength(2);
    expect(events.at(-1)).toEqual({ type: 'restarted', name: 'inference', attempt: 1, pid: current().pid, downMs: 1000 });
    expect(events.map(describeSupervisorEvent)).toEqual([
      `inference (pid ${first.pid}) exited unexpectedly (signal SIGKILL): restart 1 in 1 s; last output: last line of ${first.pid}`,
      `inference restarted (pid ${current().pid}), ready 1 s after it went down`,
    ]);
  });

  it('leaves a process stopped on purpose down', async () => {
    const { clock, events, current, processes } = harness();
    current().stop();
    await clock.advance(60_000);
    expect(events).toEqual([]);
    expect(processes).toHaveLength(1);
  });

  it('counts a failed restart as the next crash and backs off further', async () => {
    const { clock, events, processes } = harness({ failStarts: 2 });
    processes[0]!.crash(null, 1);
    await clock.advance(1000); // restart 1 fails
    await clock.advance(2000); // restart 2 fails
    await clock.advance(5000); // restart 3 succeeds
    expect(events.map((e) => (e.type === 'crashed' ? [e.how.split(':')[0], e.next] : [e.type]))).toEqual([
      ['code 1', { restart: true, attempt: 1, delayMs: 1000 }],
      ['failed restart', { restart: true, attempt: 2, delayMs: 2000 }],
      ['failed restart', { restart: true, attempt: 3, delayMs: 5000 }],
      ['restarted'],
    ]);
    expect(processes).toHaveLength(4);
    expect(processes.at(-1)!.running).toBe(true);
  });

  it('gives up on a crash loop, says why once, and resolves gaveUp', async () => {
    const { clock, events, supervisor, current, processes } = harness();
    let gaveUp: unknown;
    void supervisor.gaveUp.then((g) => (gaveUp = g));
    for (let i = 0; i < 7; i++) {
      current().crash('SIGSEGV');
      await clock.advance(30_000);
    }
    expect(processes).toHaveLength(7); // the first and 6 restarts
    const last = events.at(-1)!;
    expect(last).toMatchObject({ type: 'crashed', next: { restart: false, reason: 'crash loop: 7 crashes within 5 min' } });
    expect(describeSupervisorEvent(last)).toMatch(/giving up \(crash loop: 7 crashes within 5 min\)/);
    expect(gaveUp).toEqual({ name: 'inference', reason: 'crash loop: 7 crashes within 5 min' });
    expect(clock.pending).toEqual([]);
  });

  it('restarts nothing after close()', async () => {
    const { clock, supervisor, current, processes } = harness();
    current().crash();
    await settle();
    supervisor.close();
    await clock.advance(60_000);
    expect(processes).toHaveLength(1);
  });

  describe('liveness', () => {
    it('kills a process that stops answering after 3 failed probes, reports it hung once and restarts it', async () => {
      const { clock, events, current, processes } = harness({ liveness: true });
      const hung = current();
      await clock.advance(20_000); // answering: probed 4 times, nothing happens
      expect(events).toEqual([]);
      hung.alive = false;
      // Probes at 25, 35 and 45 s each time out 5 s later (the next comes 5 s after): the third failure, at 50 s, kills it.
      await clock.advance(29_999);
      expect(hung.signals).toEqual([]);
      await clock.advance(1);
      expect(hung.signals).toEqual(['SIGKILL']);
      expect(events).toEqual([
        {
          type: 'crashed',
          name: 'inference',
          pid: hung.pid,
          how: 'hung: no liveness answer for 3 probes in a row (5 s each); killed',
          lastLines: [`line 1 of ${hung.pid}`, `last line of ${hung.pid}`],
          next: { restart: true, attempt: 1, delayMs: 1000 },
        },
      ]);
      await clock.advance(1000);
      expect(processes).toHaveLength(2);
      expect(events.at(-1)).toMatchObject({ type: 'restarted', name: 'inference', pid: current().pid });
      // The new process answers: it is left alone.
      await clock.advance(120_000);
      expect(processes).toHaveLength(2);
      expect(current().signals).toEqual([]);
    });

    it('forgets failed probes once one is answered: a slow moment is not a hang', async () => {
      const { clock, events, current } = harness({ liveness: true });
      const slow = current();
      slow.alive = false;
      await clock.advance(5000 + 5000 + 5000 + 5000); // two failed probes (at 5 and 15 s), the third pending
      slow.alive = true; // the third is answered
      await clock.advance(60_000);
      slow.alive = false;
      await clock.advance(24_999); // two more failures: the count started again
      expect(slow.signals).toEqual([]);
      expect(events).toEqual([]);
    });

    it('does not probe a process stopped on purpose, and leaves no timer after close()', async () => {
      const { clock, supervisor, current, events } = harness({ liveness: true });
      current().alive = false;
      current().stop();
      await clock.advance(60_000);
      expect(events).toEqual([]);
      supervisor.close();
      await clock.advance(10_000);
      expect(clock.pending).toEqual([]);
    });
  });
});
