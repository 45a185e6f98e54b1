import { describe, expect, it } from 'vitest';
import { parseRtspUrl } from './url.js';

describe('parseRtspUrl', () => {
  it('takes the credentials out of the request URL, decoded, and defaults the port to 554', () => {
    expect(parseRtspUrl('rtsp://ad%40min:p%3Ass@camera.local/live/1?x=1')).toEqual({
      host: 'camera.local',
      port: 554,
      url: 'rtsp://camera.local/live/1?x=1',
      credentials: { username: 'ad@min', password: 'p:ss' },
    });
  });

  it('keeps an explicit port and connects to an IPv6 literal without its brackets', () => {
    expect(parseRtspUrl('rtsp://[::1]:8554/h264')).toEqual({
      host: '::1',
      port: 8554,
      url: 'rtsp://[::1]:8554/h264',
      credentials: undefined,
    });
  });

  it('refuses what is not an rtsp:// URL, without echoing a password', () => {
    expect(() => parseRtspUrl('http://user:secret@camera/x')).toThrow(expect.objectContaining({ code: 'RTSP_PROTOCOL' }));
    let message = '';
    try {
      parseRtspUrl('rtsp://user:secret@[bad');
    } catch (err) {
      message = JSON.stringify({ message: (err as Error).message, context: (err as { context: unknown }).context });
    }
    expect(message).toContain('invalid RTSP URL');
    expect(message).not.toContain('secret');
  });
});
