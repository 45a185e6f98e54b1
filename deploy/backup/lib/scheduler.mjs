#!/usr/bin/env node
// @ts-check
/**
 * The backup container's main process (started by bin/backup-agent.sh): a small daily scheduler plus the metrics
 * exporter.
 *  - every day at BACKUP_SCHEDULE (HH:MM on the wall clock of BACKUP_TIMEZONE, an IANA zone) it runs
 *    bin/backup-full.sh then bin/dump.sh;
 *  - at start, with BACKUP_ON_START=if-missing, it runs them at once when the repository holds no full backup yet
 *    (point-in-time recovery needs one; waiting for 02:00 would leave the first day unprotected);
 *  - every BACKUP_METRICS_INTERVAL_S it refreshes the metrics, serves them on :BACKUP_METRICS_PORT/metrics and
 *    writes them to $BACKUP_STATE_DIR/metrics/sightline_backup.prom for node_exporter's textfile collector.
 * One failed job is logged and counted in the metrics; it never stops the scheduler.
 */
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { clearInterval, setInterval } from 'node:timers';
import { fileURLToPath } from 'node:url';
import { errorFields, log, requireEnv } from './env.mjs';
import { collectMetrics, readBackups, writeTextfile } from './metrics.mjs';
import { checkTimeZone, nextRunAt } from './schedule.mjs';

const DAILY_JOBS = [
  { name: 'full', script: 'backup-full.sh' },
  { name: 'dump', script: 'dump.sh' },
];

/**
 * A job's output line as one log line: the Node tools already print JSON log objects (kept as they are, tagged with
 * the job), the shell scripts and pgBackRest print text.
 * @param {string} job
 * @param {string} line
 */
function logJobLine(job, line) {
  if (line.startsWith('{')) {
    try {
      const { level = 'info', message = line, ...fields } = JSON.parse(line);
      return log(level, message, { ...fields, job });
    } catch {
      // not JSON after all: logged as text below
    }
  }
  log('info', line, { job });
}

