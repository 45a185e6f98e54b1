/**
 * A session's zones and counting lines (`session_zones`): written by the persistence API, read by the tracker.
 * Stored as the validated configuration; read back through the same schema, so a row edited by hand into something
 * invalid is reported, never tracked with.
 */
import { sessionZonesSchema, validate, type SessionZones } from '@sightline/contracts';
import { type DataSource } from 'typeorm';

export interface StoredSessionZones extends SessionZones {
  sessionId: string;
  updatedAt: string;
}

interface ZoneRow {
  session_id: string;
  config: unknown;
  updated_at: Date;
}

const toStored = (row: ZoneRow): StoredSessionZones => ({
  sessionId: row.session_id,
  ...validate(sessionZonesSchema, row.config, `zones of session ${row.session_id}`),
  updatedAt: row.updated_at.toISOString(),
});

export async function findSessionZones(dataSource: DataSource, sessionId: string): Promise<StoredSessionZones | undefined> {
  const rows: ZoneRow[] = await dataSource.query('SELECT session_id, config, updated_at FROM session_zones WHERE session_id = $1', [
    sessionId,
  ]);
  return rows[0] ? toStored(rows[0]) : undefined;
}

export async function saveSessionZones(dataSource: DataSource, sessionId: string, zones: SessionZones): Promise<StoredSessionZones> {
  const config = validate(sessionZonesSchema, zones, 'session zones');
  const rows: ZoneRow[] = await dataSource.query(
    `INSERT INTO session_zones (session_id, config, updated_at) VALUES ($1, $2::jsonb, now())
     ON CONFLICT (session_id) DO UPDATE SET config = EXCLUDED.config, updated_at = EXCLUDED.updated_at
     RETURNING session_id, config, updated_at`,
    [sessionId, JSON.stringify(config)],
  );
  return toStored(rows[0]!);
}

/** True when the session had zones. */
export async function deleteSessionZones(dataSource: DataSource, sessionId: string): Promise<boolean> {
  const [, affected]: [unknown, number] = await dataSource.query('DELETE FROM session_zones WHERE session_id = $1', [sessionId]);
  return affected > 0;
}
