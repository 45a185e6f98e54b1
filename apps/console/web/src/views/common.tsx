/** Shared pieces of the views: the signed-in context, polling, feed subscription, formatting, error notices. */
import { createContext, type ComponentChildren } from 'preact';
import { useContext, useEffect, useRef, useState } from 'preact/hooks';
import type { ApiClient } from '../api.js';
import { describeError } from '../api.js';
import type { AuthSession } from '../auth.js';
import type { LiveFeed } from '../live-feed.js';

export interface SignedIn {
  session: AuthSession;
  api: ApiClient;
  feed: LiveFeed;
}

export const SignedInContext = createContext<SignedIn | null>(null);

export function useSignedIn(): SignedIn {
  const value = useContext(SignedInContext);
  if (!value) throw new Error('useSignedIn outside a signed-in console');
  return value;
}

/** Re-renders the caller whenever the live feed has news (at most once per animation frame). */
export function useFeedUpdates(feed: LiveFeed): void {
  const [, setTick] = useState(0);
  useEffect(() => feed.subscribe(() => setTick((t) => t + 1)), [feed]);
}

/** The current time, refreshed every `periodMs` (countdowns, "x s ago"). */
export function useNow(periodMs: number): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), periodMs);
    return () => clearInterval(timer);
  }, [periodMs]);
  return now;
}

export interface Polled<T> {
  data?: T;
  error?: unknown;
  refresh: () => void;
}

/** Calls `load` now and every `periodMs`, one call at a time (`refresh` during a call queues one more); `deps` restart it. */
export function usePolling<T>(load: (signal: AbortSignal) => Promise<T>, periodMs: number, deps: unknown[]): Polled<T> {
  const [state, setState] = useState<{ data?: T; error?: unknown }>({});
  const wake = useRef<() => void>(() => undefined);
  useEffect(() => {
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    let busy = false;
    let again = false;
    const run = async () => {
      clearTimeout(timer);
      if (busy) {
        again = true;
        return;
      }
      busy = true;
      try {
        const data = await load(controller.signal);
        if (!controller.signal.aborted) setState({ data });
      } catch (error) {
        if (!controller.signal.aborted) setState((s) => ({ data: s.data, error }));
      }
      busy = false;
      if (controller.signal.aborted) return;
      if (again) {
        again = false;
        void run();
      } else {
        timer = setTimeout(run, periodMs);
      }
    };
    wake.current = () => void run();
    void run();
    return () => {
      controller.abort();
      clearTimeout(timer);
    };
    // The caller names the inputs that restart polling in `deps`.
  }, deps);
  return { ...state, refresh: () => wake.current() };
}

/** One `<option>` per value, labelled with the value itself (the console's plain selects). */
export function Options({ values }: { values: readonly (string | number)[] }) {
  return (
    <>
      {values.map((value) => (
        <option key={value} value={value}>
          {value}
        </option>
      ))}
    </>
  );
}

export function ErrorNotice({ error }: { error: unknown }) {
  if (!error) return null;
  return (
    <p role="alert" class="error">
      {describeError(error)}
    </p>
  );
}

export function Card({ title, children, actions }: { title: ComponentChildren; children: ComponentChildren; actions?: ComponentChildren }) {
  return (
    <article>
      <header class="card-header">
        <strong>{title}</strong>
        {actions}
      </header>
      {children}
    </article>
  );
}

export const formatMs = (ms: number | undefined): string => (ms === undefined ? '–' : `${ms < 10 ? ms.toFixed(1) : Math.round(ms)} ms`);
export const formatFps = (fps: number): string => fps.toFixed(1);
export const formatTime = (iso: string | undefined | null): string => (iso ? new Date(iso).toLocaleString() : '–');
export const formatDuration = (ms: number): string => {
  const total = Math.max(0, Math.round(ms / 1000));
  return `${Math.floor(total / 60)}:${String(total % 60).padStart(2, '0')}`;
};
