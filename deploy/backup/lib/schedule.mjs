// @ts-check
/**
 * The daily backup time: BACKUP_SCHEDULE (HH:MM) on the wall clock of BACKUP_TIMEZONE (an IANA name such as
 * Asia/Tokyo), independent of the container's TZ. Requirements §9.1 asks for 02:00, which the customer means in
 * local time, not in UTC.
 */

/**
 * The zone, checked: an unknown name fails at start instead of silently running at UTC.
 * @param {string} timeZone
 */
export function checkTimeZone(timeZone) {
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone }).resolvedOptions().timeZone;
  } catch {
    throw Object.assign(new Error(`BACKUP_TIMEZONE must be an IANA time zone name (e.g. Asia/Tokyo), got '${timeZone}'`), {
      code: 'CONFIG_INVALID',
    });
  }
}

/**
 * The wall-clock fields of `instant` in `timeZone`.
 * @param {number} instant ms since the epoch
 * @param {string} timeZone
 */
function wallClock(instant, timeZone) {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  }).formatToParts(instant);
  /** @param {string} type */
  const field = (type) => Number(parts.find((part) => part.type === type)?.value);
  return {
    year: field('year'),
    month: field('month'),
    day: field('day'),
    hour: field('hour'),
    minute: field('minute'),
    second: field('second'),
  };
}

/**
 * The UTC instant of a wall-clock time in `timeZone`: the zone's offset is read at a first guess and read again at
 * the result, which settles it on both sides of a daylight-saving change (a time inside a spring-forward gap runs
 * at the shifted instant, one hour later on the wall clock).
 * @param {{ year: number, month: number, day: number, hour: number, minute: number }} wall
 * @param {string} timeZone
 */
function instantOf(wall, timeZone) {
  const asUtc = Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute);
  /** @param {number} instant */
  const offsetAt = (instant) => {
    const w = wallClock(instant, timeZone);
    return Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second) - Math.floor(instant / 1000) * 1000;
  };
  const first = asUtc - offsetAt(asUtc);
  return asUtc - offsetAt(first);
}

/**
 * The next occurrence of the wall-clock time `hhmm` in `timeZone` strictly after `now`. Built from calendar fields,
 * not by adding 24 h, so a daylight-saving change does not shift the run.
 * @param {Date} now
 * @param {string} hhmm
 * @param {string} timeZone
 */
export function nextRunAt(now, hhmm, timeZone) {
  const [hour, minute] = hhmm.split(':').map(Number);
  const today = wallClock(now.getTime(), timeZone);
  for (let dayOffset = 0; dayOffset <= 2; dayOffset++) {
    // Date.UTC normalises day 32 etc. into the next month.
    const day = new Date(Date.UTC(today.year, today.month - 1, today.day + dayOffset));
    const at = instantOf({ year: day.getUTCFullYear(), month: day.getUTCMonth() + 1, day: day.getUTCDate(), hour, minute }, timeZone);
    if (at > now.getTime()) return new Date(at);
  }
  throw new Error(`no run time found for ${hhmm} in ${timeZone}`);
}
