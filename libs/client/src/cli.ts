#!/usr/bin/env node
/** `sightline-agent`: the agent SDK's command line (see WATCH_USAGE). */
import { parseWatchArgs, runWatch, UsageError, WATCH_USAGE } from './watch.js';

try {
  const command = parseWatchArgs(process.argv.slice(2));
  const stop = new AbortController();
  process.once('SIGINT', () => stop.abort());
  process.once('SIGTERM', () => stop.abort());
  process.exitCode = await runWatch(command, { stdout: process.stdout, stderr: process.stderr }, stop.signal);
} catch (err) {
  if (!(err instanceof UsageError)) throw err;
  process.stderr.write(`${(err as Error).message}\n\n${WATCH_USAGE}`);
  process.exitCode = 2;
}
