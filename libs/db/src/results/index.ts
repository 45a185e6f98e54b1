import { AnalysisResultEntity, SessionSummaryEntity } from './entities.js';
import { CreateAnalysisResults1751300000000 } from './migrations/1751300000000-create-analysis-results.js';
import { FrameKeyPerRun1751500000000 } from './migrations/1751500000000-frame-key-per-run.js';
import { CreateSessionZones1751600000000 } from './migrations/1751600000000-create-session-zones.js';

export { AnalysisResultEntity, SessionSummaryEntity } from './entities.js';
export { MAX_ROWS_PER_BATCH, ResultStore, isRowRejection, sqlState, type InsertOutcome, type NewResult } from './result-store.js';
export {
  DEFAULT_PAGE_LIMIT,
  MAX_PAGE_LIMIT,
  QueryErrorCode,
  findSessionResults,
  findSessionSummary,
  listSessionSummaries,
  type ResultQuery,
} from './queries.js';
export { deleteSessionZones, findSessionZones, saveSessionZones, type StoredSessionZones } from './zones.js';

/** Pass to `createDataSource` in the persistence service. */
export const RESULT_ENTITIES = [AnalysisResultEntity, SessionSummaryEntity];
export const RESULT_MIGRATIONS = [CreateAnalysisResults1751300000000, FrameKeyPerRun1751500000000, CreateSessionZones1751600000000];
