/**
 * Live view of one session: the camera's picture a few times per second (ingest's downscaled source picture, or the
 * model-input snapshot where ingest has none; fetched with the token, shown through an object URL), the latest
 * frameAnalyzed boxes with their track ids and the session's zones drawn over it, the zone editor, the session's
 * event timeline and a latency sparkline.
 */
import type { SessionZones, Size } from '@sightline/contracts';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { ApiError, describeError } from '../api.js';
import type { SessionActivity } from '../session-activity.js';
import { clickToSource, paintOverlay, pictureGeometry, projectDetections, snapshotGeometry, type Point } from '../overlay.js';
import { useSessionZones, ZoneEditor, type ZoneDraft } from './zones.js';
import { hrefFor } from '../router.js';
import { TimeChart } from './chart.js';
import { ErrorNotice, formatFps, formatMs, formatTime, useFeedUpdates, usePolling, useSignedIn } from './common.js';
import { StateBadge } from './sessions.js';

/** Ingest encodes at most two pictures a second per session; asking three times a second keeps the view current. */
const SNAPSHOT_PERIOD_MS = 333;
const STATE_REFRESH_MS = 1000;

export function LiveView({ sessionId, canOperate }: { sessionId: string; canOperate: boolean }) {
  const { api, feed } = useSignedIn();
  const info = usePolling((signal) => api.getSession(sessionId, signal), STATE_REFRESH_MS, [api, sessionId]);
  const [stopError, setStopError] = useState<unknown>();
  const zones = useSessionZones(sessionId);
  const [draft, setDraft] = useState<ZoneDraft>();
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
        <div>
          <Stage
            sessionId={sessionId}
            activity={activity}
            live={!ended}
            zones={zones.current}
            draft={draft}
            onPick={
              draft &&
              ((point) =>
                setDraft(draft.kind === 'line' && draft.points.length >= 2 ? draft : { ...draft, points: [...draft.points, point] }))
            }
          />
          <ZoneEditor sessionId={sessionId} canEdit={canOperate} zones={zones} draft={draft} setDraft={setDraft} />
        </div>
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

/** What the stage shows: the source picture (plain scale) or the model-input snapshot (letterboxed). */
interface ShownPicture {
  url: string;
  kind: 'source' | 'snapshot';
  /** The source frame's size, from ingest's X-Source-Size (source pictures only). */
  source?: Size;
  /** The decoded image's size, once loaded. */
  size?: Size;
  /** The frame it shows (ingest's X-Frame-Seq; source pictures only). */
  frameSeq?: number;
}

/** A fetched source picture held back until the results of its frame arrive. */
interface PendingPicture {
  blob: Blob;
  source?: Size;
  frameSeq: number;
  /** When the oldest picture not shown yet arrived: after RESULTS_WAIT_MS it is shown without its results. */
  waitingSince: number;
}

/** Results trail the camera by the pipeline latency; a picture waits at most this long for its frame's results. */
const RESULTS_WAIT_MS = 2000;

/**
 * The picture with the overlay canvas on top; the canvas carries what it drew in data- attributes. While a zone is
 * being drawn, clicks on the picture add its points, in source pixels.
 */
function Stage({
  sessionId,
  activity,
  live,
  zones,
  draft,
  onPick,
}: {
  sessionId: string;
  activity?: SessionActivity;
  live: boolean;
  zones?: SessionZones;
  draft?: ZoneDraft;
  onPick?: (point: Point) => void;
}) {
  const { api } = useSignedIn();
  const [picture, setPicture] = useState<ShownPicture>();
  const [pending, setPending] = useState<PendingPicture>();
  const [pictureError, setPictureError] = useState<string>();
  const canvas = useRef<HTMLCanvasElement>(null);
  const shownUrl = useRef<string | undefined>(undefined);

  const show = (blob: Blob, kind: ShownPicture['kind'], source?: Size, frameSeq?: number) => {
    const next = URL.createObjectURL(blob);
    // The <img> keeps showing the decoded old picture until the new one loads; its URL can go now.
    if (shownUrl.current) URL.revokeObjectURL(shownUrl.current);
    shownUrl.current = next;
    setPicture((previous) => ({ url: next, kind, source, frameSeq, size: previous?.kind === kind ? previous.size : undefined }));
  };
  useEffect(() => () => shownUrl.current && URL.revokeObjectURL(shownUrl.current), []);

  // A source picture is shown once the results of its frame are in (or it waited RESULTS_WAIT_MS), so boxes match it.
  const newestFrameSeq = activity?.latest?.frameSeq;
  useEffect(() => {
    if (!pending) return;
    if ((newestFrameSeq !== undefined && newestFrameSeq >= pending.frameSeq) || Date.now() - pending.waitingSince > RESULTS_WAIT_MS) {
      show(pending.blob, 'source', pending.source, pending.frameSeq);
      setPending(undefined);
    }
  }, [pending, newestFrameSeq]);

  useEffect(() => {
    if (!live) return;
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout>;
    const refresh = async () => {
      const started = performance.now();
      try {
        try {
          const { blob, source, frameSeq } = await api.picture(sessionId, controller.signal);
          if (controller.signal.aborted) return;
          if (frameSeq === undefined) show(blob, 'source', source);
          else setPending((previous) => ({ blob, source, frameSeq, waitingSince: previous?.waitingSince ?? Date.now() }));
          setPictureError(undefined);
        } catch (err) {
          // No source picture (none decoded yet, or turned off in ingest): the model input is better than nothing.
          if (!(err instanceof ApiError && err.code === 'SOURCE_PICTURE_UNAVAILABLE')) throw err;
          const blob = await api.snapshot(sessionId, controller.signal);
          if (controller.signal.aborted) return;
          show(blob, 'snapshot');
          setPictureError(undefined);
        }
      } catch (err) {
        if (controller.signal.aborted) return;
        setPictureError(
          err instanceof ApiError && err.code === 'SNAPSHOT_UNAVAILABLE' ? 'Waiting for the first frame…' : describeError(err),
        );
      }
      timer = setTimeout(() => void refresh(), Math.max(0, SNAPSHOT_PERIOD_MS - (performance.now() - started)));
    };
    void refresh();
    return () => {
      controller.abort();
      clearTimeout(timer);
    };
  }, [api, sessionId, live]);

  // Over a source picture, the results of its frame; else (snapshot, or no such frame among the recent) the newest.
  const displayed = (picture?.frameSeq !== undefined ? activity?.frameNear(picture.frameSeq) : undefined) ?? activity?.displayed();
  const frame = displayed?.frame;

  const source = picture?.source ?? frame?.source;
  const geometry = useMemo(() => {
    if (!source) return undefined;
    if (picture?.kind === 'source' && picture.size) return pictureGeometry(source, picture.size);
    return snapshotGeometry(source, picture?.kind === 'snapshot' ? picture.size : undefined);
  }, [source?.width, source?.height, picture?.kind, picture?.size?.width, picture?.size?.height]);
  const boxes = useMemo(
    () => (frame && geometry ? projectDetections(frame.detections, geometry, displayed?.trackIds) : []),
    [frame, displayed, geometry],
  );
  useEffect(() => {
    if (canvas.current && geometry)
      paintOverlay(canvas.current, boxes, geometry, { zones: zones?.zones ?? [], lines: zones?.lines ?? [], draft });
  }, [boxes, geometry, zones, draft]);

  // The view has the source's aspect ratio; a letterboxed snapshot and its overlay are placed so the bars fall outside.
  const view = source ?? picture?.size ?? { width: 16, height: 9 };
  const crop = geometry?.crop ?? { left: 0, top: 0, width: 100, height: 100 };
  const pick = (event: MouseEvent) => {
    if (!onPick || !source) return;
    const rect = (event.currentTarget as HTMLElement).getBoundingClientRect();
    onPick(
      clickToSource({ x: event.clientX - rect.left, y: event.clientY - rect.top }, { width: rect.width, height: rect.height }, source),
    );
  };
  return (
    <figure>
      <div
        class={onPick ? 'stage drawing' : 'stage'}
        data-testid="stage"
        style={{ aspectRatio: `${view.width} / ${view.height}` }}
        onClick={pick}
      >
        <div class="stage-frame" style={{ left: `${crop.left}%`, top: `${crop.top}%`, width: `${crop.width}%`, height: `${crop.height}%` }}>
          {picture && (
            <img
              src={picture.url}
              alt={`Latest picture of ${sessionId}`}
              data-picture={picture.kind}
              data-frame-seq={picture.frameSeq}
              onLoad={(e) => {
                const size = { width: e.currentTarget.naturalWidth, height: e.currentTarget.naturalHeight };
                setPicture((p) => (p && (p.size?.width !== size.width || p.size?.height !== size.height) ? { ...p, size } : p));
              }}
            />
          )}
          <canvas
            ref={canvas}
            data-testid="overlay"
            data-picture={picture?.kind}
            data-frame-seq={frame?.frameSeq}
            data-source-size={source ? `${source.width}x${source.height}` : undefined}
            data-track-ids={JSON.stringify([...(displayed?.trackIds.values() ?? [])])}
            data-detections={JSON.stringify(
              frame?.detections.map((d) => ({ ...d.box, score: d.score, keypoints: d.keypoints?.length ?? 0 })) ?? [],
            )}
          />
        </div>
      </div>
      <figcaption>
        {pictureError ??
          (!live
            ? 'The session has ended.'
            : picture?.kind === 'snapshot'
              ? 'Model input (ingest has no source picture), refreshed ~3×/s; boxes from the latest result.'
              : 'Camera picture, refreshed ~3×/s; boxes and track ids of the frame it shows.')}
        {frame && ` ${frame.detections.length} detection(s) in frame ${frame.frameSeq}.`}
        {onPick && ' Click on the picture to add points.'}
      </figcaption>
    </figure>
  );
}
