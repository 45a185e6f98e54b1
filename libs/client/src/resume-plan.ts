/**
 * The subscribe commands an AnalysisClient sends on each connection: every target it was asked for, resumed after
 * its cursor (the last seq delivered) when it has one, else from the options' first-connection start point.
 */
import { ALL_SESSIONS, type ClientMessage, type SessionSelector } from './protocol.js';
import type { AnalysisClientOptions } from './analysis-client.js';

/** Per-message cap of the gateway's subscribe command (contracts: sessions array max 64). */
export const MAX_SESSIONS_PER_COMMAND = 64;

export type ResumeOptions = Pick<AnalysisClientOptions, 'sessions' | 'policy' | 'events' | 'fromSequence' | 'fromTime'>;

/** One subscribe per distinct start point (and per 64 sessions): resumed targets from their cursor, new ones from the options. */
export function resumePlan(cursors: ReadonlyMap<string, number>, options: ResumeOptions): ClientMessage[] {
  const policy = options.policy ?? 'every';
  const filter = options.events?.length ? { events: [...options.events] } : {};
  const initialStart =
    options.fromSequence !== undefined
      ? { fromSequence: options.fromSequence }
      : options.fromTime !== undefined
        ? { fromTime: new Date(options.fromTime).toISOString() }
        : {};
  const groups = new Map<string, { start: { fromSequence?: number; fromTime?: string }; targets: string[] }>();
  for (const target of targetsOf(options.sessions)) {
    const cursor = cursors.get(target);
    const start = cursor !== undefined ? { fromSequence: cursor } : initialStart;
    const key = JSON.stringify(start);
    const group = groups.get(key) ?? { start, targets: [] };
    group.targets.push(target);
    groups.set(key, group);
  }
  const commands: ClientMessage[] = [];
  for (const { start, targets } of groups.values()) {
    if (targets[0] === ALL_SESSIONS) {
      commands.push({ type: 'subscribe', sessions: ALL_SESSIONS, policy, ...filter, ...start });
      continue;
    }
    for (let i = 0; i < targets.length; i += MAX_SESSIONS_PER_COMMAND) {
      commands.push({ type: 'subscribe', sessions: targets.slice(i, i + MAX_SESSIONS_PER_COMMAND), policy, ...filter, ...start });
    }
  }
  return commands;
}

/** The subscription targets of a selector: `'*'`, or each distinct session id (a cursor is kept per target). */
export function targetsOf(sessions: SessionSelector): string[] {
  return sessions === ALL_SESSIONS ? [ALL_SESSIONS] : [...new Set(sessions)];
}
