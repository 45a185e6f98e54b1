import { openRtspStream } from '@sightline/rtsp';
const s = await openRtspStream({ url: process.argv[2], auth: { type: 'digest', username: 'op', password: 'secret' } });
const t0 = Date.now(); const per = {}; let bytes = 0;
for await (const x of s) { const sec = Math.floor((Date.now() - t0) / 1000); per[sec] = (per[sec] ?? 0) + 1; bytes += x.data.length; if (Date.now() - t0 > 6000) break; }
console.log(process.argv[2], JSON.stringify(per), bytes);
