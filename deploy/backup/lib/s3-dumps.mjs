#!/usr/bin/env node
// @ts-check
/**
 * Logical dumps in the backup bucket.
 *   s3-dumps.mjs upload <file>            upload a dump named <database>-<YYYYMMDDTHHMMSSZ>.dump[.enc] (multipart, streamed)
 *   s3-dumps.mjs list                     one JSON line per dump, newest first
 *   s3-dumps.mjs download <name|latest> <file>
 *                                         an encrypted dump (.enc) is decrypted on the way (bin/dump-cipher.sh): <file>
 *                                         is what pg_restore reads; a wrong passphrase leaves no file
 *   s3-dumps.mjs prune                    delete dumps older than BACKUP_RETENTION_DAYS (never the newest one)
 *   s3-dumps.mjs ensure-bucket            create the bucket when it does not exist yet (pgBackRest never creates it)
 */
import { spawn } from 'node:child_process';
import { createReadStream, createWriteStream, rmSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { CreateBucketCommand, DeleteObjectCommand, GetObjectCommand, HeadBucketCommand } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { errorFields, log, requireEnv } from './env.mjs';
import { createS3Client, listDumps, parseDumpName, s3Settings } from './s3.mjs';

const DAY_MS = 24 * 60 * 60 * 1000;

/** @param {string} text */
function usage(text) {
  throw Object.assign(
    new Error(`${text}\nusage: s3-dumps.mjs upload <file> | list | download <name|latest> <file> | prune | ensure-bucket`),
    {
      code: 'USAGE',
    },
  );
}

/**
 * Streams an encrypted dump through bin/dump-cipher.sh into `file`; on failure (a wrong passphrase, a damaged object)
 * the partial file is removed and the error says so.
 * @param {NodeJS.ReadableStream} body
 * @param {string} file
 */
async function decryptTo(body, file) {
  const cipher = spawn(join(requireEnv(process.env, 'BACKUP_HOME'), 'bin/dump-cipher.sh'), ['decrypt', '-', file], {
    stdio: ['pipe', 'inherit', 'pipe'],
  });
  let stderr = '';
  cipher.stderr.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise((resolve, reject) => {
    cipher.on('error', reject);
    cipher.on('close', resolve);
  });
  try {
    // openssl stops reading on a bad decrypt: a broken pipe then is the same failure, reported by the exit code.
    await pipeline(body, cipher.stdin).catch((err) => {
      if (/** @type {{ code?: string }} */ (err).code !== 'EPIPE') throw err;
    });
    const code = await exited;
    if (code !== 0) {
      throw Object.assign(new Error(`cannot decrypt the dump (wrong passphrase or damaged object): ${stderr.trim().split('\n')[0]}`), {
        code: 'DUMP_DECRYPT_FAILED',
      });
    }
  } catch (err) {
    rmSync(file, { force: true });
    throw err;
  }
}

async function main(argv = process.argv.slice(2)) {
  const settings = s3Settings(process.env);
  const client = createS3Client(process.env);
  const [command, ...args] = argv;
  switch (command) {
    case 'upload': {
      const [file] = args;
      if (!file) return usage('upload needs a file');
      // Retention reads the dump's age from its name, so a name without the stamp would never expire.
      if (!parseDumpName(basename(file))) {
        throw Object.assign(new Error(`${basename(file)} is not a dump name (<database>-<YYYYMMDDTHHMMSSZ>.dump[.enc])`), {
          code: 'DUMP_BAD_NAME',
        });
      }
      const key = settings.prefix + basename(file);
      const sizeBytes = statSync(file).size;
      // lib-storage switches to a multipart upload past 5 MiB, so dumps are not bound by the 5 GiB single-PUT limit.
      await new Upload({ client, params: { Bucket: settings.bucket, Key: key, Body: createReadStream(file) } }).done();
      log('info', 'dump uploaded', { key, sizeBytes });
      console.log(JSON.stringify({ key, sizeBytes }));
      return;
    }
    case 'list': {
      for (const dump of await listDumps(client, settings)) console.log(JSON.stringify(dump));
      return;
    }
    case 'download': {
      const [which, file] = args;
      if (!which || !file) return usage('download needs a dump name (or latest) and a file');
      const dumps = await listDumps(client, settings);
      const dump = which === 'latest' ? dumps[0] : dumps.find((d) => d.name === which || d.key === which);
      if (!dump) throw Object.assign(new Error(`no dump ${which} under ${settings.prefix}`), { code: 'DUMP_NOT_FOUND' });
      const object = await client.send(new GetObjectCommand({ Bucket: settings.bucket, Key: dump.key }));
      const body = /** @type {NodeJS.ReadableStream} */ (object.Body);
      if (dump.encrypted) await decryptTo(body, file);
      else await pipeline(body, createWriteStream(file));
      log('info', 'dump downloaded', { key: dump.key, file, decrypted: dump.encrypted });
      console.log(JSON.stringify({ key: dump.key, file }));
      return;
    }
    case 'prune': {
      const cutoff = Date.now() - settings.retentionDays * DAY_MS;
      const [newest, ...older] = await listDumps(client, settings);
      // The newest dump survives whatever its age: if dumps stopped being made, the last one is all there is.
      const expired = older.filter((d) => d.takenAt.getTime() < cutoff);
      for (const dump of expired) await client.send(new DeleteObjectCommand({ Bucket: settings.bucket, Key: dump.key }));
      log('info', 'dumps pruned', { retentionDays: settings.retentionDays, deleted: expired.map((d) => d.key), newest: newest?.key });
      console.log(JSON.stringify({ deleted: expired.map((d) => d.key), kept: older.length - expired.length + (newest ? 1 : 0) }));
      return;
    }
    case 'ensure-bucket': {
      try {
        await client.send(new HeadBucketCommand({ Bucket: settings.bucket }));
        return;
      } catch (err) {
        if (/** @type {{ $metadata?: { httpStatusCode?: number } }} */ (err).$metadata?.httpStatusCode !== 404) throw err;
      }
      await client.send(new CreateBucketCommand({ Bucket: settings.bucket }));
      log('info', 'bucket created', { bucket: settings.bucket });
      return;
    }
    default:
      return usage(`unknown command ${command ?? '(none)'}`);
  }
}

main().catch((err) => {
  log('error', 's3-dumps failed', errorFields(err));
  process.exitCode = 1;
});
