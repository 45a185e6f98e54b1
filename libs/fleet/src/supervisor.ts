/**
 * Keeps the local fleet's processes running: an unexpected exit (a crash, `kill -9`, the OOM killer) is reported
 * once with its exit code or signal and the last lines of output, and the process is started again after a backoff
 * (1, 2, 5, 10, 20, 30 s). A process that keeps crashing (more than `maxRestarts` crashes within `windowMs`) is a
 * crash loop: the supervisor reports it, gives up on it and resolves `gaveUp`, so `npm run up` can stop and say why.
 * An exit after `stop()`/`kill()` was called on purpose is no crash and is left alone.
 *
 * A process that is alive but hung (a blocked event loop, a deadlock, `kill -STOP`) never exits, so a watched
 * process may also have a liveness probe: after `liveness.failures` probes in a row that fail or do not answer
 * within `liveness.timeoutMs`, the supervisor reports it hung, kills it (SIGKILL) and restarts it like a crash.
 */

export interface RestartPolicyOptions {
  /** Waits before the 1st, 2nd, … restart within the window; the last one repeats. */
  backoffMs: readonly number[];
  /** More crashes than this within `windowMs` is a crash loop. */
  maxRestarts: number;
  windowMs: number;
}

export const DEFAULT_RESTART_POLICY: RestartPolicyOptions = {
  backoffMs: [1000, 2000, 5000, 10_000, 20_000, 30_000],
  maxRestarts: 6,
  windowMs: 5 * 60_000,
};

export interface LivenessOptions {
  /** Time between two probes of a running process. */
  intervalMs: number;
  /** A probe not answered within this long has failed. */
  timeoutMs: number;
  /** This many failed probes in a row = hung. */
  failures: number;
}

/**
 * Three probes 5 s apart, each unanswered for 5 s (≈ 30 s), before a process is called hung: a healthy Node service
 * on a loaded 2-core box answers `/health/live` within milliseconds to a few seconds, never three times 5 s in a row.
 */
export const DEFAULT_LIVENESS: LivenessOptions = { intervalMs: 5000, timeoutMs: 5000, failures: 3 };

export type RestartDecision = { restart: true; attempt: number; delayMs: number } | { restart: false; reason: string };

/** The restart decision for one process, from its recent crash times (pure: the clock is passed in). */
export class RestartPolicy {
  private crashes: number[] = [];

  constructor(private readonly options: RestartPolicyOptions = DEFAULT_RESTART_POLICY) {}

  onCrash(now: number): RestartDecision {
    const { backoffMs, maxRestarts, windowMs } = this.options;
    this.crashes = this.crashes.filter((at) => now - at < windowMs);
    this.crashes.push(now);
    const attempt = this.crashes.length;
    if (attempt > maxRestarts) {
      return { restart: false, reason: `crash loop: ${attempt} crashes within ${formatDuration(windowMs)}` };
    }
    return { restart: true, attempt, delayMs: backoffMs[Math.min(attempt, backoffMs.length) - 1]! };
  }
}

/** What the supervisor needs of a process (ManagedProcess has it). */
export interface SupervisedProcess {
  readonly pid: number | undefined;
  readonly running: boolean;
  readonly stopRequested: boolean;
  readonly outputTail: string;
  exited(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Sends a signal without marking the process as stopped on purpose (its exit is then a crash). */
  signal(signal: NodeJS.Signals): void;
}

/** Resolves when the process answers that it is alive; rejects (or never settles) otherwise. */
export type LivenessProbe = (signal: AbortSignal) => Promise<void>;

export type SupervisorEvent =
  /** An unexpected exit, or a restart that failed; `next` says what the supervisor does about it. */
  | {
      type: 'crashed';
      name: string;
      pid?: number;
      /** How it ended: `signal SIGKILL`, `code 1`, or why the restart failed. */
      how: string;
      lastLines: string[];
      next: RestartDecision;
    }
  | { type: 'restarted'; name: string; attempt: number; pid?: number; downMs: number };

export interface SupervisorClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realClock: SupervisorClock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export interface SupervisorOptions {
  policy?: RestartPolicyOptions;
  clock?: SupervisorClock;
  onEvent?: (event: SupervisorEvent) => void;
  /** Lines of output kept in a crash report. */
  tailLines?: number;
  /** How processes watched with a liveness probe are probed. */
  liveness?: LivenessOptions;
}

interface Unit {
  process: SupervisedProcess;
  restart: () => Promise<void>;
  policy: RestartPolicy;
  restarting: boolean;
  timer?: unknown;
  probe?: LivenessProbe;
  probeTimer?: unknown;
  failedProbes: number;
  /** Why the supervisor killed the current process itself (hung), reported instead of the bare signal. */
  killedAs?: string;
}

export class Supervisor {
  private readonly units = new Map<string, Unit>();
  private readonly clock: SupervisorClock;
  private closed = false;
  private resolveGaveUp!: (failure: { name: string; reason: string }) => void;
  /** Resolves when a process was given up on (crash loop); the fleet is then incomplete. */
  readonly gaveUp = new Promise<{ name: string; reason: string }>((resolve) => (this.resolveGaveUp = resolve));

  constructor(private readonly options: SupervisorOptions = {}) {
    this.clock = options.clock ?? realClock;
  }

