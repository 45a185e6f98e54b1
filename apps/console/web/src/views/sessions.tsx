/** Sessions: what ingest runs (state, fps, drops) with the latency the results show; start and stop for operators. */
import type { RtspAuthType, SessionInfo, SourceType, StartSessionRequest } from '@sightline/contracts';
import { useState } from 'preact/hooks';
import { ApiError } from '../api.js';
import { RTSP_AUTH_TYPES, SOURCE_TYPES } from '../constants.js';
import type { LiveFeed } from '../live-feed.js';
import { hrefFor } from '../router.js';
import { ErrorNotice, Options, formatFps, formatMs, useFeedUpdates, usePolling, useSignedIn } from './common.js';

const LIST_REFRESH_MS = 2000;

export function SessionsPage({ canOperate }: { canOperate: boolean }) {
  const { api, feed } = useSignedIn();
  const sessions = usePolling(() => api.listSessions(), LIST_REFRESH_MS, [api]);
  const [actionError, setActionError] = useState<unknown>();
  useFeedUpdates(feed);

  const stop = async (sessionId: string) => {
    setActionError(undefined);
    try {
      await api.stopSession(sessionId);
    } catch (err) {
      setActionError(err);
    }
    sessions.refresh();
  };

  return (
    <>
      <section>
        <h2>Sessions</h2>
        <FeedStatus feed={feed} />
        <ErrorNotice error={sessions.error ?? actionError} />
        <div class="overflow-auto">
          <table class="striped" data-testid="sessions-table">
            <thead>
              <tr>
                <th scope="col">Session</th>
                <th scope="col">Source</th>
                <th scope="col">State</th>
                <th scope="col">fps in / out</th>
                <th scope="col">Dropped</th>
                <th scope="col" title="Capture to result published, last minute of results">
                  Latency p50 / p99
                </th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {sessions.data === undefined && (
                <tr>
                  <td colSpan={7} aria-busy="true">
                    Loading…
                  </td>
                </tr>
              )}
              {sessions.data?.length === 0 && (
                <tr>
                  <td colSpan={7}>No sessions yet.{canOperate ? ' Start one below.' : ''}</td>
                </tr>
              )}
              {sessions.data?.map((s) => (
                <SessionRow key={s.sessionId} session={s} feed={feed} canOperate={canOperate} onStop={() => void stop(s.sessionId)} />
              ))}
            </tbody>
          </table>
        </div>
      </section>
      {canOperate && <StartSessionForm onStarted={(id) => (location.hash = hrefFor({ page: 'live', sessionId: id }))} />}
    </>
  );
}

function SessionRow({
  session,
  feed,
  canOperate,
  onStop,
}: {
  session: SessionInfo;
  feed: LiveFeed;
  canOperate: boolean;
  onStop: () => void;
}) {
  const [p50, p99] = feed.activity(session.sessionId)?.latency.percentiles(50, 99) ?? [];
  const ended = session.state === 'stopped' || session.state === 'error';
  return (
    <tr data-session-id={session.sessionId} data-state={session.state}>
      <th scope="row">
        <a href={hrefFor({ page: 'live', sessionId: session.sessionId })}>{session.sessionId}</a>
      </th>
      <td>
        <small>
          {session.source.type} {session.source.url ?? ''}
        </small>
      </td>
      <td>
        <StateBadge session={session} />
      </td>
      <td>
        {formatFps(session.stats.fpsIn)} / {formatFps(session.stats.fpsOut)}
      </td>
      <td>{session.stats.framesDropped}</td>
      <td>
        {formatMs(p50)} / {formatMs(p99)}
      </td>
      <td class="actions">
        <a href={hrefFor({ page: 'history', sessionId: session.sessionId })}>History</a>
        {canOperate && !ended && (
          <button class="secondary" onClick={onStop} aria-label={`Stop ${session.sessionId}`}>
            Stop
          </button>
        )}
      </td>
    </tr>
  );
}

export function StateBadge({ session }: { session: SessionInfo }) {
  const error = session.lastError;
  return (
    <span class={`state state-${session.state}`} title={error?.message}>
      {session.state}
      {session.state === 'error' && error && ` (${error.code})`}
      {session.state === 'reconnecting' && ` (${session.stats.reconnects})`}
    </span>
  );
}

function FeedStatus({ feed }: { feed: LiveFeed }) {
  if (feed.state === 'open' && !feed.lastError) return null;
  const text =
    feed.state === 'open'
      ? `Live results: ${feed.lastError}`
      : feed.state === 'reconnecting'
        ? `Live results disconnected; reconnecting at ${new Date(feed.nextAttemptAt ?? Date.now()).toLocaleTimeString()}.`
        : feed.state === 'connecting'
          ? 'Connecting to live results…'
          : 'Live results closed.';
  return (
    <p class="notice" role="status" data-feed-state={feed.state}>
      {text}
    </p>
  );
}

