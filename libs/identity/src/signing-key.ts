/**
 * The token-signing key: PKCS8 PEM at AUTH_SIGNING_KEY_FILE, created with mode 0600 on first start. Replicas share
 * it through the file (a shared volume or secret); the first replica to start writes it, the others read it.
 *
 * Rotation with overlap, so no valid token stops verifying: next to the key file, `<file>.next` (made by `prepare`) is
 * published in the JWKS before it signs, so verifiers already hold it; `promote` makes it the signing key and keeps
 * the old one as `<file>.previous`, published until the tokens it signed have expired; `retire` then drops it.
 * Auth reads the files at start: restart it (every replica) after each step. CLI: rotate-signing-key.ts.
 */
import { SightlineError } from '@sightline/contracts';
import { type Logger } from '@sightline/observability';
import { TokenSigner } from '@sightline/security';
import { randomUUID } from 'node:crypto';
import { link, mkdir, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { type IdentityConfig } from './config.js';
import { IdentityErrorCode } from './errors.js';
import { IdentityLogCode } from './errors.js';

export const nextKeyFile = (file: string): string => `${file}.next`;
export const previousKeyFile = (file: string): string => `${file}.previous`;

/** The signing key, publishing the next and previous keys of a rotation when their files exist. */
export async function loadSigningKey(config: IdentityConfig, logger: Logger): Promise<TokenSigner> {
  const signer = await loadCurrentKey(config, logger);
  const file = config.AUTH_SIGNING_KEY_FILE;
  if (!file) return signer;
  const published = [];
  for (const [role, path] of [
    ['next', nextKeyFile(file)],
    ['previous', previousKeyFile(file)],
  ] as const) {
    const key = await readKeyFile(path, config);
    if (!key) continue;
    published.push(key.publicJwk);
    logger.info(`${role} signing key published (verifies, does not sign)`, { file: path, kid: key.publicJwk.kid });
  }
  return signer.publishing(published);
}

/** A key file of a rotation, checked like the signing key; undefined when it does not exist. */
async function readKeyFile(path: string, config: IdentityConfig): Promise<TokenSigner | undefined> {
  const options = { issuer: config.AUTH_ISSUER, audience: config.AUTH_AUDIENCE };
  const mode = await stat(path).then(
    (info) => info.mode,
    () => undefined,
  );
  if (mode === undefined) return undefined;
  if (mode & 0o077) {
    throw new SightlineError(
      IdentityErrorCode.signingKeyExposed,
      `signing key file ${path} is accessible to other users: rotate the key, then chmod 600 it`,
      { file: path },
    );
  }
  try {
    return await TokenSigner.fromPkcs8(await readFile(path, 'utf8'), options);
  } catch (err) {
    throw new SightlineError(
      IdentityErrorCode.signingKeyInvalid,
      `cannot use the signing key file: ${(err as Error).message}`,
      { file: path },
      { cause: err },
    );
  }
}

export type RotationStep = 'prepare' | 'promote' | 'retire';

/**
 * One step of a key rotation on the files (auth must be restarted afterwards to use them):
 * - prepare: writes a new key to `<file>.next` (refused if one is waiting);
 * - promote: `<file>` → `<file>.previous`, `<file>.next` → `<file>` (refused without a prepared key, or while a
 *   previous key is still published);
 * - retire: removes `<file>.previous`, refused until `minPreviousAgeSeconds` (the token TTL) after its promotion.
 * Returns the key ids involved.
 */
export async function rotateSigningKey(
  file: string,
  step: RotationStep,
  minPreviousAgeSeconds: number,
  now = Date.now(),
): Promise<Record<string, string>> {
  const next = nextKeyFile(file);
  const previous = previousKeyFile(file);
  const exists = (path: string) =>
    stat(path).then(
      () => true,
      () => false,
    );
  const kidOf = async (path: string) => (await TokenSigner.fromPkcs8(await readFile(path, 'utf8'))).publicJwk.kid!;
  const refuse = (message: string) => new SightlineError(IdentityErrorCode.keyRotationRefused, message, { file });
  switch (step) {
    case 'prepare': {
      if (await exists(next)) throw refuse(`a next key is already prepared (${next}): promote it, or remove it first`);
      const signer = await TokenSigner.generate();
      await writeFile(next, await signer.exportPkcs8(), { mode: 0o600, flag: 'wx' });
      return { next: signer.publicJwk.kid! };
    }
    case 'promote': {
      if (!(await exists(next))) throw refuse('no next key: run prepare, restart auth, and wait for the verifiers to fetch it');
      if (await exists(previous)) throw refuse(`the previous key is still published (${previous}): retire it first`);
      const retiring = await kidOf(file);
      await rename(file, previous);
      // Its age counts from now: retire waits for the tokens it signed until this moment to expire.
      const seconds = now / 1000;
      await utimes(previous, seconds, seconds);
      await rename(next, file);
      return { current: await kidOf(file), previous: retiring };
    }
    case 'retire': {
      const info = await stat(previous).catch(() => undefined);
      if (!info) throw refuse('no previous key to retire');
      const ageSeconds = (now - info.mtimeMs) / 1000;
      if (ageSeconds < minPreviousAgeSeconds) {
        throw refuse(
          `tokens signed with the previous key may still be valid: retire it in ${Math.ceil(minPreviousAgeSeconds - ageSeconds)} s`,
        );
      }
      const retired = await kidOf(previous);
      await rm(previous);
      return { retired };
    }
  }
}

async function loadCurrentKey(config: IdentityConfig, logger: Logger): Promise<TokenSigner> {
  const options = { issuer: config.AUTH_ISSUER, audience: config.AUTH_AUDIENCE };
  const file = config.AUTH_SIGNING_KEY_FILE;
  if (!file) {
    logger.warn('AUTH_SIGNING_KEY_FILE not set: signing with an in-memory key; issued tokens stop verifying on restart', {
      code: IdentityLogCode.signingKeyEphemeral,
    });
    return TokenSigner.generate(options);
  }
  // A key others could read may already be copied: refuse it rather than keep signing with it.
  const mode = await stat(file).then(
    (info) => info.mode,
    () => undefined,
  );
  if (mode !== undefined && mode & 0o077) {
    throw new SightlineError(
      IdentityErrorCode.signingKeyExposed,
      `signing key file ${file} is accessible to other users: rotate the key, then chmod 600 it`,
      { file },
    );
  }
  try {
    const signer = await TokenSigner.fromPkcs8(await readFile(file, 'utf8'), options);
    logger.info('signing key loaded', { file, kid: signer.publicJwk.kid });
    return signer;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new SightlineError(
        IdentityErrorCode.signingKeyInvalid,
        `cannot use the signing key file: ${(err as Error).message}`,
        { file },
        { cause: err },
      );
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
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return loadCurrentKey(config, logger);
    throw new SightlineError(
      IdentityErrorCode.signingKeyInvalid,
      `cannot write the signing key file: ${(err as Error).message}`,
      { file },
      { cause: err },
    );
  } finally {
    await rm(staging, { force: true });
  }
  logger.info('signing key created', { file, kid: signer.publicJwk.kid });
  return signer;
}
