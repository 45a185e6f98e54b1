/**
 * A session's zones and counting lines (persistence's zones API): listed for everyone who may see the session,
 * drawn on the camera picture and saved or deleted by operators and admins. Points are in source pixels. The service
 * validates (simple polygons, bounds, unique ids); its error is shown as it says it, and nothing is saved.
 */
import type { SessionZones } from '@sightline/contracts';
import { useEffect, useState } from 'preact/hooks';
import { ApiError, describeError } from '../api.js';
import type { Point } from '../overlay.js';
import { ErrorNotice, useSignedIn } from './common.js';

export interface ZoneDraft {
  kind: 'zone' | 'line';
  points: Point[];
}

export interface SessionZonesState {
  /** The stored configuration (empty when the session has none); undefined while loading. */
  current?: SessionZones;
  error?: unknown;
  set(zones: SessionZones): void;
}

const NO_ZONES: SessionZones = { zones: [], lines: [] };

export function useSessionZones(sessionId: string): SessionZonesState {
  const { api } = useSignedIn();
  const [current, setCurrent] = useState<SessionZones>();
  const [error, setError] = useState<unknown>();
  useEffect(() => {
    const controller = new AbortController();
    setCurrent(undefined);
    api.zones(sessionId, controller.signal).then(
      ({ zones, lines }) => setCurrent({ zones, lines }),
      (err: unknown) => {
        if (controller.signal.aborted) return;
        if (err instanceof ApiError && err.code === 'ZONES_NOT_FOUND') setCurrent(NO_ZONES);
        else setError(err);
      },
    );
    return () => controller.abort();
  }, [api, sessionId]);
  return { current, error, set: setCurrent };
}

export function ZoneEditor({
  sessionId,
  canEdit,
  zones,
  draft,
  setDraft,
}: {
  sessionId: string;
  canEdit: boolean;
  zones: SessionZonesState;
  draft?: ZoneDraft;
  setDraft: (draft: ZoneDraft | undefined) => void;
}) {
  const { api } = useSignedIn();
  const [id, setId] = useState('');
  const [saveError, setSaveError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const current = zones.current;

  const store = async (next: SessionZones) => {
    setBusy(true);
    setSaveError(undefined);
    try {
      if (next.zones.length || next.lines.length) {
        const saved = await api.saveZones(sessionId, next);
        zones.set({ zones: saved.zones, lines: saved.lines });
      } else {
        await api.deleteZones(sessionId);
        zones.set(NO_ZONES);
      }
      return true;
    } catch (err) {
      setSaveError(err);
      return false;
    } finally {
      setBusy(false);
    }
  };

  const saveDraft = async () => {
    if (!draft || !current) return;
    const next =
      draft.kind === 'zone'
        ? { zones: [...current.zones, { id, polygon: draft.points }], lines: current.lines }
        : { zones: current.zones, lines: [...current.lines, { id, a: draft.points[0]!, b: draft.points[1]! }] };
    if (await store(next)) {
      setDraft(undefined);
      setId('');
    }
  };
  const start = (kind: ZoneDraft['kind']) => {
    setSaveError(undefined);
    setDraft({ kind, points: [] });
  };
  const enough = draft && (draft.kind === 'zone' ? draft.points.length >= 3 : draft.points.length === 2);

  return (
    <article data-testid="zone-editor">
      <header>
        <strong>Zones and lines</strong> <small>(source pixels)</small>
      </header>
      {zones.error !== undefined && <ErrorNotice error={zones.error} />}
      {!current && zones.error === undefined && <p>Loading…</p>}
      {current && (
        <ul data-testid="zone-list">
          {current.zones.map((zone) => (
            <li key={`zone-${zone.id}`} data-zone-id={zone.id}>
              zone <strong>{zone.id}</strong>: {zone.polygon.map((p) => `(${p.x}, ${p.y})`).join(' ')}{' '}
              {canEdit && (
                <button
                  class="secondary outline chip"
                  disabled={busy}
                  onClick={() => void store({ ...current, zones: current.zones.filter((z) => z !== zone) })}
                >
                  Delete zone {zone.id}
                </button>
              )}
            </li>
          ))}
          {current.lines.map((line) => (
            <li key={`line-${line.id}`} data-line-id={line.id}>
              line <strong>{line.id}</strong>: ({line.a.x}, {line.a.y}) → ({line.b.x}, {line.b.y}){' '}
              {canEdit && (
                <button
                  class="secondary outline chip"
                  disabled={busy}
                  onClick={() => void store({ ...current, lines: current.lines.filter((l) => l !== line) })}
                >
                  Delete line {line.id}
                </button>
              )}
            </li>
          ))}
          {!current.zones.length && !current.lines.length && <li>No zones or lines.</li>}
        </ul>
      )}
      {!canEdit && <small>Operators and admins draw and delete zones.</small>}
      {canEdit && current && !draft && (
        <p class="actions">
          <button class="secondary" onClick={() => start('zone')}>
            Draw a zone
          </button>
          <button class="secondary" onClick={() => start('line')}>
            Draw a line
          </button>
        </p>
      )}
      {canEdit && draft && (
        <form
          aria-label="New zone"
          onSubmit={(e) => {
            e.preventDefault();
            void saveDraft();
          }}
        >
          <p data-testid="draft-points">
            {draft.kind === 'zone' ? 'Zone' : 'Line'}: {draft.points.length} point(s) —{' '}
            {draft.kind === 'zone' ? 'click at least 3 corners on the picture' : 'click both ends on the picture'}.
          </p>
          <label>
            {draft.kind === 'zone' ? 'Zone id' : 'Line id'}
            <input name="zone-id" value={id} required onInput={(e) => setId(e.currentTarget.value)} placeholder="e.g. door" />
          </label>
          <p class="actions">
            <button type="submit" disabled={busy || !enough}>
              Save {draft.kind}
            </button>
            <button
              type="button"
              class="secondary"
              disabled={!draft.points.length}
              onClick={() => setDraft({ ...draft, points: draft.points.slice(0, -1) })}
            >
              Undo point
            </button>
            <button type="button" class="secondary outline" onClick={() => setDraft(undefined)}>
              Cancel
            </button>
          </p>
        </form>
      )}
      {saveError !== undefined && (
        <p class="error" role="alert" data-testid="zone-error">
          {describeError(saveError)}
        </p>
      )}
    </article>
  );
}
