import { describe, expect, it } from 'vitest';
import { canSeeSession, sessionScopeOf } from './auth.js';
import { withoutOperationalDetails, type SessionInfo } from './sessions.js';

describe('session access', () => {
  it('derives the scope from roles and the sessions claim, failing closed', () => {
    expect(sessionScopeOf(['operator'], undefined)).toBe('*');
    expect(sessionScopeOf(['agent', 'admin'], ['cam-1'])).toBe('*');
    expect(sessionScopeOf(['agent'], ['cam-1', 7, 'cam-2'])).toEqual(['cam-1', 'cam-2']);
    expect(sessionScopeOf(['agent'], '*')).toBe('*');
    for (const claim of [undefined, null, 'cam-1', { cam: 1 }]) expect(sessionScopeOf(['agent'], claim)).toEqual([]);
  });

  it('grants a session by id or through *', () => {
    expect(canSeeSession({ sessions: ['cam-1'] }, 'cam-1')).toBe(true);
    expect(canSeeSession({ sessions: ['cam-1'] }, 'cam-2')).toBe(false);
    expect(canSeeSession({ sessions: '*' }, 'cam-2')).toBe(true);
  });

  it('leaves the source URL and the error text out for viewers', () => {
    const info: SessionInfo = {
      sessionId: 'cam-1',
      state: 'error',
      source: { type: 'rtsp', url: 'rtsp://10.0.0.5/stream', live: true },
      startedAt: '2026-01-01T00:00:00.000Z',
      lastError: { code: 'RTSP_PROTOCOL', message: 'not RTSP: "HTTP/1.1 200 OK"' },
      stats: { framesIn: 0, framesPublished: 0, framesDropped: 0, framesSkipped: 0, reconnects: 0, fpsIn: 0, fpsOut: 0 },
    };
    const view = withoutOperationalDetails(info);
    expect(view.source).toEqual({ type: 'rtsp', live: true });
    expect(view.lastError).toEqual({ code: 'RTSP_PROTOCOL' });
    expect(JSON.stringify(view)).not.toContain('10.0.0.5');
  });
});