const URL_LABELS: Record<SourceType, { label: string; placeholder: string }> = {
  file: { label: 'File path (on the ingest host)', placeholder: '/media/clip.mp4' },
  rtsp: { label: 'RTSP URL', placeholder: 'rtsp://camera.local:554/stream' },
  device: { label: 'Device', placeholder: '/dev/video0' },
};

function StartSessionForm({ onStarted }: { onStarted: (sessionId: string) => void }) {
  const { api } = useSignedIn();
  const [type, setType] = useState<SourceType>('file');
  const [sessionId, setSessionId] = useState('');
  const [url, setUrl] = useState('');
  const [loop, setLoop] = useState(false);
  const [pacing, setPacing] = useState<'realtime' | 'fast'>('realtime');
  /** '' analyses every frame (or ingest's INGEST_MAX_FPS). */
  const [maxFps, setMaxFps] = useState('');
  /** '' leaves the scheme to ingest (its RTSP_AUTH setting, or `auto` when credentials are given). */
  const [authType, setAuthType] = useState<RtspAuthType | ''>('');
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    const request: StartSessionRequest = {
      ...(sessionId.trim() && { sessionId: sessionId.trim() }),
      source: {
        type,
        url: url.trim(),
        ...(type === 'file' && { loop, pacing }),
        ...(type === 'rtsp' && (authType || username || password) && { auth: { ...(authType && { type: authType }), username, password } }),
        ...(maxFps.trim() && { maxFps: Number(maxFps) }),
      },
    };
    try {
      const started = await api.startSession(request);
      setPassword('');
      onStarted(started.sessionId);
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };

  return (
    <section>
      <article>
        <header>
          <strong>Start a session</strong>
        </header>
        <form onSubmit={submit} aria-label="Start a session">
          <div class="grid">
            <label>
              Source type
              <select name="type" value={type} onChange={(e) => setType(e.currentTarget.value as SourceType)}>
                <Options values={SOURCE_TYPES} />
              </select>
            </label>
            <label>
              Session id <small>(optional)</small>
              <input
                name="sessionId"
                pattern="[A-Za-z0-9_\-]{1,64}"
                placeholder="generated"
                value={sessionId}
                onInput={(e) => setSessionId(e.currentTarget.value)}
              />
            </label>
            <label>
              Max analysed fps <small>(optional)</small>
              <input
                name="maxFps"
                type="number"
                min="0.1"
                max="1000"
                step="any"
                placeholder="every frame"
                value={maxFps}
                onInput={(e) => setMaxFps(e.currentTarget.value)}
              />
            </label>
          </div>
          <label>
            {URL_LABELS[type].label}
            <input
              name="url"
              required
              placeholder={URL_LABELS[type].placeholder}
              value={url}
              onInput={(e) => setUrl(e.currentTarget.value)}
            />
          </label>
          {type === 'file' && (
            <div class="grid">
              <label>
                <input type="checkbox" name="loop" role="switch" checked={loop} onChange={(e) => setLoop(e.currentTarget.checked)} />
                Loop at the end
              </label>
              <label>
                Pacing
                <select name="pacing" value={pacing} onChange={(e) => setPacing(e.currentTarget.value as 'realtime' | 'fast')}>
                  <option value="realtime">realtime (like a camera)</option>
                  <option value="fast">fast (batch analysis)</option>
                </select>
              </label>
            </div>
          )}
          {type === 'rtsp' && (
            <div class="grid">
              <label>
                RTSP authentication
                <select name="authType" value={authType} onChange={(e) => setAuthType(e.currentTarget.value as RtspAuthType | '')}>
                  <option value="">ingest's default</option>
                  <Options values={RTSP_AUTH_TYPES} />
                </select>
              </label>
              <label>
                Camera username
                <input name="rtspUsername" autocomplete="off" value={username} onInput={(e) => setUsername(e.currentTarget.value)} />
              </label>
              <label>
                Camera password
                <input
                  name="rtspPassword"
                  type="password"
                  autocomplete="new-password"
                  value={password}
                  onInput={(e) => setPassword(e.currentTarget.value)}
                />
              </label>
            </div>
          )}
          <ErrorNotice error={error} />
          {error instanceof ApiError && error.status === 403 && <p class="error">Only operators and administrators start sessions.</p>}
          <button type="submit" aria-busy={busy} disabled={busy}>
            Start
          </button>
        </form>
      </article>
    </section>
  );
}
