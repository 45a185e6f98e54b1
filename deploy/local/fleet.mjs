#!/usr/bin/env node
// Runs the local fleet and the demo (see libs/fleet/src/demo.ts). Built code only: run `npm run build` first
// (deploy/local/up.sh does). Usage:
//   node deploy/local/fleet.mjs [--source rtsp://user:pass@camera:554/stream | /path/to/video.mp4]
//                               [--rtsp-auth basic|digest|auto|none] [--session ID] [--duration SECONDS] [--data-dir DIR]
import { parseArgs } from 'node:util';
import { runDemo } from '@sightline/fleet';

const { values } = parseArgs({
  options: {
    source: { type: 'string' },
    'rtsp-auth': { type: 'string' },
    session: { type: 'string' },
    duration: { type: 'string' },
    'data-dir': { type: 'string', default: process.env.SIGHTLINE_DATA_DIR ?? '.data' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help) {
  console.log(
    'npm run up -- [--source rtsp://user:pass@host:554/path | file.mp4] [--rtsp-auth basic|digest|auto|none] ' +
      '[--session ID] [--duration SECONDS] [--data-dir DIR]',
  );
  process.exit(0);
}
try {
  await runDemo({
    dataDir: values['data-dir'],
    source: values.source,
    rtspAuth: values['rtsp-auth'],
    sessionId: values.session,
    durationSeconds: values.duration ? Number(values.duration) : undefined,
  });
} catch (err) {
  // runDemo has printed what went wrong (what is in the way, or which service crash-looped); never exit silently.
  if (!(err instanceof Error)) console.error(`Error: ${String(err)}`);
  process.exit(1);
}
