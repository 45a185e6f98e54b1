// @ts-check
/**
 * Settings and logging shared by the Node tools. Defaults live in bin/backup-env.sh only (sourced before any of these
 * tools starts), so here a missing variable is a wiring error, reported with its name.
 */

/**
 * @param {NodeJS.ProcessEnv} env
 * @param {string} name
 */
export function requireEnv(env, name) {
  const value = env[name];
  if (value === undefined || value === '') {
    throw Object.assign(new Error(`${name} is not set (run through deploy/backup/bin/ scripts, which source backup-env.sh)`), {
      code: 'BACKUP_CONFIG_MISSING',
    });
  }
  return value;
}

/**
 * One JSON object per line on stderr, like the rest of the fleet (stdout stays free for command results).
 * @param {'info' | 'warn' | 'error'} level
 * @param {string} message
 * @param {Record<string, unknown>} [fields]
 */
export function log(level, message, fields = {}) {
  process.stderr.write(`${JSON.stringify({ timestamp: new Date().toISOString(), level, service: 'backup', message, ...fields })}\n`);
}

/** @param {unknown} err */
export function errorFields(err) {
  const e = /** @type {{ code?: unknown, name?: unknown, message?: unknown }} */ (err);
  return { code: e?.code ?? e?.name ?? 'ERROR', error: String(e?.message ?? err) };
}
