/**
 * Database provisioning (compose service `db-provision`, one shot before the services start): as the owner in
 * DATABASE_URL, applies every migration and (re)creates the runtime role of each service whose password is set:
 * DATABASE_AUTH_PASSWORD, DATABASE_PERSISTENCE_PASSWORD, DATABASE_TRACKER_PASSWORD. Exit code 0 or 1.
 */
import 'reflect-metadata';
import { redactUrl } from '@sightline/contracts';
import { DATABASE_SERVICES, provisionDatabase, type DatabaseService } from './database-roles.js';
import { DbErrorCode } from './errors.js';

const log = (level: string, message: string, meta: Record<string, unknown> = {}) =>
  process.stdout.write(JSON.stringify({ level, message, service: 'db-provision', ...meta }) + '\n');

const url = process.env.DATABASE_URL ?? 'postgres://sightline@127.0.0.1:5432/sightline';
const passwords: Partial<Record<DatabaseService, string>> = {};
for (const service of DATABASE_SERVICES) {
  const password = process.env[`DATABASE_${service.toUpperCase()}_PASSWORD`];
  if (password) passwords[service] = password;
}
try {
  const applied = await provisionDatabase(url, passwords);
  log('info', 'database provisioned', { database: redactUrl(url), applied, roles: Object.keys(passwords) });
} catch (err) {
  const e = err as Error & { code?: string };
  log('error', 'database provisioning failed', { code: e.code ?? DbErrorCode.dbProvisionFailed, error: e.message });
  process.exitCode = 1;
}
