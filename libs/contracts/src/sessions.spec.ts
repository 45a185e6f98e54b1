import { describe, expect, it } from 'vitest';
import { redactUrl, startSessionSchema } from './sessions.js';

describe('redactUrl', () => {
  it.each([
    ['rtsp://admin:hunter2@10.0.0.5/stream', 'rtsp://***:***@10.0.0.5/stream'],
    ['rtsp://admin@10.0.0.5/stream', 'rtsp://***@10.0.0.5/stream'],
    // A password with "/" makes the URL unparsable or parse with the wrong host: everything up to the last "@" goes.
    ['rtsp://admin:pa/ss@10.0.0.5/stream', 'rtsp://***:***@10.0.0.5/stream'],
    ['rtsp://admin:12/ss@10.0.0.5/stream', 'rtsp://***:***@10.0.0.5/stream'],
    ['rtsp://admin:p@ss@10.0.0.5:554/stream', 'rtsp://***:***@10.0.0.5:554/stream'],
    ['rtsp://10.0.0.5/s?user=admin&password=hunter2', 'rtsp://10.0.0.5/s?user=***&password=***'],
    [
      'rtsp://10.0.0.5/cam/realmonitor?channel=1&subtype=0&pwd=x&loginUser=y',
      'rtsp://10.0.0.5/cam/realmonitor?channel=1&subtype=0&pwd=***&loginUser=***',
    ],
    ['rtsp://10.0.0.5/live?access_token=abc&authKey=def&PASS=g#frag', 'rtsp://10.0.0.5/live?access_token=***&authKey=***&PASS=***#frag'],
    ['rtsp://u:p@10.0.0.5/x?token=t', 'rtsp://***:***@10.0.0.5/x?token=***'],
    ['rtsp://10.0.0.5/stream?channel=2', 'rtsp://10.0.0.5/stream?channel=2'],
    ['/media/clip.mp4', '/media/clip.mp4'],
  ])('%s → %s', (url, redacted) => {
    expect(redactUrl(url)).toBe(redacted);
  });
});

describe('startSessionSchema credentials', () => {
  const rtsp = (auth: object | undefined, url = 'rtsp://cam/x') => startSessionSchema.safeParse({ source: { type: 'rtsp', url, auth } });

  it.each(['op\r\nX-Injected: 1', 'op\n', 'op\u0000', 'op\u007f', 'tab\there'])(
    'refuses control characters in username or password (%j)',
    (value) => {
      expect(rtsp({ type: 'digest', username: value, password: 'p' }).success).toBe(false);
      expect(rtsp({ type: 'digest', username: 'u', password: value }).success).toBe(false);
    },
  );

  it('refuses percent-encoded control characters in the URL userinfo', () => {
    expect(rtsp(undefined, 'rtsp://op%0D%0AX-Injected:1@cam/x').success).toBe(false);
    expect(rtsp(undefined, 'rtsp://op:pa%2Fss%40@cam/x').success).toBe(true);
  });

  it('accepts ordinary credentials, spaces and unicode included', () => {
    expect(rtsp({ type: 'basic', username: 'viewer', password: 'top secret ünïcode #1' }).success).toBe(true);
  });
});
