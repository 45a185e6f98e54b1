/** A supervised child process with captured output tail, used for nats-server, PostgreSQL and the services. */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';

export interface ManagedProcessOptions extends SpawnOptions {
  name: string;
  /** Called with each complete output line (stdout and stderr). */
  onLine?: (line: string, stream: 'stdout' | 'stderr') => void;
}

/** How a process ended: an exit code, or the signal that killed it. */
export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export class ManagedProcess {
  private child?: ChildProcess;
  private readonly tail: string[] = [];
  private exitPromise?: Promise<number | null>;
  private exitStatusPromise?: Promise<ExitStatus>;
  private stopping = false;

  constructor(
    readonly command: string,
    readonly args: string[],
    private readonly options: ManagedProcessOptions,
  ) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return !!this.child && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** True once stop() or kill() was called: an exit after that is no crash (supervisors leave it down). */
  get stopRequested(): boolean {
    return this.stopping;
  }

  /** Last lines of output, for error messages when the process misbehaves. */
  get outputTail(): string {
    return this.tail.join('\n');
  }

  start(): this {
    if (this.running) return this;
    const child = spawn(this.command, this.args, { stdio: ['ignore', 'pipe', 'pipe'], ...this.options });
    this.child = child;
    this.stopping = false;
    for (const stream of ['stdout', 'stderr'] as const) {
      let buffered = '';
      child[stream]?.setEncoding('utf8');
      child[stream]?.on('data', (chunk: string) => {
        buffered += chunk;
        let nl: number;
        while ((nl = buffered.indexOf('\n')) >= 0) {
          const line = buffered.slice(0, nl);
          buffered = buffered.slice(nl + 1);
          this.tail.push(line);
          if (this.tail.length > 50) this.tail.shift();
          this.options.onLine?.(line, stream);
        }
      });
    }
    this.exitStatusPromise = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    this.exitPromise = this.exitStatusPromise.then((status) => status.code);
    child.once('error', (err) => this.tail.push(`spawn error: ${err.message}`));
    return this;
  }

  /** SIGTERM, then SIGKILL after graceMs. Resolves with the exit code. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', graceMs = 10_000): Promise<number | null> {
    this.stopping = true;
    if (!this.child || !this.running) return this.child?.exitCode ?? null;
    this.child.kill(signal);
    const timer = setTimeout(() => this.child?.kill('SIGKILL'), graceMs);
    const code = await this.exitPromise!;
    clearTimeout(timer);
    return code;
  }

  /** Immediate SIGKILL, on purpose (a supervisor leaves it down; an outside `kill -9` is a crash it restarts). */
  async kill(): Promise<void> {
    await this.stop('SIGKILL', 0);
  }

  /** Sends a signal without marking the process as stopped on purpose (a supervisor treats its exit as a crash). */
  signal(signal: NodeJS.Signals): void {
    if (this.running) this.child!.kill(signal);
  }

  waitForExit(): Promise<number | null> {
    return this.exitPromise ?? Promise.resolve(null);
  }

  /** Resolves with the exit code and signal once the process has exited. */
  exited(): Promise<ExitStatus> {
    return this.exitStatusPromise ?? Promise.resolve({ code: null, signal: null });
  }

  /** Resolves when a line matching `pattern` appears; rejects on exit or timeout (with the output tail). */
  waitForLine(pattern: RegExp, timeoutMs = 15_000): Promise<string> {
    const existing = this.tail.find((l) => pattern.test(l));
    if (existing) return Promise.resolve(existing);
    return new Promise((resolve, reject) => {
      const child = this.child!;
      const onData = (chunk: Buffer | string) => {
        const match = String(chunk)
          .split('\n')
          .find((l) => pattern.test(l));
        if (match) finish(() => resolve(match));
      };
      const onExit = () => finish(() => reject(new Error(`${this.options.name} exited:\n${this.outputTail}`)));
      const timer = setTimeout(
        () => finish(() => reject(new Error(`${this.options.name}: no ${pattern} within ${timeoutMs} ms:\n${this.outputTail}`))),
        timeoutMs,
      );
      const finish = (fn: () => void) => {
        clearTimeout(timer);
        child.stdout?.off('data', onData);
        child.stderr?.off('data', onData);
        child.off('exit', onExit);
        fn();
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', onData);
      child.once('exit', onExit);
    });
  }
}

/** Starts a local server; if it fails to start, stops what it began (a half-started child) and rethrows. */
export async function startOrStop<T extends { start(): Promise<void>; stop(): Promise<unknown> }>(server: T): Promise<T> {
  try {
    await server.start();
  } catch (err) {
    await server.stop();
    throw err;
  }
  return server;
}
