/**
 * Read side of the results API. Every value reaches PostgreSQL as a bind parameter (TypeORM named parameters);
 * pagination is keyset-based (by id for results, by session id for summaries), so a page is stable and paging
 * through a growing table neither skips nor repeats rows.
 */
import { SightlineError, type ErrorCodeOf, type ResultPage, type SessionSummary, type SessionSummaryPage } from '@sightline/contracts';
import { type DataSource } from 'typeorm';
import { AnalysisResultEntity, SessionSummaryEntity } from './entities.js';

export const DEFAULT_PAGE_LIMIT = 100;
export const MAX_PAGE_LIMIT = 1000;

export interface ResultQuery {
  sessionId: string;
  /** Inclusive lower bound on the result timestamp. */
  from?: Date;
  /** Exclusive upper bound on the result timestamp. */
  to?: Date;
  event?: string;
  limit?: number;
  /** `nextCursor` of the previous page. */
  cursor?: string;
}

/** Codes of the client-input errors the query functions raise (HTTP 400 at the query API). */
export const QueryErrorCode = {
  invalidCursor: 'INVALID_CURSOR',
  invalidLimit: 'INVALID_LIMIT',
} as const;
export type QueryErrorCode = ErrorCodeOf<typeof QueryErrorCode>;

// Cursors are opaque to clients: a kind tag (so a sessions cursor is refused by the results endpoint) and the key.
type CursorKind = 'r' | 's';

function encodeCursor(kind: CursorKind, key: string | number): string {
  return Buffer.from(`${kind}:${key}`).toString('base64url');
}

function decodeCursor(kind: CursorKind, cursor: string, keyPattern: RegExp): string {
  const decoded = /^[A-Za-z0-9_-]{1,200}$/.test(cursor) ? Buffer.from(cursor, 'base64url').toString() : '';
  const key = decoded.startsWith(`${kind}:`) ? decoded.slice(2) : '';
  if (!keyPattern.test(key)) throw new SightlineError(QueryErrorCode.invalidCursor, 'cursor is not one this endpoint issued', { cursor });
  return key;
}

/** SERIAL ids are int4: a larger number is not a cursor we issued (and would be a database error). */
function resultCursorId(cursor: string): number {
  const id = Number(decodeCursor('r', cursor, /^[0-9]{1,10}$/));
  if (id > 2 ** 31 - 1) throw new SightlineError(QueryErrorCode.invalidCursor, 'cursor is not one this endpoint issued', { cursor });
  return id;
}

function pageLimit(limit = DEFAULT_PAGE_LIMIT): number {
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_LIMIT) {
    throw new SightlineError(QueryErrorCode.invalidLimit, `limit must be an integer from 1 to ${MAX_PAGE_LIMIT}`, { limit });
  }
  return limit;
}

export async function findSessionResults(dataSource: DataSource, query: ResultQuery): Promise<ResultPage> {
  const limit = pageLimit(query.limit);
  const qb = dataSource
    .getRepository(AnalysisResultEntity)
    .createQueryBuilder('r')
    .where('r.sessionId = :sessionId', { sessionId: query.sessionId });
  if (query.cursor !== undefined) qb.andWhere('r.id > :afterId', { afterId: resultCursorId(query.cursor) });
  if (query.from) qb.andWhere('r.timestamp >= :from', { from: query.from });
  if (query.to) qb.andWhere('r.timestamp < :to', { to: query.to });
  if (query.event) qb.andWhere('r.event = :event', { event: query.event });
  // One row more than asked tells whether another page exists.
  const rows = await qb
    .orderBy('r.id', 'ASC')
    .limit(limit + 1)
    .getMany();
  const page = rows.slice(0, limit);
  return {
    results: page.map((r) => ({
      id: r.id,
      sessionId: r.sessionId,
      timestamp: r.timestamp.toISOString(),
      event: r.event,
      payload: r.payload,
    })),
    nextCursor: rows.length > limit ? encodeCursor('r', page.at(-1)!.id) : null,
  };
}

function toSummary(s: SessionSummaryEntity): SessionSummary {
  return {
    sessionId: s.sessionId,
    firstTimestamp: s.firstTimestamp.toISOString(),
    lastTimestamp: s.lastTimestamp.toISOString(),
    resultCount: s.resultCount,
    frameCount: s.frameCount,
    detectionCount: s.detectionCount,
  };
}

export async function listSessionSummaries(
  dataSource: DataSource,
  query: {
    limit?: number;
    cursor?: string;
    /** Only these sessions (the caller's grants); omitted = every session. */
    sessions?: readonly string[];
  } = {},
): Promise<SessionSummaryPage> {
  const limit = pageLimit(query.limit);
  const afterSession = query.cursor === undefined ? undefined : decodeCursor('s', query.cursor, /^[A-Za-z0-9_-]{1,64}$/);
  if (query.sessions?.length === 0) return { sessions: [], nextCursor: null };
  const qb = dataSource.getRepository(SessionSummaryEntity).createQueryBuilder('s').where('TRUE');
  if (afterSession !== undefined) qb.andWhere('s.sessionId > :afterSession', { afterSession });
  if (query.sessions) qb.andWhere('s.sessionId = ANY(:allowed)', { allowed: [...query.sessions] });
  const rows = await qb
    .orderBy('s.sessionId', 'ASC')
    .limit(limit + 1)
    .getMany();
  const page = rows.slice(0, limit);
  return {
    sessions: page.map(toSummary),
    nextCursor: rows.length > limit ? encodeCursor('s', page.at(-1)!.sessionId) : null,
  };
}

export async function findSessionSummary(dataSource: DataSource, sessionId: string): Promise<SessionSummary | null> {
  const row = await dataSource.getRepository(SessionSummaryEntity).findOneBy({ sessionId });
  return row ? toSummary(row) : null;
}
