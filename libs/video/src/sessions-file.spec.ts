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
        source: {
          type: 'rtsp',
          url: 'rtsp://cam/stream',
          auth: { type: 'digest', username: 'viewer', password: 'secret' },
          loop: false,
          pacing: 'realtime',
        },
      },
      { source: { type: 'file', url: '/media/demo.mp4', loop: true, pacing: 'realtime' } },
    ]);
  });

  it('reads the scalar auth form of requirements §5.3, credentials from separate keys or the URL, beside the object form', async () => {
    const path = file(
      'scalar-auth.yaml',
      [
        'sessions:',
        '  - source: { type: rtsp, url: "rtsp://cam/a", auth: basic, username: viewer, password: secret }',
        '  - source: { type: rtsp, url: "rtsp://viewer:secret@cam/b", auth: digest }',
        '  - source: { type: rtsp, url: "rtsp://cam/c", auth: { type: digest, username: viewer, password: secret } }',
      ].join('\n'),
    );
    const auths = (await loadSessionsFile(path)).map((request) => request.source.auth);
    expect(auths).toEqual([
      { type: 'basic', username: 'viewer', password: 'secret' },
      // Empty credentials: the RTSP client takes the URL's userinfo.
      { type: 'digest', username: '', password: '' },
      { type: 'digest', username: 'viewer', password: 'secret' },
    ]);
  });

  it('refuses separate credential keys that have no scalar auth to go with, or an unknown scheme', async () => {
    for (const [name, source] of [
      ['keys-with-object.yaml', '{ type: rtsp, url: "rtsp://cam/a", auth: { type: basic }, username: viewer }'],
      ['keys-without-auth.yaml', '{ type: rtsp, url: "rtsp://cam/a", password: secret }'],
      ['unknown-scheme.yaml', '{ type: rtsp, url: "rtsp://cam/a", auth: ntlm }'],
    ]) {
      const path = file(name, `sessions:\n  - source: ${source}\n`);
      await expect(loadSessionsFile(path), name).rejects.toMatchObject({
        code: 'CONFIG_INVALID',
        message: expect.stringMatching(/auth|username|password/),
      });
    }
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
