#!/usr/bin/env node
// @ts-check
/**
 * Backup metrics for Prometheus, read from the sources of truth rather than from what the scheduler believes:
 *  - pgBackRest's repository (`pgbackrest info`): newest backup of each type, its duration and size;
 *  - PostgreSQL's pg_stat_archiver: when the last WAL segment was archived (the RPO) and archive failures;
 *  - the dump prefix in the bucket: newest dump and its size;
 *  - the scheduler's own job runs (success, duration), when a scheduler passes them in;
 *  - the schedule itself (BACKUP_SCHEDULE in BACKUP_TIMEZONE) and the next run it gives, when both are set.
 * A source that cannot be read sets sightline_backup_source_up{source} to 0 and leaves its metrics out, so stale
 * values never look fresh. CLI: `metrics.mjs [--textfile PATH]` prints (or writes) one snapshot.
 */
import { execFile } from 'node:child_process';
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Gauge, Registry } from 'prom-client';
import { errorFields, log, requireEnv } from './env.mjs';
import { nextRunAt } from './schedule.mjs';
import { createS3Client, listDumps, s3Settings } from './s3.mjs';

const run = promisify(execFile);

/**
 * @typedef {{ label: string, type: 'full' | 'diff' | 'incr', timestamp: { start: number, stop: number },
 *   info: { size: number, repository: { size: number } }, error?: boolean }} PgBackRestBackup
 * @typedef {{ lastRunAt: Date, lastDurationSeconds: number, lastSucceeded: boolean }} JobRun
 */

/**
 * The stanza's backups from the repository, oldest first.
 * @param {NodeJS.ProcessEnv} env
 * @returns {Promise<PgBackRestBackup[]>}
 */
export async function readBackups(env) {
  const home = requireEnv(env, 'BACKUP_HOME');
  const stanza = requireEnv(env, 'BACKUP_STANZA');
  const { stdout } = await run(join(home, 'bin/pgbackrest.sh'), [`--stanza=${stanza}`, '--output=json', 'info'], {
    env,
    timeout: 120_000,
  });
  const [info] = JSON.parse(stdout);
  // status 2 = "no valid backups": a readable, still empty repository.
  if (!info || (info.status?.code !== 0 && info.status?.code !== 2)) {
    throw Object.assign(new Error(`pgbackrest info: ${info?.status?.message ?? 'no stanza'}`), { code: 'BACKUP_REPO_UNHEALTHY' });
  }
  return info.backup ?? [];
}

/**
 * @param {NodeJS.ProcessEnv} env
 * @returns {Promise<{ archived: number, failed: number, lastArchivedAt?: number, lastFailedAt?: number }>}
 */
async function readArchiver(env) {
  const query = `SELECT archived_count, failed_count, coalesce(extract(epoch FROM last_archived_time)::text, ''),
    coalesce(extract(epoch FROM last_failed_time)::text, '') FROM pg_stat_archiver`;
  const { stdout } = await run(
    'psql',
    [
      '-h',
      requireEnv(env, 'BACKUP_PG_SOCKET'),
      '-p',
      requireEnv(env, 'BACKUP_PG_PORT'),
      '-U',
      requireEnv(env, 'BACKUP_PG_USER'),
      '-d',
      requireEnv(env, 'BACKUP_PG_DATABASE'),
      '--no-password',
      '-AtX',
      '-v',
      'ON_ERROR_STOP=1',
      '-c',
      query,
    ],
    { env, timeout: 30_000 },
  );
  const [archived, failed, lastArchivedAt, lastFailedAt] = stdout.trim().split('|');
  return {
    archived: Number(archived),
    failed: Number(failed),
    lastArchivedAt: lastArchivedAt ? Number(lastArchivedAt) : undefined,
    lastFailedAt: lastFailedAt ? Number(lastFailedAt) : undefined,
  };
}

/**
 * One snapshot of every backup metric, in the Prometheus text format.
 * @param {NodeJS.ProcessEnv} env
 * @param {Map<string, JobRun>} [jobs] the scheduler's job runs, by job name
 */
