// CPU time and memory of process trees, read from /proc (Linux). A service's FFmpeg children count as its own.
import { readFileSync, readdirSync } from 'node:fs';

const TICKS_PER_SECOND = 100; // USER_HZ on Linux
const PAGE_BYTES = 4096;

/** @returns {Map<number, { ppid: number, cpuSeconds: number, rssBytes: number }>} */
function snapshot() {
  const table = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // Fields after the command name (which may contain spaces) start after the last ')'.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const ppid = Number(fields[1]);
      const cpuSeconds = (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
      const rssBytes = Number(fields[21]) * PAGE_BYTES;
      table.set(Number(entry), { ppid, cpuSeconds, rssBytes });
    } catch {
      // the process ended while we looked
    }
  }
  return table;
}

/** CPU seconds and RSS of `pid` and all its descendants. */
export function treeUsage(pid, table = snapshot()) {
  let cpuSeconds = 0;
  let rssBytes = 0;
  const stack = [pid];
  while (stack.length) {
    const current = stack.pop();
    const info = table.get(current);
    if (!info) continue;
    cpuSeconds += info.cpuSeconds;
    rssBytes += info.rssBytes;
    for (const [child, childInfo] of table) if (childInfo.ppid === current) stack.push(child);
  }
  return { cpuSeconds, rssBytes };
}

/**
 * Samples named process trees: CPU used between start() and stop(), peak RSS.
 * @param {Record<string, number>} pids name → root pid
 */
export function sampleTrees(pids, intervalMs = 500) {
  const table = snapshot();
  const start = Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, treeUsage(pid, table).cpuSeconds]));
  const peakRss = Object.fromEntries(Object.keys(pids).map((name) => [name, 0]));
  const last = { ...start };
  const timer = setInterval(() => {
    const now = snapshot();
    for (const [name, pid] of Object.entries(pids)) {
      const usage = treeUsage(pid, now);
      peakRss[name] = Math.max(peakRss[name], usage.rssBytes);
      if (usage.cpuSeconds > 0) last[name] = usage.cpuSeconds;
    }
  }, intervalMs);
  const startedAt = performance.now();
  return {
    /** @returns {Record<string, { cpuSeconds: number, cpuPercent: number, peakRssBytes: number }>} */
    stop() {
      clearInterval(timer);
      const elapsed = (performance.now() - startedAt) / 1000;
      const now = snapshot();
      return Object.fromEntries(
        Object.entries(pids).map(([name, pid]) => {
          const usage = treeUsage(pid, now);
          const end = usage.cpuSeconds > 0 ? usage.cpuSeconds : last[name];
          const cpuSeconds = Math.max(0, end - start[name]);
          return [name, { cpuSeconds, cpuPercent: (100 * cpuSeconds) / elapsed, peakRssBytes: Math.max(peakRss[name], usage.rssBytes) }];
        }),
      );
    },
  };
}

/** Percentile of a numeric array (nearest rank). */
export function percentile(values, p) {
  if (!values.length) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}
