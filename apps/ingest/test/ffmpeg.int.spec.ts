/**
 * Which FFmpeg ingest runs: the system's (security updates from the OS) when installed, the npm static build only as a
 * fallback, said at start-up with its version; a path that does not run FFmpeg stops the start.
 */
import { BUNDLED_FFMPEG_PATH, SYSTEM_FFMPEG_PATH, defaultFfmpegPath } from '@sightline/video';
import { describe, expect, it } from 'vitest';
import { ingestSettings, loadIngestConfig } from '../src/config.js';

function capture() {
  const lines: { level: string; message: string; meta?: Record<string, unknown> }[] = [];
  return {
    lines,
    logger: {
      info: (message: string, meta?: Record<string, unknown>) => lines.push({ level: 'info', message, meta }),
      warn: (message: string, meta?: Record<string, unknown>) => lines.push({ level: 'warn', message, meta }),
    },
  };
}

describe('the FFmpeg ingest runs', () => {
  it('is the system FFmpeg by default (installed by deploy/local/install-deps.sh), the npm build only without one', () => {
    expect(loadIngestConfig({}).FFMPEG_PATH).toBe(SYSTEM_FFMPEG_PATH);
    expect(defaultFfmpegPath('/nonexistent/ffmpeg')).toBe(BUNDLED_FFMPEG_PATH);
  });

  it('is named at start-up with its version', async () => {
    const { lines, logger } = capture();
    await ingestSettings(loadIngestConfig({}), logger);
    expect(lines).toEqual([
      {
        level: 'info',
        message: 'ffmpeg',
        meta: { ffmpegPath: SYSTEM_FFMPEG_PATH, ffmpegVersion: expect.stringMatching(/^\d+\.\d+/), ffmpegOrigin: 'system' },
      },
    ]);
  });

  it('warns when the npm static build runs', async () => {
    const { lines, logger } = capture();
    await ingestSettings(loadIngestConfig({ FFMPEG_PATH: BUNDLED_FFMPEG_PATH }), logger);
    expect(lines.map((l) => [l.level, l.meta?.ffmpegOrigin ?? l.meta?.code])).toEqual([
      ['info', 'bundled'],
      ['warn', 'FFMPEG_BUNDLED'],
    ]);
  });

  it('refuses to start on a path that does not run FFmpeg', async () => {
    await expect(ingestSettings(loadIngestConfig({ FFMPEG_PATH: '/bin/false' }), capture().logger)).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
    });
  });

  it('decodes each session with one software thread by default; 0 leaves FFmpeg its own default', async () => {
    expect((await ingestSettings(loadIngestConfig({}), capture().logger)).decodeThreads).toBe(1);
    expect((await ingestSettings(loadIngestConfig({ INGEST_DECODE_THREADS: '4' }), capture().logger)).decodeThreads).toBe(4);
    expect((await ingestSettings(loadIngestConfig({ INGEST_DECODE_THREADS: '0' }), capture().logger)).decodeThreads).toBeUndefined();
    expect(() => loadIngestConfig({ INGEST_DECODE_THREADS: '-1' })).toThrow(/INGEST_DECODE_THREADS/);
  });
});
