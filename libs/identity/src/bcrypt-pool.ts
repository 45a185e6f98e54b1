/**
 * bcrypt on worker threads with a bounded queue. bcryptjs is pure JavaScript: on the event loop, a stream of logins
 * (each ~0.25 s of CPU at cost 12) starves every other request, JWKS included. Here at most `workers` hashes run at
 * once, off the event loop, and at most `maxQueued` wait; past that a request is refused at once with AUTH_BUSY (503,
 * Retry-After) instead of queueing without bound.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { SightlineError } from '@sightline/contracts';
import { IdentityErrorCode } from './errors.js';

type Job = { op: 'hash'; password: string; cost: number } | { op: 'compare'; password: string; hash: string };
interface Pending {
  job: Job;
  resolve: (value: string | boolean) => void;
  reject: (error: Error) => void;
}

// Runs in each worker: one job at a time, answered in order.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const bcrypt = require(workerData.bcryptPath);
parentPort.on('message', async (job) => {
  try {
    const value = job.op === 'hash' ? await bcrypt.hash(job.password, job.cost) : await bcrypt.compare(job.password, job.hash);
    parentPort.postMessage({ value });
  } catch (error) {
    parentPort.postMessage({ error: String(error && error.message || error) });
  }
});
`;

export class BcryptPool {
  private readonly idle: Worker[] = [];
  private readonly busy = new Map<Worker, Pending>();
  private readonly queue: Pending[] = [];

  constructor(
    workers: number,
    private readonly maxQueued: number,
  ) {
    const bcryptPath = createRequire(import.meta.url).resolve('bcryptjs');
    for (let i = 0; i < workers; i++) {
      const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { bcryptPath } });
      worker.unref();
      worker.on('message', (message: { value?: string | boolean; error?: string }) => this.done(worker, message));
      worker.on('error', (error) => this.done(worker, { error: error.message }));
      this.idle.push(worker);
    }
  }

  hash(password: string, cost: number): Promise<string> {
    return this.submit({ op: 'hash', password, cost }) as Promise<string>;
  }

  compare(password: string, hash: string): Promise<boolean> {
    return this.submit({ op: 'compare', password, hash }) as Promise<boolean>;
  }

  /** Jobs running or waiting now. */
  get load(): number {
    return this.busy.size + this.queue.length;
  }

  async close(): Promise<void> {
    for (const pending of this.queue.splice(0)) pending.reject(new SightlineError(IdentityErrorCode.authBusy, 'shutting down'));
    await Promise.all([...this.idle, ...this.busy.keys()].map((w) => w.terminate()));
  }

  private submit(job: Job): Promise<string | boolean> {
    return new Promise((resolve, reject) => {
      const pending = { job, resolve, reject };
      const worker = this.idle.pop();
      if (worker) return this.run(worker, pending);
      if (this.queue.length >= this.maxQueued) {
        return reject(
          new SightlineError(IdentityErrorCode.authBusy, 'too many password checks in progress, retry shortly', { retryAfterSeconds: 1 }),
        );
      }
      this.queue.push(pending);
    });
  }

  private run(worker: Worker, pending: Pending): void {
    this.busy.set(worker, pending);
    worker.postMessage(pending.job);
  }

  private done(worker: Worker, message: { value?: string | boolean; error?: string }): void {
    const pending = this.busy.get(worker);
    this.busy.delete(worker);
    if (pending) {
      if (message.error !== undefined) pending.reject(new Error(`bcrypt failed: ${message.error}`));
      else pending.resolve(message.value!);
    }
    const next = this.queue.shift();
    if (next) this.run(worker, next);
    else this.idle.push(worker);
  }
}
