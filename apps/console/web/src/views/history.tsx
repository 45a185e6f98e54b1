/**
 * History of one session from the persistence query API: its summary, results in a time range page by page
 * (keyset cursors), and detections per second over the range.
 */
import { EVENT_NAMES, EVENTS, type EventPayloads } from '@sightline/contracts';
import { useEffect, useState } from 'preact/hooks';
import { type ResultsPage, type SessionSummary, type StoredResult } from '../api.js';
import { hrefFor } from '../router.js';
import { perSecond } from '../stats.js';
import { TimeChart } from './chart.js';
import { ErrorNotice, Options, formatMs, formatTime, usePolling, useSignedIn } from './common.js';

const PAGE_SIZES = [50, 100, 500] as const;
/** The chart reads at most this many frame results (pages of 1000): a long range is charted from its start. */
const CHART_RESULT_CAP = 20_000;
const TIME_WITH_MS: Intl.DateTimeFormatOptions = { hour: '2-digit', minute: '2-digit', second: '2-digit', fractionalSecondDigits: 3 };

interface Range {
  from: string;
  to: string;
  event: string;
  pageSize: number;
}

export function HistoryPage({ sessionId }: { sessionId?: string }) {
  const { api } = useSignedIn();
  const known = usePolling(() => api.listSessions(), 10_000, [api]);
  const [typed, setTyped] = useState(sessionId ?? '');
  useEffect(() => setTyped(sessionId ?? ''), [sessionId]);

  return (
    <section>
      <h2>History</h2>
      <form
        role="search"
        aria-label="Choose a session"
        onSubmit={(e) => {
          e.preventDefault();
          if (typed.trim()) location.hash = hrefFor({ page: 'history', sessionId: typed.trim() });
        }}
      >
        <input
          name="session"
          list="known-sessions"
          placeholder="Session id"
          aria-label="Session id"
          value={typed}
          onInput={(e) => setTyped(e.currentTarget.value)}
        />
        <datalist id="known-sessions">
          {known.data?.map((s) => (
            <option key={s.sessionId} value={s.sessionId} />
          ))}
        </datalist>
        <input type="submit" value="Show" />
      </form>
      {sessionId && <SessionHistory key={sessionId} sessionId={sessionId} />}
    </section>
  );
}

function SessionHistory({ sessionId }: { sessionId: string }) {
  const { api } = useSignedIn();
  const [summary, setSummary] = useState<SessionSummary>();
  const [range, setRange] = useState<Range>();
  const [error, setError] = useState<unknown>();

  useEffect(() => {
    api.summary(sessionId).then((s) => {
      setSummary(s);
      setRange({ ...defaultRange(s), event: '', pageSize: 100 });
    }, setError);
  }, [api, sessionId]);

  if (error) return <ErrorNotice error={error} />;
  if (!summary || !range) return <p aria-busy="true">Loading the summary…</p>;
  return (
    <>
      <p data-testid="history-summary">
        <strong>{summary.resultCount}</strong> results stored ({summary.frameCount} frames, {summary.detectionCount} detections) from{' '}
        {formatTime(summary.firstTimestamp)} to {formatTime(summary.lastTimestamp)}.
      </p>
      <RangeForm value={range} onApply={setRange} />
      <DetectionsChart sessionId={sessionId} range={range} />
      <ResultsTable key={JSON.stringify(range)} sessionId={sessionId} range={range} />
    </>
  );
}

function RangeForm({ value, onApply }: { value: Range; onApply: (range: Range) => void }) {
  const [draft, setDraft] = useState(value);
  const set = (patch: Partial<Range>) => setDraft((d) => ({ ...d, ...patch }));
  return (
    <form
      aria-label="Time range"
      onSubmit={(e) => {
        e.preventDefault();
        onApply(draft);
      }}
    >
      <div class="grid">
        <label>
          From
          <input type="datetime-local" step={1} name="from" value={draft.from} onInput={(e) => set({ from: e.currentTarget.value })} />
        </label>
        <label>
          To <small>(exclusive)</small>
          <input type="datetime-local" step={1} name="to" value={draft.to} onInput={(e) => set({ to: e.currentTarget.value })} />
        </label>
        <label>
          Event
          <select name="event" value={draft.event} onChange={(e) => set({ event: e.currentTarget.value })}>
            <option value="">all</option>
            <Options values={EVENT_NAMES} />
          </select>
        </label>
        <label>
          Per page
          <select name="pageSize" value={draft.pageSize} onChange={(e) => set({ pageSize: Number(e.currentTarget.value) })}>
            <Options values={PAGE_SIZES} />
          </select>
        </label>
      </div>
      <button type="submit">Apply</button>
    </form>
  );
}

