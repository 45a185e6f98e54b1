/**
 * Calls to the fleet's public API, all on the console's own origin (the compose proxy or the console server routes
 * each path to its service). Every call but login carries `Authorization: Bearer <token>`; a 401 ends the console
 * session (expired, revoked or otherwise refused token).
 */
import type {
  RoleView,
  SessionGrants,
  SessionInfo,
  SessionResultPage,
  SessionSummary,
  SessionZones,
  SessionZonesView,
  Size,
  StartSessionRequest,
  StoredResult,
  UserPage,
  UserView,
} from '@sightline/contracts';

export type { RoleView, SessionGrants, SessionSummary, SessionZones, SessionZonesView, StoredResult, UserPage, UserView };
export type ResultsPage = SessionResultPage;
import type { IssuedToken } from './auth.js';

/** The fleet's error body `{code, message}` (auth adds `fieldErrors` and `retryAfterSeconds`). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly fieldErrors: Record<string, string[]> = {},
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export interface ResultsQuery {
  from?: string;
  to?: string;
  event?: string;
  limit?: number;
  cursor?: string;
}

export interface NewUser {
  username: string;
  email: string;
  password: string;
  roles: string[];
}

type Query = Record<string, string | number | undefined>;

export class ApiClient {
  constructor(
    private readonly token: string,
    /** Called once per refused token (401), with the service's code (TOKEN_EXPIRED, TOKEN_REVOKED, ...). */
    private readonly onUnauthorized: (code: string) => void,
  ) {}

  // Sessions (ingest).
  listSessions = () => this.json<SessionInfo[]>('GET', '/sessions');
  getSession = (sessionId: string, signal?: AbortSignal) =>
    this.json<SessionInfo>('GET', `/sessions/${encodeURIComponent(sessionId)}`, { signal });
  startSession = (request: StartSessionRequest) => this.json<{ sessionId: string }>('POST', '/sessions', { body: request });
  stopSession = (sessionId: string) => this.json<SessionInfo>('DELETE', `/sessions/${encodeURIComponent(sessionId)}`);
  snapshot = (sessionId: string, signal?: AbortSignal) =>
    this.send('GET', `/sessions/${encodeURIComponent(sessionId)}/snapshot.jpg`, { signal, accept: 'image/jpeg' }).then((r) => r.blob());
  /** The camera's own picture, downscaled (ingest encodes it for this request only), the source size and its frame. */
  picture = async (sessionId: string, signal?: AbortSignal): Promise<{ blob: Blob; source?: Size; frameSeq?: number }> => {
    const response = await this.send('GET', `/sessions/${encodeURIComponent(sessionId)}/picture.jpg`, { signal, accept: 'image/jpeg' });
    const size = /^(\d+)x(\d+)$/.exec(response.headers.get('X-Source-Size') ?? '');
    const frameSeq = /^\d+$/.test(response.headers.get('X-Frame-Seq') ?? '') ? Number(response.headers.get('X-Frame-Seq')) : undefined;
    return {
      blob: await response.blob(),
      ...(size && { source: { width: Number(size[1]), height: Number(size[2]) } }),
      ...(frameSeq !== undefined && { frameSeq }),
    };
  };

  // Stored results (persistence).
  summary = (sessionId: string) => this.json<SessionSummary>('GET', `/sessions/${encodeURIComponent(sessionId)}/summary`);
  results = (sessionId: string, query: ResultsQuery, signal?: AbortSignal) =>
    this.json<ResultsPage>('GET', `/sessions/${encodeURIComponent(sessionId)}/results`, { query: { ...query }, signal });

  // Zones and counting lines (persistence): ZONES_NOT_FOUND (404) when the session has none.
  zones = (sessionId: string, signal?: AbortSignal) =>
    this.json<SessionZonesView>('GET', `/sessions/${encodeURIComponent(sessionId)}/zones`, { signal });
  saveZones = (sessionId: string, zones: SessionZones) =>
    this.json<SessionZonesView>('PUT', `/sessions/${encodeURIComponent(sessionId)}/zones`, { body: zones });
  deleteZones = (sessionId: string) => this.json<void>('DELETE', `/sessions/${encodeURIComponent(sessionId)}/zones`);

  // Administration (auth).
  users = (query: { search?: string; page: number; pageSize: number }) => this.json<UserPage>('GET', '/admin/users', { query });
  createUser = (user: NewUser) => this.json<UserView>('POST', '/admin/users', { body: user });
  deleteUser = (id: number) => this.json<void>('DELETE', `/admin/users/${id}`);
  assignRole = (id: number, role: string) => this.json<UserView>('PUT', `/admin/users/${id}/roles/${encodeURIComponent(role)}`);
  revokeRole = (id: number, role: string) => this.json<UserView>('DELETE', `/admin/users/${id}/roles/${encodeURIComponent(role)}`);
  sessionGrants = (id: number) => this.json<SessionGrants>('GET', `/admin/users/${id}/sessions`);
  grantSession = (id: number, sessionId: string) =>
    this.json<SessionGrants>('PUT', `/admin/users/${id}/sessions/${encodeURIComponent(sessionId)}`);
  revokeSession = (id: number, sessionId: string) =>
    this.json<SessionGrants>('DELETE', `/admin/users/${id}/sessions/${encodeURIComponent(sessionId)}`);
  roles = () => this.json<RoleView[]>('GET', '/admin/roles');
  createRole = (name: string) => this.json<RoleView>('POST', '/admin/roles', { body: { name } });
  deleteRole = (name: string) => this.json<void>('DELETE', `/admin/roles/${encodeURIComponent(name)}`);

  private async json<T>(method: string, path: string, options: { body?: unknown; query?: Query; signal?: AbortSignal } = {}): Promise<T> {
    const response = await this.send(method, path, { ...options, accept: 'application/json' });
    return (response.status === 204 ? undefined : await response.json()) as T;
  }

  private async send(
    method: string,
    path: string,
    options: { body?: unknown; query?: Query; signal?: AbortSignal; accept: string },
  ): Promise<Response> {
    const headers: Record<string, string> = { Authorization: `Bearer ${this.token}`, Accept: options.accept };
    if (options.body !== undefined) headers['Content-Type'] = 'application/json';
    const response = await request(withQuery(path, options.query), {
      method,
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      signal: options.signal,
    });
    if (response.ok) return response;
    const error = await errorFrom(response);
    if (response.status === 401) this.onUnauthorized(error.code);
    throw error;
  }
}

