import { it } from 'vitest';
import { openRtspStream } from './index.js';

it('reopen', async () => {
  const port = process.env.PROBE_PORT;
  let failures = 0;
  for (let i = 0; i < 16 && !failures; i++) {
    const mount = i % 2 ? 'ts' : 'h264';
    try {
      const stream = await openRtspStream({ url: `rtsp://127.0.0.1:${port}/${mount}`, auth: { type: 'digest', username: 'a', password: 'b' } });
      const t0 = Date.now();
      for await (const _ of stream) { if (Date.now() - t0 > 700) break; }
    } catch (err) { failures++; console.log(i, mount, String(err)); }
  }
  console.log('failures', failures);
}, 60000);