  /**
   * Watches `process` under `name` (replacing what was watched under that name); `restart` starts a new one and
   * resolves once it is ready, calling `watch` for it (directly or through a start hook). With `probe`, the
   * process is also probed for liveness while it runs (not while it is being restarted).
   */
  watch(name: string, process: SupervisedProcess, restart: () => Promise<void>, probe?: LivenessProbe): void {
    if (this.closed) return;
    let unit = this.units.get(name);
    if (unit) {
      unit.process = process;
      unit.restart = restart;
      unit.probe = probe;
      unit.failedProbes = 0;
      unit.killedAs = undefined;
    } else {
      unit = { process, restart, probe, policy: new RestartPolicy(this.options.policy), restarting: false, failedProbes: 0 };
      this.units.set(name, unit);
    }
    if (probe && unit.probeTimer === undefined) this.scheduleProbe(unit);
    void process.exited().then((status) => this.onExit(name, process, status));
  }

  /** Stops restarting anything (the fleet is shutting down). */
  close(): void {
    this.closed = true;
    for (const unit of this.units.values()) {
      if (unit.timer !== undefined) this.clock.clearTimeout(unit.timer);
      if (unit.probeTimer !== undefined) this.clock.clearTimeout(unit.probeTimer);
    }
  }

  private onExit(name: string, process: SupervisedProcess, status: { code: number | null; signal: NodeJS.Signals | null }): void {
    const unit = this.units.get(name);
    // Exits on purpose, of a process already replaced, or during a restart in progress (counted by it) are no news.
    if (this.closed || !unit || unit.process !== process || process.stopRequested || unit.restarting) return;
    const how = unit.killedAs ?? (status.signal ? `signal ${status.signal}` : `code ${status.code}`);
    unit.killedAs = undefined;
    this.crashed(name, unit, how);
  }

  private get liveness(): LivenessOptions {
    return this.options.liveness ?? DEFAULT_LIVENESS;
  }

  private scheduleProbe(unit: Unit): void {
    unit.probeTimer = this.clock.setTimeout(() => {
      unit.probeTimer = undefined;
      if (this.closed || !unit.probe) return;
      void this.probeOnce(unit).finally(() => {
        if (!this.closed && unit.probe && unit.probeTimer === undefined) this.scheduleProbe(unit);
      });
    }, this.liveness.intervalMs);
  }

  /** One liveness probe; the `failures`-th failure in a row of a running process kills it as hung. */
  private async probeOnce(unit: Unit): Promise<void> {
    const process = unit.process;
    // A process being restarted, already dead (its exit is handled) or stopped on purpose is not probed.
    if (unit.restarting || !process.running || process.stopRequested || unit.killedAs) return;
    const { timeoutMs, failures } = this.liveness;
    const controller = new AbortController();
    let timer: unknown;
    const answered = await Promise.race([
      unit.probe!(controller.signal).then(
        () => true,
        () => false,
      ),
      new Promise<false>((resolve) => (timer = this.clock.setTimeout(() => resolve(false), timeoutMs))),
    ]);
    this.clock.clearTimeout(timer);
    controller.abort();
    if (unit.process !== process || unit.restarting || !process.running) return; // replaced or gone meanwhile
    unit.failedProbes = answered ? 0 : unit.failedProbes + 1;
    if (unit.failedProbes < failures) return;
    unit.failedProbes = 0;
    unit.killedAs = `hung: no liveness answer for ${failures} probes in a row (${formatDuration(timeoutMs)} each); killed`;
    process.signal('SIGKILL');
  }

  private crashed(name: string, unit: Unit, how: string): void {
    const downSince = this.clock.now();
    const next = unit.policy.onCrash(downSince);
    this.emit({ type: 'crashed', name, pid: unit.process.pid, how, lastLines: this.lastLines(unit.process), next });
    if (!next.restart) {
      this.resolveGaveUp({ name, reason: next.reason });
      return;
    }
    unit.restarting = true;
    unit.timer = this.clock.setTimeout(() => {
      unit.timer = undefined;
      if (this.closed) return;
      unit
        .restart()
        .then(() => {
          unit.restarting = false;
          if (this.closed) return;
          // It may have died between becoming ready and now: that is the next crash.
          if (!unit.process.running && !unit.process.stopRequested) return this.crashed(name, unit, 'exit right after start-up');
          this.emit({ type: 'restarted', name, attempt: next.attempt, pid: unit.process.pid, downMs: this.clock.now() - downSince });
        })
        .catch((err: unknown) => {
          unit.restarting = false;
          if (!this.closed) this.crashed(name, unit, `failed restart: ${(err as Error).message.split('\n')[0]}`);
        });
    }, next.delayMs);
  }

  private lastLines(process: SupervisedProcess): string[] {
    return process.outputTail
      .split('\n')
      .filter(Boolean)
      .slice(-(this.options.tailLines ?? 10));
  }

  private emit(event: SupervisorEvent): void {
    this.options.onEvent?.(event);
  }
}

/** One line per supervisor event, for a terminal (`npm run up`) or a log. */
export function describeSupervisorEvent(event: SupervisorEvent): string {
  switch (event.type) {
    case 'crashed': {
      const last = event.lastLines.length ? `; last output: ${truncate(event.lastLines.at(-1)!, 160)}` : '';
      const next = event.next.restart
        ? `restart ${event.next.attempt} in ${formatDuration(event.next.delayMs)}`
        : `giving up (${event.next.reason})`;
      return `${event.name} (pid ${event.pid ?? '?'}) exited unexpectedly (${truncate(event.how, 200)}): ${next}${last}`;
    }
    case 'restarted':
      return `${event.name} restarted (pid ${event.pid ?? '?'}), ready ${formatDuration(event.downMs)} after it went down`;
  }
}

function formatDuration(ms: number): string {
  if (ms >= 60_000 && ms % 60_000 === 0) return `${ms / 60_000} min`;
  return ms >= 1000 ? `${(ms / 1000).toFixed(ms % 1000 ? 1 : 0)} s` : `${ms} ms`;
}

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