function ResultsTable({ sessionId, range }: { sessionId: string; range: Range }) {
  const { api } = useSignedIn();
  // cursors[i] is the cursor that loads page i (page 0 needs none).
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const [pageIndex, setPageIndex] = useState(0);
  const [page, setPage] = useState<ResultsPage>();
  const [error, setError] = useState<unknown>();

  useEffect(() => {
    const controller = new AbortController();
    setPage(undefined);
    api.results(sessionId, { ...toQuery(range), limit: range.pageSize, cursor: cursors[pageIndex] }, controller.signal).then(
      (p) => {
        setPage(p);
        setError(undefined);
        if (p.nextCursor) setCursors((c) => [...c.slice(0, pageIndex + 1), p.nextCursor!]);
      },
      (err) => !controller.signal.aborted && setError(err),
    );
    return () => controller.abort();
    // A new range remounts this component (key), so the page index is the only input here.
  }, [pageIndex]);

  return (
    <article>
      <header class="card-header">
        <strong>Results</strong>
        <nav aria-label="Pages">
          <button class="secondary outline" disabled={pageIndex === 0} onClick={() => setPageIndex((i) => i - 1)}>
            Previous
          </button>{' '}
          <span data-testid="page-number">page {pageIndex + 1}</span>{' '}
          <button class="secondary outline" disabled={!page?.nextCursor} onClick={() => setPageIndex((i) => i + 1)}>
            Next
          </button>
        </nav>
      </header>
      <ErrorNotice error={error} />
      <div class="overflow-auto">
        <table class="striped" data-testid="results-table" aria-busy={!page && !error}>
          <thead>
            <tr>
              <th scope="col">#</th>
              <th scope="col">Time</th>
              <th scope="col">Event</th>
              <th scope="col">Detections</th>
              <th scope="col">Latency</th>
              <th scope="col">Details</th>
            </tr>
          </thead>
          <tbody>
            {page?.results.length === 0 && (
              <tr>
                <td colSpan={6}>No results in this range.</td>
              </tr>
            )}
            {page?.results.map((r) => (
              <ResultRow key={r.id} result={r} />
            ))}
          </tbody>
        </table>
      </div>
    </article>
  );
}

function ResultRow({ result }: { result: StoredResult }) {
  const frame = result.event === EVENTS.frameAnalyzed ? (result.payload as unknown as EventPayloads['frameAnalyzed']) : undefined;
  return (
    <tr data-event={result.event}>
      <td>{result.id}</td>
      <td>
        <time dateTime={result.timestamp}>{new Date(result.timestamp).toLocaleTimeString(undefined, TIME_WITH_MS)}</time>
      </td>
      <td>{result.event}</td>
      <td>{frame ? frame.detections.length : ''}</td>
      <td>{frame ? formatMs(frame.latency.totalMs) : ''}</td>
      <td>
        <small>{frame ? `frame ${frame.frameSeq}` : JSON.stringify(result.payload)}</small>
      </td>
    </tr>
  );
}

function DetectionsChart({ sessionId, range }: { sessionId: string; range: Range }) {
  const { api } = useSignedIn();
  const [chart, setChart] = useState<{ data: [number[], number[]]; results: number; capped: boolean }>();
  const [error, setError] = useState<unknown>();

  useEffect(() => {
    const controller = new AbortController();
    setChart(undefined);
    (async () => {
      const counts: { timestamp: string; count: number }[] = [];
      let cursor: string | undefined;
      do {
        const page = await api.results(
          sessionId,
          { ...toQuery(range), event: EVENTS.frameAnalyzed, limit: 1000, cursor },
          controller.signal,
        );
        for (const r of page.results) {
          counts.push({ timestamp: r.timestamp, count: (r.payload as unknown as EventPayloads['frameAnalyzed']).detections.length });
        }
        cursor = page.nextCursor ?? undefined;
      } while (cursor && counts.length < CHART_RESULT_CAP && !controller.signal.aborted);
      if (!controller.signal.aborted) setChart({ data: perSecond(counts), results: counts.length, capped: cursor !== undefined });
    })().catch((err) => !controller.signal.aborted && setError(err));
    return () => controller.abort();
  }, [api, sessionId, range.from, range.to]);

  const total = chart ? chart.data[1].reduce((a, b) => a + b, 0) : 0;
  return (
    <article>
      <header>
        <strong>Detections per second</strong>
      </header>
      <ErrorNotice error={error} />
      {!chart && !error && <p aria-busy="true">Reading frame results…</p>}
      {chart && (
        <>
          <TimeChart data={chart.data} label="detections/s" height={160} bars />
          <small data-testid="chart-summary" data-total-detections={total}>
            {total} detections in {chart.results} frame results
            {chart.capped && ` (the first ${chart.results} of the range; narrow the range to see the rest)`}.
          </small>
        </>
      )}
    </article>
  );
}

/** The summary's span as datetime-local values (local time, whole seconds; `to` rounded up to stay exclusive). */
function defaultRange(summary: SessionSummary): Pick<Range, 'from' | 'to'> {
  const first = summary.firstTimestamp ? Date.parse(summary.firstTimestamp) : Date.now() - 3_600_000;
  const last = summary.lastTimestamp ? Date.parse(summary.lastTimestamp) : Date.now();
  return { from: toLocalInput(Math.floor(first / 1000) * 1000), to: toLocalInput(Math.floor(last / 1000) * 1000 + 1000) };
}

function toLocalInput(epochMs: number): string {
  const d = new Date(epochMs);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** datetime-local values are local time; the API wants ISO-8601 with an offset. */
function toQuery(range: Range): { from?: string; to?: string; event?: string } {
  const iso = (local: string) => (local ? new Date(local).toISOString() : undefined);
  return { from: iso(range.from), to: iso(range.to), event: range.event || undefined };
}
