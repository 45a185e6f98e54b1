/**
 * Live view of one session: ingest's JPEG snapshot a few times per second (fetched with the token, shown through an
 * object URL), the latest frameAnalyzed boxes and keypoints drawn over it as results arrive on the WebSocket, the
 * session's event timeline and a latency sparkline.
 */
import type { Size } from '@sightline/contracts';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { ApiError, describeError } from '../api.js';
import type { LiveFrame } from '../live-feed.js';
import { paintOverlay, projectDetections, snapshotGeometry } from '../overlay.js';
import { hrefFor } from '../router.js';
import { TimeChart } from './chart.js';
import { ErrorNotice, formatFps, formatMs, formatTime, useFeedUpdates, usePolling, useSignedIn } from './common.js';
import { StateBadge } from './sessions.js';

/** Ingest encodes at most two snapshots a second per session; asking three times a second keeps the view current. */
const SNAPSHOT_PERIOD_MS = 333;
const STATE_REFRESH_MS = 1000;

export function LiveView({ sessionId, canOperate }: { sessionId: string; canOperate: boolean }) {
  const { api, feed } = useSignedIn();
  const info = usePolling((signal) => api.getSession(sessionId, signal), STATE_REFRESH_MS, [api, sessionId]);
  const [stopError, setStopError] = useState<unknown>();
  useFeedUpdates(feed);
  const activity = feed.activity(sessionId);
  const session = info.data;
  const ended = session?.state === 'stopped' || session?.state === 'error';

  const stop = async () => {
    setStopError(undefined);
    try {
      await api.stopSession(sessionId);
    } catch (err) {
      setStopError(err);
    }
    info.refresh();
  };

  const [p50, p99] = activity?.latency.percentiles(50, 99) ?? [];
  return (
    <section>
      <hgroup>
        <h2>
          Live: <span data-testid="live-session-id">{sessionId}</span>
        </h2>
        <p>
          {session ? <StateBadge session={session} /> : info.error ? 'not known to ingest' : 'loading…'}
          {session && (
            <>
              {' · '}
              {formatFps(session.stats.fpsIn)} fps in / {formatFps(session.stats.fpsOut)} out · {session.stats.framesDropped} dropped
              {session.stats.framesSkipped > 0 && ` · ${session.stats.framesSkipped} skipped by the fps limit`} · started{' '}
              {formatTime(session.startedAt)}
            </>
          )}
        </p>
      </hgroup>
      <p class="actions">
        <a href={hrefFor({ page: 'history', sessionId })}>History of this session</a>
        {canOperate && session && !ended && (
          <button class="secondary" onClick={() => void stop()}>
            Stop session
          </button>
        )}
      </p>
      <ErrorNotice error={stopError} />
      {session?.lastError && (
        <p class="error" role="status">
          Last error {session.lastError.code}
          {session.lastError.message !== undefined && `: ${session.lastError.message}`}
        </p>
      )}
      <div class="grid live-grid">
        <Stage sessionId={sessionId} frame={activity?.latest} live={!ended} />
        <div>
          <article>
            <header>
              <strong>Latency</strong> <small>(capture → result, last minute)</small>
            </header>
            <p data-testid="latency">
              p50 {formatMs(p50)} · p99 {formatMs(p99)} · last {formatMs(activity?.latest?.latencyMs)}
            </p>
            <LatencySparkline series={activity?.latency.series()} />
            {activity?.latest && (
              <small>
                frame {activity.latest.frameSeq} · {activity.latest.model} on {activity.latest.provider}
              </small>
            )}
          </article>
          <article>
            <header>
              <strong>Events</strong>
            </header>
            <ol class="timeline" data-testid="timeline" reversed>
              {(activity?.timeline ?? []).map((entry) => (
                <li key={entry.seq} class={entry.level} data-event={entry.event}>
                  <time dateTime={entry.timestamp}>{new Date(entry.timestamp).toLocaleTimeString()}</time> {entry.text}
                </li>
              ))}
              {!activity && <li>Waiting for results…</li>}
            </ol>
          </article>
        </div>
      </div>
    </section>
  );
}

