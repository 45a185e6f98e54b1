// @ts-check
/**
 * The S3 side of the logical dumps: one client built from the same BACKUP_S3_* settings (and the same credentials)
 * as the pgBackRest repository, and the naming rule `<prefix><database>-<YYYYMMDDTHHMMSSZ>.dump[.enc]` that retention
 * reads (`.enc`: encrypted by bin/dump-cipher.sh; dumps from before encryption keep their plain `.dump`).
 */
import { readFileSync } from 'node:fs';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { requireEnv } from './env.mjs';

/** `sightline-20250626T020000Z.dump.enc` → groups: database, stamp, encrypted. */
const DUMP_NAME = /^(?<database>.+)-(?<stamp>\d{8}T\d{6}Z)\.dump(?<encrypted>\.enc)?$/;

/**
 * @typedef {{ key: string, name: string, database: string, takenAt: Date, encrypted: boolean, sizeBytes: number }} DumpObject
 */

/** @param {NodeJS.ProcessEnv} env */
export function s3Settings(env) {
  return {
    bucket: requireEnv(env, 'BACKUP_S3_BUCKET'),
    prefix: requireEnv(env, 'BACKUP_DUMP_PREFIX'),
    retentionDays: Number(requireEnv(env, 'BACKUP_RETENTION_DAYS')),
  };
}

/** @param {NodeJS.ProcessEnv} env */
export function createS3Client(env) {
  const caFile = env.BACKUP_S3_CA_FILE;
  return new S3Client({
    // pgBackRest only talks TLS to S3, so the dump client does too: one endpoint setting for both.
    endpoint: `https://${requireEnv(env, 'BACKUP_S3_HOST')}:${requireEnv(env, 'BACKUP_S3_PORT')}`,
    region: requireEnv(env, 'BACKUP_S3_REGION'),
    forcePathStyle: requireEnv(env, 'BACKUP_S3_URI_STYLE') === 'path',
    credentials: {
      accessKeyId: requireEnv(env, 'PGBACKREST_REPO1_S3_KEY'),
      secretAccessKey: requireEnv(env, 'PGBACKREST_REPO1_S3_KEY_SECRET'),
    },
    requestHandler: {
      httpsAgent: {
        ...(caFile ? { ca: readFileSync(caFile) } : {}),
        rejectUnauthorized: requireEnv(env, 'BACKUP_S3_VERIFY_TLS') === 'y',
      },
    },
  });
}

/** @param {string} stamp */
function parseStamp(stamp) {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(stamp);
  if (!m) throw new Error(`bad dump stamp ${stamp}`);
  const [, y, mo, d, h, mi, s] = m.map(Number);
  return new Date(Date.UTC(/** @type {number} */ (y), /** @type {number} */ (mo) - 1, d, h, mi, s));
}

/**
 * @param {string} name a dump's file name (no prefix)
 * @returns {{ database: string, takenAt: Date, encrypted: boolean } | undefined} undefined when the name does not follow the rule
 */
export function parseDumpName(name) {
  const groups = DUMP_NAME.exec(name)?.groups;
  if (!groups?.database || !groups.stamp) return undefined;
  return { database: groups.database, takenAt: parseStamp(groups.stamp), encrypted: groups.encrypted !== undefined };
}

/**
 * Every dump under the prefix, newest first. Objects that do not follow the naming rule are not dumps of ours and
 * are left out (so retention never deletes them).
 * @param {S3Client} client
 * @param {{ bucket: string, prefix: string }} settings
 * @returns {Promise<DumpObject[]>}
 */
export async function listDumps(client, { bucket, prefix }) {
  /** @type {DumpObject[]} */
  const dumps = [];
  /** @type {string | undefined} */
  let continuationToken;
  do {
    const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: continuationToken }));
    for (const object of page.Contents ?? []) {
      const name = (object.Key ?? '').slice(prefix.length);
      const parsed = parseDumpName(name);
      if (object.Key && parsed) dumps.push({ key: object.Key, name, ...parsed, sizeBytes: object.Size ?? 0 });
    }
    continuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (continuationToken);
  return dumps.sort((a, b) => b.takenAt.getTime() - a.takenAt.getTime());
}
