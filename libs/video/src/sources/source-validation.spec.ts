import { describe, expect, it } from 'vitest';
import { parseDeviceUrl } from './device-source.js';
import { resolveMediaPath } from './file-source.js';

describe('device source URL', () => {
  it('takes V4L2 options from the query', () => {
    expect(parseDeviceUrl('/dev/video0?input_format=mjpeg&video_size=1280x720&framerate=30')).toEqual({
      path: '/dev/video0',
      inputFormat: 'mjpeg',
      videoSize: '1280x720',
      framerate: 30,
    });
    expect(parseDeviceUrl('/dev/video12')).toEqual({ path: '/dev/video12' });
  });

  it('refuses anything that is not a video device or a known option', () => {
    for (const url of [
      '/etc/passwd',
      '/dev/video0/../sda',
      'video0',
      '/dev/video0?foo=bar',
      '/dev/video0?video_size=big',
      '/dev/video0?framerate=-1',
    ]) {
      expect(() => parseDeviceUrl(url), url).toThrow(expect.objectContaining({ code: 'INVALID_SOURCE' }));
    }
  });
});

describe('file source path', () => {
  it('accepts absolute paths and file URLs inside the media root', () => {
    expect(resolveMediaPath('/media/clips/a.mp4', '/media')).toBe('/media/clips/a.mp4');
    expect(resolveMediaPath('file:///media/b%20c.mp4', '/media/')).toBe('/media/b c.mp4');
    expect(resolveMediaPath('/tmp/x.mp4', '/')).toBe('/tmp/x.mp4');
  });

  it('refuses relative paths, escapes from the root and other protocols', () => {
    for (const url of ['clips/a.mp4', '/media/../etc/passwd', '/mediax/a.mp4', 'http://example.com/a.mp4']) {
      expect(() => resolveMediaPath(url, '/media'), url).toThrow(expect.objectContaining({ code: 'INVALID_SOURCE' }));
    }
  });
});
