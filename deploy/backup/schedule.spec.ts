import { describe, expect, it } from 'vitest';
import { checkTimeZone, nextRunAt } from './lib/schedule.mjs';

describe('daily backup schedule', () => {
  it('runs 02:00 Asia/Tokyo at 17:00 UTC of the previous day', () => {
    expect(nextRunAt(new Date('2026-03-10T12:00:00Z'), '02:00', 'Asia/Tokyo').toISOString()).toBe('2026-03-10T17:00:00.000Z');
    // Just past 17:00 UTC it is already 02:00:01 in Tokyo: the next run is a day later.
    expect(nextRunAt(new Date('2026-03-10T17:00:01Z'), '02:00', 'Asia/Tokyo').toISOString()).toBe('2026-03-11T17:00:00.000Z');
    // Across a month end.
    expect(nextRunAt(new Date('2026-01-31T18:00:00Z'), '02:00', 'Asia/Tokyo').toISOString()).toBe('2026-02-01T17:00:00.000Z');
  });

  it('reads the time in UTC when the zone is UTC, whatever the process TZ', () => {
    expect(nextRunAt(new Date('2026-03-10T01:59:00Z'), '02:00', 'UTC').toISOString()).toBe('2026-03-10T02:00:00.000Z');
    expect(nextRunAt(new Date('2026-03-10T02:00:00Z'), '02:00', 'UTC').toISOString()).toBe('2026-03-11T02:00:00.000Z');
  });

  it('keeps the wall-clock time across daylight-saving changes', () => {
    // Europe/Berlin: CET (+1) before 2026-03-29, CEST (+2) after.
    expect(nextRunAt(new Date('2026-03-27T12:00:00Z'), '03:30', 'Europe/Berlin').toISOString()).toBe('2026-03-28T02:30:00.000Z');
    expect(nextRunAt(new Date('2026-03-29T12:00:00Z'), '03:30', 'Europe/Berlin').toISOString()).toBe('2026-03-30T01:30:00.000Z');
    // 02:30 does not exist on 2026-03-29 in Berlin: it runs at the shifted instant, once.
    expect(nextRunAt(new Date('2026-03-28T12:00:00Z'), '02:30', 'Europe/Berlin').toISOString()).toBe('2026-03-29T01:30:00.000Z');
  });

  it('refuses a zone name that is not IANA', () => {
    expect(checkTimeZone('Asia/Tokyo')).toBe('Asia/Tokyo');
    expect(() => checkTimeZone('Tokyo/Standard')).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
  });
});

describe('backup metrics', () => {
  it('show the schedule, its zone and the next run', async () => {
    const { collectMetrics } = await import('./lib/metrics.mjs');
    // No repository, database or bucket here: those sources report down; the schedule needs none of them.
    const { text } = await collectMetrics({ BACKUP_SCHEDULE: '02:00', BACKUP_TIMEZONE: 'Asia/Tokyo' });
    expect(text).toContain('sightline_backup_schedule_info{schedule="02:00",timezone="Asia/Tokyo"} 1');
    const next = Number(/^sightline_backup_next_run_timestamp_seconds (\d+)$/m.exec(text)?.[1]);
    expect(new Date(next * 1000).toISOString()).toMatch(/T17:00:00\.000Z$/);
    expect(text).toContain('sightline_backup_source_up{source="pgbackrest"} 0');
  });
});
