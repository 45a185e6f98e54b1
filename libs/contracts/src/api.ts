/**
 * Response bodies of the REST APIs that more than one party reads (the services that answer, the web console, agents).
 * Defined once here; the services return exactly these shapes.
 */

// ---- persistence query API (docs/persistence.md) ---------------------------------------------------------------
/** One row of `analysis_results`, as the query API returns it. */
export interface StoredResult {
  id: number;
  sessionId: string;
  timestamp: string;
  event: string;
  payload: Record<string, unknown>;
}

export interface ResultPage {
  results: StoredResult[];
  /** Present when more rows may follow; pass it back as `cursor`. */
  nextCursor: string | null;
}

/** `GET /sessions/:id/results`: a page of one session's results. */
export type SessionResultPage = ResultPage & { sessionId: string };

export interface SessionSummary {
  sessionId: string;
  firstTimestamp: string;
  lastTimestamp: string;
  resultCount: number;
  frameCount: number;
  detectionCount: number;
}

export interface SessionSummaryPage {
  sessions: SessionSummary[];
  nextCursor: string | null;
}

// ---- auth admin API (docs/auth.md) -----------------------------------------------------------------------------
/** A user as the API returns it: never the password hash. */
export interface UserView {
  id: number;
  username: string;
  email: string;
  roles: string[];
  createdAt: string;
}

export interface UserPage {
  items: UserView[];
  total: number;
  page: number;
  pageSize: number;
}

export interface RoleView {
  id: number;
  name: string;
  userCount: number;
  /** Seeded (admin, operator, agent) or the signup default: cannot be deleted. */
  protected: boolean;
}