/** OAuth2 password grant (`POST /login`, form-encoded). Wrong credentials: ApiError 401 INVALID_CREDENTIALS. */
export async function login(username: string, password: string): Promise<IssuedToken> {
  const response = await request('/login', {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
    body: new URLSearchParams({ grant_type: 'password', username, password }),
  });
  if (!response.ok) throw await errorFrom(response);
  return (await response.json()) as IssuedToken;
}

/** Sets a new password with a mailed reset token (`POST /password-reset/confirm`); 204 on success. */
export async function confirmPasswordReset(token: string, newPassword: string): Promise<void> {
  const response = await request('/password-reset/confirm', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
    body: JSON.stringify({ token, newPassword }),
  });
  if (!response.ok) throw await errorFrom(response);
}

/** fetch on the same origin, never sending cookies (the console uses none) and never cached by the browser. */
async function request(path: string, init: RequestInit): Promise<Response> {
  try {
    return await fetch(path, { ...init, credentials: 'omit', cache: 'no-store' });
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    throw new ApiError(0, 'NETWORK_ERROR', 'the console cannot reach the server; check your connection');
  }
}

async function errorFrom(response: Response): Promise<ApiError> {
  let body: { code?: unknown; message?: unknown; fieldErrors?: unknown; retryAfterSeconds?: unknown } = {};
  try {
    body = (await response.json()) as typeof body;
  } catch {
    // Not a fleet JSON body (a proxy's error page): the status alone has to do.
  }
  return new ApiError(
    response.status,
    typeof body.code === 'string' ? body.code : `HTTP_${response.status}`,
    typeof body.message === 'string' ? body.message : `request failed (HTTP ${response.status})`,
    isFieldErrors(body.fieldErrors) ? body.fieldErrors : {},
    typeof body.retryAfterSeconds === 'number' ? body.retryAfterSeconds : undefined,
  );
}

function isFieldErrors(value: unknown): value is Record<string, string[]> {
  return typeof value === 'object' && value !== null && Object.values(value).every((v) => Array.isArray(v));
}

function withQuery(path: string, query: Query | undefined): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value !== undefined && value !== '') params.set(key, String(value));
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

/** A readable one-liner for an error shown in the UI. */
export function describeError(err: unknown): string {
  if (err instanceof ApiError) {
    const fields = Object.entries(err.fieldErrors).map(([field, messages]) => `${field}: ${messages.join(', ')}`);
    return `${err.message}${fields.length ? ` (${fields.join('; ')})` : ''} [${err.code}]`;
  }
  return err instanceof Error ? err.message : String(err);
}

/** Confirms a signup's address with the mailed token (`POST /signup/verify`); the account may log in afterwards. */
export async function confirmSignup(token: string): Promise<void> {
  const response = await request('/signup/verify', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
    body: JSON.stringify({ token }),
  });
  if (!response.ok) throw await errorFrom(response);
}
