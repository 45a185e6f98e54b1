/**
 * The backup and recovery drill, against real peers: PostgreSQL 15 archiving WAL with pgBackRest to an S3 server
 * (s3rver over TLS, its self-signed certificate trusted through BACKUP_S3_CA_FILE) and the real scripts of
 * deploy/backup. It runs what the runbook tells an operator to run, and prints the RPO and RTO it measured.
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RESULT_ENTITIES, RESULT_MIGRATIONS, connectAndMigrate, createDataSource } from '@sightline/db';
import { LocalPostgres, ManagedProcess, freePort, makeTempDir, postgresBinDir, waitForPort } from '@sightline/local-infra';

const run = promisify(execFile);
const backupHome = import.meta.dirname;
const repoRoot = join(backupHome, '../..');
const DAY_MS = 24 * 60 * 60 * 1000;
const CIPHER_PASS = 'drill-repository-passphrase';

const CHECKSUM_SQL = readFileSync(join(backupHome, 'sql/analysis-results-checksum.sql'), 'utf8');

interface RestoreSummary {
  targetTime: string;
  rows: number;
  checksum: string;
  tables: Record<string, number>;
  rtoSeconds: number;
  running: boolean;
}

describe('backup and recovery drill (pgBackRest + WAL archive on S3 over TLS)', () => {
  let dir: string;
  let s3: ManagedProcess;
  let pg: LocalPostgres;
  let env: NodeJS.ProcessEnv;
  const restoredDirs: string[] = [];

  /** Runs one of deploy/backup/bin's scripts the way an operator would; returns its stdout. */
  async function tool(script: string, args: string[] = []): Promise<string> {
    try {
      const { stdout } = await run(join(backupHome, 'bin', script), args, { env, maxBuffer: 16 << 20 });
      return stdout;
    } catch (err) {
      const e = err as { stderr?: string; stdout?: string; message: string };
      throw new Error(`${script} ${args.join(' ')} failed: ${e.message}\n${e.stdout ?? ''}\n${e.stderr ?? ''}`);
    }
  }

  const lastJsonLine = <T>(stdout: string): T => JSON.parse(stdout.trim().split('\n').at(-1)!) as T;
  const sourceChecksum = () => pg.psql(CHECKSUM_SQL).trim().split('|');
  const fullBackupLabels = async () =>
    (
      JSON.parse(await tool('pgbackrest.sh', ['--stanza=sightline', '--output=json', 'info']))[0].backup as {
        label: string;
        type: string;
      }[]
    )
      .filter((b) => b.type === 'full')
      .map((b) => b.label);

  /** Inserts `count` rows in `transactions` separate commits, like the persistence service's batches. */
  function writeRows(sessionId: string, count: number, transactions: number): void {
    for (let t = 0; t < transactions; t++) {
      pg.psql(`INSERT INTO analysis_results (session_id, timestamp, event, payload)
        SELECT '${sessionId}', clock_timestamp(), 'frameAnalyzed', jsonb_build_object('frame', g, 'batch', ${t}, 'detections', '[]'::jsonb)
        FROM generate_series(1, ${Math.ceil(count / transactions)}) AS g`);
    }
  }

  /** Forces the current WAL segment out and waits until PostgreSQL reports it archived; returns the seconds taken. */
  async function switchAndWaitForArchive(): Promise<number> {
    const switchedAt = Date.now();
    const segment = pg.psql('SELECT pg_walfile_name(pg_switch_wal())').trim();
    const deadline = Date.now() + 60_000;
    while (pg.psql("SELECT coalesce(last_archived_wal, '') FROM pg_stat_archiver").trim() < segment) {
      if (Date.now() > deadline) throw new Error(`WAL segment ${segment} not archived within 60 s`);
      await new Promise((r) => setTimeout(r, 100));
    }
    return (Date.now() - switchedAt) / 1000;
  }

  beforeAll(async () => {
    dir = await makeTempDir('backup-drill');
    // pgBackRest verifies the host name against the certificate's DNS names (not IP SANs): hence "localhost".
    await run(join(backupHome, 'bin/make-self-signed-cert.sh'), [join(dir, 'certs'), 'localhost', '1']);

    const s3Port = await freePort();
    s3 = new ManagedProcess(
      process.execPath,
      [
        join(repoRoot, 'node_modules/s3rver/bin/s3rver.js'),
        '--directory',
        join(dir, 's3'),
        '--address',
        '127.0.0.1',
        '--port',
        String(s3Port),
        '--key',
        join(dir, 'certs/private.key'),
        '--cert',
        join(dir, 'certs/public.crt'),
        '--silent',
      ],
      { name: 's3rver' },
    ).start();
    await waitForPort(s3Port);

    const pgPort = await freePort();
    const pgDir = join(dir, 'pg');
    // No bucket yet: the backup agent creates it at start, as in a fresh deployment.
    env = {
      ...process.env,
      BACKUP_S3_HOST: 'localhost',
      BACKUP_S3_PORT: String(s3Port),
      BACKUP_S3_CA_FILE: join(dir, 'certs/public.crt'),
      BACKUP_STATE_DIR: join(dir, 'state'),
      // s3rver answers one request at a time slowly; more parallel uploads shorten the backups.
      BACKUP_PROCESS_MAX: '4',
      BACKUP_PGDATA: join(pgDir, 'pgdata'),
      BACKUP_PG_PORT: String(pgPort),
      BACKUP_PG_SOCKET: pgDir,
      PGBACKREST_CONFIG: join(dir, 'pgbackrest.conf'),
      PGBACKREST_REPO1_S3_KEY: 'S3RVER',
      PGBACKREST_REPO1_S3_KEY_SECRET: 'S3RVER',
      PGBACKREST_REPO1_CIPHER_PASS: CIPHER_PASS,
    };
    await tool('render-config.sh');
    // archive_command runs inside PostgreSQL and inherits its environment, S3 credentials included.
    Object.assign(process.env, {
      PGBACKREST_REPO1_S3_KEY: 'S3RVER',
      PGBACKREST_REPO1_S3_KEY_SECRET: 'S3RVER',
      PGBACKREST_REPO1_CIPHER_PASS: CIPHER_PASS,
    });
    pg = await LocalPostgres.start({
      dataDir: pgDir,
      port: pgPort,
      settings: {
        wal_level: 'replica',
        archive_mode: 'on',
        archive_command: `pgbackrest --config=${env.PGBACKREST_CONFIG} --stanza=sightline archive-push %p`,
        archive_timeout: 60,
      },
    });
    // The schema exactly as the persistence service migrates it (analysis_results, its keys and the summaries).
    const dataSource = createDataSource({ url: pg.url, entities: RESULT_ENTITIES, migrations: RESULT_MIGRATIONS });
    await connectAndMigrate(dataSource);
    await dataSource.destroy();
  });

  afterAll(async () => {
    for (const restored of restoredDirs) {
      try {
        execFileSync('runuser', ['-u', 'postgres', '--', join(postgresBinDir(), 'pg_ctl'), '-D', restored, '-m', 'immediate', 'stop'], {
          stdio: 'pipe',
        });
      } catch {
        // already stopped
      }
    }
    // PostgreSQL first: with the S3 server gone, a pending archive-push would hold its shutdown.
    await pg?.stop();
    await s3?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('the scheduler takes the first full backup and dump at start and exports their metrics', async () => {
    writeRows('seed', 200, 2);
    const startedAt = Date.now() / 1000;
    const metricsPort = await freePort();
    // A daily time one hour ago, on Tokyo's wall clock (UTC+9, no daylight saving) whatever this machine's TZ: the
    // next scheduled run is ~23 h away, so only the start-up run can happen here.
    const hourAgo = new Date(Date.now() - 3_600_000);
    hourAgo.setUTCSeconds(0, 0);
    const tokyoWall = new Date(hourAgo.getTime() + 9 * 3_600_000);
    const schedule = `${String(tokyoWall.getUTCHours()).padStart(2, '0')}:${String(tokyoWall.getUTCMinutes()).padStart(2, '0')}`;
    const agentLog: { message?: string; at?: string }[] = [];
    const agent = new ManagedProcess(join(backupHome, 'bin/backup-agent.sh'), [], {
      name: 'backup-agent',
      env: {
        ...env,
        BACKUP_SCHEDULE: schedule,
        BACKUP_TIMEZONE: 'Asia/Tokyo',
        BACKUP_METRICS_PORT: String(metricsPort),
        BACKUP_METRICS_INTERVAL_S: '1',
      },
      onLine: (line) => line.startsWith('{') && agentLog.push(JSON.parse(line)),
    }).start();
    try {
      await agent.waitForLine(/backup job dump (succeeded|failed)/, 90_000);
      const messages = agentLog.map((entry) => entry.message);
      expect(messages).toContain('no full backup in the repository yet: running the daily jobs now');
      expect(messages).toContain('backup job full succeeded');
      expect(messages).toContain('backup job dump succeeded');
      const expectedNextRun = new Date(hourAgo.getTime() + 86_400_000);
      expect(agentLog.find((entry) => entry.message === 'next daily backup scheduled')?.at).toBe(expectedNextRun.toISOString());

      // The exporter refreshes after the jobs (and every second): wait for a snapshot that includes the dump job.
      let metrics = '';
      const value = (series: string) => Number(new RegExp(`^${series.replace(/[{}]/g, '\\$&')} (\\S+)$`, 'm').exec(metrics)?.[1]);
      for (
        const deadline = Date.now() + 15_000;
        Date.now() < deadline && Number.isNaN(value('sightline_backup_job_last_success{job="dump"}'));
      ) {
        await new Promise((r) => setTimeout(r, 250));
        metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
      }
      expect(value('sightline_backup_last_success_timestamp_seconds{type="full"}')).toBeGreaterThanOrEqual(Math.floor(startedAt));
      expect(value('sightline_backup_last_size_bytes{type="full"}')).toBeGreaterThan(0);
      expect(value('sightline_backup_sets{type="full"}')).toBe(1);
      expect(value('sightline_wal_archive_last_success_timestamp_seconds')).toBeGreaterThan(startedAt);
      expect(value('sightline_dump_last_success_timestamp_seconds')).toBeGreaterThanOrEqual(Math.floor(startedAt));
      expect(value('sightline_backup_job_last_success{job="full"}')).toBe(1);
      expect(value('sightline_backup_job_last_success{job="dump"}')).toBe(1);
      for (const source of ['pgbackrest', 'postgres', 's3']) expect(value(`sightline_backup_source_up{source="${source}"}`)).toBe(1);
      expect(value(`sightline_backup_schedule_info{schedule="${schedule}",timezone="Asia/Tokyo"}`)).toBe(1);
      expect(value('sightline_backup_next_run_timestamp_seconds')).toBe(expectedNextRun.getTime() / 1000);
      const textfile = readFileSync(join(env.BACKUP_STATE_DIR!, 'metrics/sightline_backup.prom'), 'utf8');
      expect(textfile).toMatch(/^sightline_backup_last_success_timestamp_seconds\{type="full"\} \d+/m);
    } finally {
      await agent.stop('SIGTERM', 30_000);
    }
    expect(agent.outputTail).toContain('backup scheduler stopped');
  });

  it('the daily dump is encrypted in the bucket, and the one downloaded from it restores the same rows', async () => {
    const [rows, checksum] = sourceChecksum();
    const [latest] = (await tool('s3-dumps.sh', ['list']))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { key: string; name: string });
    expect(latest!.name).toMatch(/^sightline-\d{8}T\d{6}Z\.dump\.enc$/);
    // The object as stored (s3rver keeps it as a file): OpenSSL's envelope, no trace of the dump inside.
    const [stored] = (readdirSync(join(dir, 's3'), { recursive: true }) as string[]).filter((name) =>
      name.endsWith(`${latest!.name}._S3rver_object`),
    );
    const object = readFileSync(join(dir, 's3', stored!));
    expect(object.subarray(0, 8).toString('latin1')).toBe('Salted__');
    expect(object.toString('latin1')).not.toContain('PGDMP'); // pg_dump's custom-format signature
    expect(object.toString('latin1')).not.toContain('analysis_results');

    const file = join(dir, 'latest.dump');
    await tool('s3-dumps.sh', ['download', 'latest', file]);
    expect(readFileSync(file).subarray(0, 5).toString('latin1')).toBe('PGDMP');
    pg.psql('CREATE DATABASE dump_check', 'postgres');
    execFileSync(join(postgresBinDir(), 'pg_restore'), ['-h', '127.0.0.1', '-p', String(pg.port), '-U', pg.user, '-d', 'dump_check', file]);
    expect(pg.psql(CHECKSUM_SQL, 'dump_check').trim().split('|')).toEqual([rows, checksum]);
    expect(rows).toBe('200');

    // Without the passphrase the object is of no use: the download fails, naming why, and leaves no file.
    const wrong = join(dir, 'wrong-passphrase.dump');
    const failure = await run(join(backupHome, 'bin/s3-dumps.sh'), ['download', latest!.name, wrong], {
      env: { ...env, PGBACKREST_REPO1_CIPHER_PASS: 'not-the-passphrase' },
    }).catch((err: { code: number; stderr: string }) => err);
    expect((failure as { code: number }).code).toBe(1);
    expect((failure as { stderr: string }).stderr).toContain('DUMP_DECRYPT_FAILED');
    expect(existsSync(wrong)).toBe(false);
  });

  it('point-in-time recovery to T holds exactly the rows written up to T; recovery to the latest WAL holds all', async () => {
    writeRows('phase-1', 300, 3);
    const [rowsAtT, checksumAtT] = sourceChecksum();
    const targetTime = pg.psql(`SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || '+00'`).trim();
    await new Promise((r) => setTimeout(r, 50));
    writeRows('phase-2', 150, 2);
    const [allRows, allChecksum] = sourceChecksum();
    expect(Number(allRows)).toBe(Number(rowsAtT) + 150);
    const archiveLatencySeconds = await switchAndWaitForArchive();

    const rpoSeconds = Number(pg.psql('SELECT extract(epoch FROM now() - last_archived_time) FROM pg_stat_archiver').trim());
    const pitrDir = join(dir, 'restore-pitr');
    restoredDirs.push(pitrDir);
    const pitr = lastJsonLine<RestoreSummary>(
      await tool('restore.sh', ['--target-dir', pitrDir, '--target-time', targetTime, '--port', String(await freePort()), '--stop']),
    );
    expect(pitr).toMatchObject({ targetTime, rows: Number(rowsAtT), checksum: checksumAtT, running: false });
    expect(pitr.tables.analysis_results).toBe(Number(rowsAtT));

    const latestDir = join(dir, 'restore-latest');
    restoredDirs.push(latestDir);
    const latestPort = await freePort();
    const latest = lastJsonLine<RestoreSummary>(await tool('restore.sh', ['--target-dir', latestDir, '--port', String(latestPort)]));
    expect(latest).toMatchObject({ targetTime: 'latest', rows: Number(allRows), checksum: allChecksum, running: true });
    // The restored server is a writable primary that does not push into the production archive.
    const restoredPsql = (sql: string) =>
      execFileSync(
        join(postgresBinDir(), 'psql'),
        ['-h', '127.0.0.1', '-p', String(latestPort), '-U', pg.user, '-d', pg.database, '-AtX', '-c', sql],
        { encoding: 'utf8' },
      ).trim();
    expect(restoredPsql('SELECT pg_is_in_recovery()')).toBe('f');
    expect(restoredPsql('SHOW archive_mode')).toBe('off');
    expect(restoredPsql(`SELECT count(*) FROM analysis_results WHERE session_id = 'phase-2'`)).toBe('150');

    console.log(
      `[backup drill] RPO ${rpoSeconds.toFixed(1)} s (age of the newest archived WAL segment at restore time; ` +
        `a closed segment reached S3 ${archiveLatencySeconds.toFixed(1)} s after the switch, so the worst case is ` +
        `archive_timeout 60 s + that); RTO ${pitr.rtoSeconds} s (PITR, ${pitr.rows} rows) / ${latest.rtoSeconds} s (latest, ` +
        `${latest.rows} rows): restore + WAL replay + verification`,
    );
  });

  it('keeps the pgBackRest repository encrypted at rest (aes-256-cbc, passphrase from the environment only)', () => {
    const stored = (readdirSync(join(dir, 's3'), { recursive: true }) as string[]).filter(
      (name) => /(backup|archive)\.info/.test(name) && name.endsWith('_S3rver_object'),
    );
    expect(stored.length).toBeGreaterThan(0);
    for (const name of stored) {
      const content = readFileSync(join(dir, 's3', name));
      expect(content.subarray(0, 8).toString('latin1'), name).toBe('Salted__'); // OpenSSL's envelope: ciphertext follows
      expect(content.toString('latin1')).not.toContain('[db]');
    }
    expect(readFileSync(env.PGBACKREST_CONFIG!, 'utf8')).toMatch(/^repo1-cipher-type=aes-256-cbc$/m);
    expect(readFileSync(env.PGBACKREST_CONFIG!, 'utf8')).not.toContain(CIPHER_PASS);
  });

  it('retention expires older full backups and old dumps (from before encryption too), keeping the newest', async () => {
    const [firstLabel] = await fullBackupLabels();
    await tool('backup-full.sh');
    const labels = await fullBackupLabels();
    expect(labels).toHaveLength(2);
    // Time-based retention (7 days) keeps both; shortening it the way an operator would test it expires the older.
    await tool('pgbackrest.sh', ['--stanza=sightline', '--repo1-retention-full-type=count', '--repo1-retention-full=1', 'expire']);
    expect(await fullBackupLabels()).toEqual([labels[1]]);
    expect(labels[0]).toBe(firstLabel);

    const stamp = (date: Date) =>
      date
        .toISOString()
        .replace(/[-:]/g, '')
        .replace(/\.\d{3}Z$/, 'Z');
    const expiredName = `sightline-${stamp(new Date(Date.now() - 8 * DAY_MS))}.dump`;
    const keptOldName = `sightline-${stamp(new Date(Date.now() - 6 * DAY_MS))}.dump`;
    const dumps = (...args: string[]) => tool('s3-dumps.sh', args);
    for (const name of [expiredName, keptOldName]) {
      writeFileSync(join(dir, name), 'an old dump');
      await dumps('upload', join(dir, name));
    }
    expect(lastJsonLine<{ deleted: string[] }>(await dumps('prune')).deleted).toEqual([`dumps/${expiredName}`]);
    const remaining = (await dumps('list'))
      .trim()
      .split('\n')
      .map((line) => (JSON.parse(line) as { name: string }).name);
    expect(remaining).toHaveLength(2);
    expect(remaining).toContain(keptOldName);
    expect(remaining).not.toContain(expiredName);
  });
});
