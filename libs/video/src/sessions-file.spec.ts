import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSessionsFile } from './sessions-file.js';

const dir = mkdtempSync(join(tmpdir(), 'sessions-file-'));
function file(name: string, text: string): string {
  writeFileSync(join(dir, name), text);
  return join(dir, name);
}

describe('sessions file', () => {
  it('reads YAML with a sessions key, applying the request defaults', async () => {
    const path = file(
      'sessions.yaml',
      [
        'sessions:',
        '  - sessionId: cam1',
        '    source: { type: rtsp, url: "rtsp://cam/stream", auth: { type: digest, username: viewer, password: secret } }',
        '  - source: { type: file, url: /media/demo.mp4, loop: true }',
      ].join('\n'),
    );
    expect(await loadSessionsFile(path)).toEqual([
      {
        sessionId: 'cam1',
        source: { type: 'rtsp', url: 'rtsp://cam/stream', auth: { type: 'digest', username: 'viewer', password: 'secret' }, loop: false, pacing: 'realtime' },
      },
      { source: { type: 'file', url: '/media/demo.mp4', loop: true, pacing: 'realtime' } },
    ]);
  });

  it('reads a JSON list', async () => {
    const path = file('sessions.json', JSON.stringify([{ source: { type: 'device', url: '/dev/video0' } }]));
    expect(await loadSessionsFile(path)).toMatchObject([{ source: { type: 'device', url: '/dev/video0' } }]);
  });

  it('names the invalid field', async () => {
    const path = file('bad.yaml', 'sessions:\n  - source: { type: webcam, url: x }\n');
    await expect(loadSessionsFile(path)).rejects.toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringContaining('type') });
    await expect(loadSessionsFile(join(dir, 'absent.yaml'))).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
  });
});