class BackupScheduler {
  /** @type {Map<string, import('./metrics.mjs').JobRun>} */
  #jobs = new Map();
  /** @type {import('node:child_process').ChildProcess | undefined} */
  #runningJob;
  /** @type {Promise<void> | undefined} */
  #dailyRun;
  /** @type {NodeJS.Timeout | undefined} */
  #dailyTimer;
  /** @type {NodeJS.Timeout | undefined} */
  #metricsTimer;
  #metrics = { text: '', contentType: 'text/plain' };
  /** @type {Promise<void> | undefined} */
  #refreshing;
  #stopping = false;
  #server = createServer((req, res) => {
    if (req.url === '/metrics') {
      res.writeHead(200, { 'content-type': this.#metrics.contentType }).end(this.#metrics.text);
    } else if (req.url === '/health' || req.url === '/health/live') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
    } else {
      res.writeHead(404).end();
    }
  });

  /** @param {NodeJS.ProcessEnv} env */
  constructor(env) {
    this.env = env;
    this.home = requireEnv(env, 'BACKUP_HOME');
    this.schedule = requireEnv(env, 'BACKUP_SCHEDULE');
    this.timeZone = checkTimeZone(requireEnv(env, 'BACKUP_TIMEZONE'));
    this.textfile = join(requireEnv(env, 'BACKUP_STATE_DIR'), 'metrics', 'sightline_backup.prom');
  }

  /** Job runs by job name, for the metrics. */
  get jobs() {
    return this.#jobs;
  }

  async start() {
    mkdirSync(join(this.textfile, '..'), { recursive: true });
    const port = Number(requireEnv(this.env, 'BACKUP_METRICS_PORT'));
    await new Promise((resolve) => this.#server.listen(port, () => resolve(undefined)));
    log('info', 'backup scheduler started', {
      schedule: this.schedule,
      timeZone: this.timeZone,
      metricsPort: port,
      textfile: this.textfile,
    });

    await this.refreshMetrics();
    const intervalMs = Number(requireEnv(this.env, 'BACKUP_METRICS_INTERVAL_S')) * 1000;
    this.#metricsTimer = setInterval(() => void this.refreshMetrics(), intervalMs);

    if (requireEnv(this.env, 'BACKUP_ON_START') === 'if-missing' && !(await this.#hasFullBackup())) {
      log('info', 'no full backup in the repository yet: running the daily jobs now');
      this.#dailyRun = this.runDailyJobs();
    }
    this.#scheduleNext();
  }

  async #hasFullBackup() {
    try {
      return (await readBackups(this.env)).some((b) => b.type === 'full' && !b.error);
    } catch (err) {
      // An unreachable repository is reported by the metrics; the backup job will report its own error.
      log('warn', 'cannot read the backup repository at start', errorFields(err));
      return false;
    }
  }

  #scheduleNext() {
    if (this.#stopping) return;
    const next = nextRunAt(new Date(), this.schedule, this.timeZone);
    log('info', 'next daily backup scheduled', { at: next.toISOString(), schedule: this.schedule, timeZone: this.timeZone });
    this.#dailyTimer = setTimeout(() => {
      this.#dailyRun = (this.#dailyRun ?? Promise.resolve()).then(() => this.runDailyJobs());
      this.#scheduleNext();
    }, next.getTime() - Date.now());
  }

  /** Full backup then dump, one after the other (they would compete for the same disk and network). */
  async runDailyJobs() {
    for (const job of DAILY_JOBS) {
      if (this.#stopping) return;
      const startedAt = new Date();
      const exitCode = await this.#runScript(job.name, job.script);
      const run = { lastRunAt: startedAt, lastDurationSeconds: (Date.now() - startedAt.getTime()) / 1000, lastSucceeded: exitCode === 0 };
      this.jobs.set(job.name, run);
      log(run.lastSucceeded ? 'info' : 'error', `backup job ${job.name} ${run.lastSucceeded ? 'succeeded' : 'failed'}`, {
        job: job.name,
        exitCode,
        durationSeconds: run.lastDurationSeconds,
      });
    }
    await this.refreshMetrics();
  }

  /**
   * @param {string} job
   * @param {string} script
   * @returns {Promise<number | null>}
   */
  #runScript(job, script) {
    return new Promise((resolve) => {
      const child = spawn(join(this.home, 'bin', script), [], { env: this.env, stdio: ['ignore', 'pipe', 'pipe'] });
      this.#runningJob = child;
      for (const stream of [child.stdout, child.stderr]) {
        createInterface({ input: stream }).on('line', (line) => logJobLine(job, line));
      }
      child.once('error', (err) => {
        log('error', 'backup job could not start', { job, ...errorFields(err) });
        resolve(null);
      });
      child.once('close', (code) => {
        this.#runningJob = undefined;
        resolve(code);
      });
    });
  }

  /** One refresh at a time: a slow repository must not pile up overlapping `pgbackrest info` runs. */
  refreshMetrics() {
    this.#refreshing ??= collectMetrics(this.env, this.jobs)
      .then((metrics) => {
        this.#metrics = metrics;
        writeTextfile(this.textfile, metrics.text);
      })
      .catch((err) => log('error', 'backup metrics refresh failed', errorFields(err)))
      .finally(() => {
        this.#refreshing = undefined;
      });
    return this.#refreshing;
  }

  /** Stops the timers and the HTTP server; a running job gets SIGTERM (pgBackRest then releases its locks). */
  async stop() {
    this.#stopping = true;
    clearTimeout(this.#dailyTimer);
    clearInterval(this.#metricsTimer);
    this.#runningJob?.kill('SIGTERM');
    await this.#dailyRun;
    await new Promise((resolve) => this.#server.close(() => resolve(undefined)));
    log('info', 'backup scheduler stopped');
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const scheduler = new BackupScheduler(process.env);
  for (const signal of /** @type {const} */ (['SIGTERM', 'SIGINT'])) {
    process.once(signal, () => void scheduler.stop().then(() => process.exit(0)));
  }
  scheduler.start().catch((err) => {
    log('error', 'backup scheduler failed to start', errorFields(err));
    process.exit(1);
  });
}