function LatencySparkline({ series }: { series?: [number[], number[]] }) {
  // The chart redraws at most four times a second; the feed may deliver far more results.
  const [shown, setShown] = useState<[number[], number[]]>([[], []]);
  const latest = useRef(series);
  latest.current = series;
  useEffect(() => {
    const timer = setInterval(() => latest.current && setShown(latest.current), 250);
    return () => clearInterval(timer);
  }, []);
  return <TimeChart data={shown} label="latency" unit=" ms" height={80} compact />;
}

/** The snapshot image with the overlay canvas on top; the canvas carries what it drew in data- attributes. */
function Stage({ sessionId, frame, live }: { sessionId: string; frame?: LiveFrame; live: boolean }) {
  const { api } = useSignedIn();
  const [imageUrl, setImageUrl] = useState<string>();
  const [snapshotSize, setSnapshotSize] = useState<Size>();
  const [snapshotError, setSnapshotError] = useState<string>();
  const canvas = useRef<HTMLCanvasElement>(null);

  useEffect(() => {
    if (!live) return;
    const controller = new AbortController();
    let shown: string | undefined;
    let timer: ReturnType<typeof setTimeout>;
    const refresh = async () => {
      const started = performance.now();
      try {
        const blob = await api.snapshot(sessionId, controller.signal);
        if (controller.signal.aborted) return;
        const next = URL.createObjectURL(blob);
        // The <img> keeps showing the decoded old picture until the new one loads; its URL can go now.
        if (shown) URL.revokeObjectURL(shown);
        shown = next;
        setImageUrl(next);
        setSnapshotError(undefined);
      } catch (err) {
        if (controller.signal.aborted) return;
        setSnapshotError(err instanceof ApiError && err.code === 'SNAPSHOT_UNAVAILABLE' ? 'Waiting for the first frame…' : describeError(err));
      }
      timer = setTimeout(() => void refresh(), Math.max(0, SNAPSHOT_PERIOD_MS - (performance.now() - started)));
    };
    void refresh();
    return () => {
      controller.abort();
      clearTimeout(timer);
      if (shown) URL.revokeObjectURL(shown);
    };
  }, [api, sessionId, live]);

  const geometry = useMemo(() => frame && snapshotGeometry(frame.source, snapshotSize), [frame?.source.width, frame?.source.height, snapshotSize]);
  const boxes = useMemo(() => (frame && geometry ? projectDetections(frame.detections, geometry) : []), [frame, geometry]);
  useEffect(() => {
    if (canvas.current && geometry) paintOverlay(canvas.current, boxes, geometry.size);
  }, [boxes, geometry]);

  // The view has the source's aspect ratio; the letterboxed snapshot and its overlay are placed so the bars fall outside.
  const view = frame?.source ?? snapshotSize ?? { width: 16, height: 9 };
  const crop = geometry?.crop ?? { left: 0, top: 0, width: 100, height: 100 };
  return (
    <figure>
      <div class="stage" style={{ aspectRatio: `${view.width} / ${view.height}` }}>
        <div class="stage-frame" style={{ left: `${crop.left}%`, top: `${crop.top}%`, width: `${crop.width}%`, height: `${crop.height}%` }}>
          {imageUrl && (
            <img
              src={imageUrl}
              alt={`Latest frame of ${sessionId}`}
              onLoad={(e) => setSnapshotSize({ width: e.currentTarget.naturalWidth, height: e.currentTarget.naturalHeight })}
            />
          )}
          <canvas
            ref={canvas}
            data-testid="overlay"
            data-frame-seq={frame?.frameSeq}
            data-source-size={frame ? `${frame.source.width}x${frame.source.height}` : undefined}
            data-detections={JSON.stringify(frame?.detections.map((d) => ({ ...d.box, score: d.score, keypoints: d.keypoints?.length ?? 0 })) ?? [])}
          />
        </div>
      </div>
      <figcaption>
        {snapshotError ?? (live ? 'Snapshot of the model input, refreshed ~3×/s; boxes from the latest result.' : 'The session has ended.')}
        {frame && ` ${frame.detections.length} detection(s) in frame ${frame.frameSeq}.`}
      </figcaption>
    </figure>
  );
}