export async function collectMetrics(env, jobs = new Map()) {
  const registry = new Registry();
  /** @param {string} name @param {string} help @param {string[]} [labelNames] */
  const gauge = (name, help, labelNames = []) => new Gauge({ name, help, labelNames, registers: [registry] });

  const sourceUp = gauge('sightline_backup_source_up', 'Whether the source of these metrics could be read (1) or not (0)', ['source']);
  const backupLastSuccess = gauge('sightline_backup_last_success_timestamp_seconds', 'Stop time of the newest backup in the repository', [
    'type',
  ]);
  const backupDuration = gauge('sightline_backup_last_duration_seconds', 'Duration of the newest backup', ['type']);
  const backupSize = gauge('sightline_backup_last_size_bytes', 'Database size copied by the newest backup', ['type']);
  const backupRepoSize = gauge('sightline_backup_last_repository_size_bytes', 'Compressed size of the newest backup in the repository', [
    'type',
  ]);
  const backupSets = gauge('sightline_backup_sets', 'Backups held in the repository (after retention)', ['type']);
  const walLastSuccess = gauge('sightline_wal_archive_last_success_timestamp_seconds', 'When PostgreSQL last archived a WAL segment');
  const walLastFailure = gauge('sightline_wal_archive_last_failure_timestamp_seconds', 'When archiving a WAL segment last failed');
  const walArchived = gauge('sightline_wal_archived_segments', 'WAL segments archived since the statistics reset (pg_stat_archiver)');
  const walFailures = gauge('sightline_wal_archive_failures', 'Failed WAL archive attempts since the statistics reset (pg_stat_archiver)');
  const dumpLastSuccess = gauge('sightline_dump_last_success_timestamp_seconds', 'When the newest logical dump in the bucket was taken');
  const dumpSize = gauge('sightline_dump_last_size_bytes', 'Size of the newest logical dump');
  const dumps = gauge('sightline_dumps', 'Logical dumps held in the bucket (after retention)');
  const jobSucceeded = gauge('sightline_backup_job_last_success', 'Whether the last scheduled run of the job succeeded', ['job']);
  const jobRunAt = gauge('sightline_backup_job_last_run_timestamp_seconds', 'When the job last ran', ['job']);
  const jobDuration = gauge('sightline_backup_job_last_duration_seconds', 'Duration of the last run of the job', ['job']);
  const scheduleInfo = gauge('sightline_backup_schedule_info', 'The daily backup time (HH:MM) and the IANA zone it is read in', [
    'schedule',
    'timezone',
  ]);
  const nextRun = gauge('sightline_backup_next_run_timestamp_seconds', 'When the daily backup runs next');

  if (env.BACKUP_SCHEDULE && env.BACKUP_TIMEZONE) {
    scheduleInfo.set({ schedule: env.BACKUP_SCHEDULE, timezone: env.BACKUP_TIMEZONE }, 1);
    nextRun.set(nextRunAt(new Date(), env.BACKUP_SCHEDULE, env.BACKUP_TIMEZONE).getTime() / 1000);
  }

  /** @param {string} source @param {() => Promise<void>} read */
  const fromSource = async (source, read) => {
    try {
      await read();
      sourceUp.set({ source }, 1);
    } catch (err) {
      sourceUp.set({ source }, 0);
      log('warn', 'backup metrics source unreadable', { source, ...errorFields(err) });
    }
  };

  await Promise.all([
    fromSource('pgbackrest', async () => {
      const backups = await readBackups(env);
      for (const type of ['full', 'diff', 'incr']) {
        const ofType = backups.filter((b) => b.type === type && !b.error);
        backupSets.set({ type }, ofType.length);
        const newest = ofType.at(-1);
        if (!newest) continue;
        backupLastSuccess.set({ type }, newest.timestamp.stop);
        backupDuration.set({ type }, newest.timestamp.stop - newest.timestamp.start);
        backupSize.set({ type }, newest.info.size);
        backupRepoSize.set({ type }, newest.info.repository.size);
      }
    }),
    fromSource('postgres', async () => {
      const archiver = await readArchiver(env);
      walArchived.set(archiver.archived);
      walFailures.set(archiver.failed);
      if (archiver.lastArchivedAt !== undefined) walLastSuccess.set(archiver.lastArchivedAt);
      if (archiver.lastFailedAt !== undefined) walLastFailure.set(archiver.lastFailedAt);
    }),
    fromSource('s3', async () => {
      const all = await listDumps(createS3Client(env), s3Settings(env));
      dumps.set(all.length);
      const newest = all[0];
      if (!newest) return;
      dumpLastSuccess.set(newest.takenAt.getTime() / 1000);
      dumpSize.set(newest.sizeBytes);
    }),
  ]);

  for (const [job, runInfo] of jobs) {
    jobSucceeded.set({ job }, runInfo.lastSucceeded ? 1 : 0);
    jobRunAt.set({ job }, runInfo.lastRunAt.getTime() / 1000);
    jobDuration.set({ job }, runInfo.lastDurationSeconds);
  }
  return { text: await registry.metrics(), contentType: registry.contentType };
}

/**
 * Atomic write for node_exporter's textfile collector (it must never read a half-written file).
 * @param {string} path
 * @param {string} text
 */
export function writeTextfile(path, text) {
  writeFileSync(`${path}.tmp`, text);
  renameSync(`${path}.tmp`, path);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const textfileFlag = process.argv.indexOf('--textfile');
  collectMetrics(process.env)
    .then(({ text }) => {
      const textfile = textfileFlag >= 0 ? process.argv[textfileFlag + 1] : undefined;
      if (textfile) writeTextfile(textfile, text);
      else process.stdout.write(text);
    })
    .catch((err) => {
      log('error', 'backup metrics failed', errorFields(err));
      process.exitCode = 1;
    });
}
