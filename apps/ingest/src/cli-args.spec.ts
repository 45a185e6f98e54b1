import { startSessionSchema } from '@sightline/contracts';
import { describe, expect, it } from 'vitest';
import { parseCliArgs } from './cli-args.js';

describe('ingest CLI arguments', () => {
  it('builds an RTSP session request with the auth scheme, the password from the environment', () => {
    const command = parseCliArgs(['--source', 'rtsp://cam.local/stream', '--auth', 'digest', '--username', 'viewer', '--session', 'cam1'], {
      RTSP_PASSWORD: 's3cret',
    });
    expect(command).toEqual({
      kind: 'sessions',
      requests: [
        {
          sessionId: 'cam1',
          source: { type: 'rtsp', url: 'rtsp://cam.local/stream', auth: 'digest', username: 'viewer', password: 's3cret', loop: false },
        },
      ],
    });
  });

  it('sends the scalar auth form of requirements §5.3, which the session API reads as the object form', () => {
    const command = parseCliArgs(['--source', 'rtsp://cam.local/stream', '--auth=basic', '--username', 'viewer', '--password', 'pw'], {});
    if (command.kind !== 'sessions') throw new Error(command.kind);
    expect(startSessionSchema.parse(command.requests[0]).source.auth).toEqual({ type: 'basic', username: 'viewer', password: 'pw' });
  });

  it('leaves credentials to the URL when no user is given', () => {
    const command = parseCliArgs(['--source', 'rtsp://u:p@cam/stream', '--auth', 'basic'], {});
    expect(command).toEqual({
      kind: 'sessions',
      requests: [{ source: { type: 'rtsp', url: 'rtsp://u:p@cam/stream', auth: 'basic', loop: false } }],
    });
    if (command.kind !== 'sessions') throw new Error(command.kind);
    expect(startSessionSchema.parse(command.requests[0]).source.auth).toEqual({ type: 'basic', username: '', password: '' });
  });

  it('infers file and device sources', () => {
    expect(parseCliArgs(['--source', '/media/a.mp4', '--loop', '--pacing', 'fast'], {})).toEqual({
      kind: 'sessions',
      requests: [{ source: { type: 'file', url: '/media/a.mp4', loop: true, pacing: 'fast' } }],
    });
    expect(parseCliArgs(['--source', '/dev/video0?framerate=30'], {})).toMatchObject({ requests: [{ source: { type: 'device' } }] });
  });

  it('limits the analysis rate with --max-fps, and refuses a rate that is no positive number', () => {
    expect(parseCliArgs(['--source', 'rtsp://cam/stream', '--max-fps', '12.5'], {})).toMatchObject({
      requests: [{ source: { maxFps: 12.5 } }],
    });
    for (const bad of ['0', '-5', 'fast', '5000']) {
      expect(() => parseCliArgs(['--source', 'rtsp://cam/stream', '--max-fps', bad], {})).toThrow(
        expect.objectContaining({ code: 'CLI_USAGE' }),
      );
    }
  });

  it('runs a sessions file', () => {
    expect(parseCliArgs(['--config', 'sessions.yaml'], {})).toEqual({ kind: 'config', file: 'sessions.yaml' });
  });

  it('rejects bad usage with CLI_USAGE', () => {
    for (const argv of [
      [],
      ['--source'],
      ['--bogus'],
      ['--source', 'rtsp://x/y', '--auth', 'ntlm'],
      ['--config', 'a.yaml', '--source', '/a.mp4'],
    ]) {
      expect(() => parseCliArgs(argv, {}), argv.join(' ')).toThrow(expect.objectContaining({ code: 'CLI_USAGE' }));
    }
  });
});
