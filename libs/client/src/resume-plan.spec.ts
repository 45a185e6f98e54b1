import { describe, expect, it } from 'vitest';
import { MAX_SESSIONS_PER_COMMAND, resumePlan } from './resume-plan.js';

const none = new Map<string, number>();

describe('resumePlan', () => {
  it('first connection: one subscribe from the options’ start point, policy every by default', () => {
    expect(resumePlan(none, { sessions: ['cam-1', 'cam-2', 'cam-1'] })).toEqual([
      { type: 'subscribe', sessions: ['cam-1', 'cam-2'], policy: 'every' },
    ]);
    expect(resumePlan(none, { sessions: '*', policy: 'latest', fromSequence: 0 })).toEqual([
      { type: 'subscribe', sessions: '*', policy: 'latest', fromSequence: 0 },
    ]);
    expect(resumePlan(none, { sessions: ['cam-1'], fromTime: new Date(Date.UTC(2026, 0, 2, 3, 4, 5)), events: ['zoneEntered'] })).toEqual([
      { type: 'subscribe', sessions: ['cam-1'], policy: 'every', events: ['zoneEntered'], fromTime: '2026-01-02T03:04:05.000Z' },
    ]);
  });

  it('resumes each target after its own cursor, grouping targets that share one; the rest start as first asked', () => {
    const cursors = new Map([
      ['cam-1', 120],
      ['cam-3', 120],
      ['cam-2', 98],
    ]);
    expect(resumePlan(cursors, { sessions: ['cam-1', 'cam-2', 'cam-3', 'cam-4'], fromTime: '2026-01-01T00:00:00Z' })).toEqual([
      { type: 'subscribe', sessions: ['cam-1', 'cam-3'], policy: 'every', fromSequence: 120 },
      { type: 'subscribe', sessions: ['cam-2'], policy: 'every', fromSequence: 98 },
      { type: 'subscribe', sessions: ['cam-4'], policy: 'every', fromTime: '2026-01-01T00:00:00.000Z' },
    ]);
  });

  it("resumes '*' from the '*' cursor, ignoring the first-connection start point", () => {
    expect(resumePlan(new Map([['*', 7]]), { sessions: '*', fromSequence: 0, events: [] })).toEqual([
      { type: 'subscribe', sessions: '*', policy: 'every', fromSequence: 7 },
    ]);
  });

  it(`splits a group into commands of at most ${MAX_SESSIONS_PER_COMMAND} sessions, in order`, () => {
    const sessions = Array.from({ length: 2 * MAX_SESSIONS_PER_COMMAND + 1 }, (_, i) => `cam-${i}`);
    const commands = resumePlan(none, { sessions });
    expect(commands.map((c) => (c.type === 'subscribe' && Array.isArray(c.sessions) ? c.sessions.length : 0))).toEqual([64, 64, 1]);
    expect(commands.flatMap((c) => (c.type === 'subscribe' && Array.isArray(c.sessions) ? c.sessions : []))).toEqual(sessions);
  });
});
