/**
 * The token-signing key: PKCS8 PEM at AUTH_SIGNING_KEY_FILE, created with mode 0600 on first start. Replicas share
 * it through the file (a shared volume or secret); the first replica to start writes it, the others read it.
 */
import { SightlineError } from '@sightline/contracts';
import { type Logger } from '@sightline/observability';
import { TokenSigner } from '@sightline/security';
import { randomUUID } from 'node:crypto';
import { link, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { type AuthConfig } from './config.js';

export async function loadSigningKey(config: AuthConfig, logger: Logger): Promise<TokenSigner> {
  const options = { issuer: config.AUTH_ISSUER, audience: config.AUTH_AUDIENCE };
  const file = config.AUTH_SIGNING_KEY_FILE;
  if (!file) {
    logger.warn('AUTH_SIGNING_KEY_FILE not set: signing with an in-memory key; issued tokens stop verifying on restart', {
      code: 'SIGNING_KEY_EPHEMERAL',
    });
    return TokenSigner.generate(options);
  }
  // A key others could read may already be copied: refuse it rather than keep signing with it.
  const mode = await stat(file).then((info) => info.mode, () => undefined);
  if (mode !== undefined && mode & 0o077) {
    throw new SightlineError('SIGNING_KEY_EXPOSED', `signing key file ${file} is accessible to other users: rotate the key, then chmod 600 it`, { file });
  }
  try {
    const signer = await TokenSigner.fromPkcs8(await readFile(file, 'utf8'), options);
    logger.info('signing key loaded', { file, kid: signer.publicJwk.kid });
    return signer;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new SightlineError('SIGNING_KEY_INVALID', `cannot use the signing key file: ${(err as Error).message}`, { file }, { cause: err });
    }
  }
  const signer = await TokenSigner.generate(options);
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  // Written aside, then hard-linked into place: the key file appears complete or not at all, and link() refuses to
  // replace a key another replica installed a moment ago (we then use theirs).
  const staging = `${file}.${process.pid}.${randomUUID()}.tmp`;
  try {
    await writeFile(staging, await signer.exportPkcs8(), { mode: 0o600, flag: 'wx' });
    await link(staging, file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return loadSigningKey(config, logger);
    throw new SightlineError('SIGNING_KEY_INVALID', `cannot write the signing key file: ${(err as Error).message}`, { file }, { cause: err });
  } finally {
    await rm(staging, { force: true });
  }
  logger.info('signing key created', { file, kid: signer.publicJwk.kid });
  return signer;
}
