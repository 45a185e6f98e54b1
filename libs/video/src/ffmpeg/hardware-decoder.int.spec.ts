/**
 * The hardware-decoder probe against the real FFmpeg. CI machines have no GPU: there the probe must say so (and why)
 * instead of letting sessions fail. (On a GPU host the answer also depends on the FFmpeg build, so these cases are
 * for hosts without an NVIDIA device.)
 */
import { execFileSync } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ffmpegPath, makeTempDir } from '@sightline/local-infra';
import { describe, expect, it } from 'vitest';
import { probeFileVideo, probeHardwareDecoder, usableHardwareDecoder } from './hardware-decoder.js';

const hasNvidiaDevice = existsSync('/dev/nvidia0');

describe('probeHardwareDecoder', () => {
  it.runIf(!hasNvidiaDevice)('reports CUDA decoding unavailable on a host without an NVIDIA device, with FFmpeg’s reason', async () => {
    const probe = await probeHardwareDecoder(await ffmpegPath(), 'cuda');
    expect(probe.available).toBe(false);
    // Which decode path failed (the decode engine's scaler is tried first), then FFmpeg's own words.
    if (!probe.available) expect(probe.reason).toMatch(/^-c:v h264_cuvid -resize 64x36: \S/);
  });

  it('reports an FFmpeg that cannot be run as unavailable, not as a crash', async () => {
    const probe = await probeHardwareDecoder('/nonexistent/ffmpeg', 'cuda');
    expect(probe).toMatchObject({ available: false, reason: expect.stringContaining('ENOENT') });
  });
});

describe('usableHardwareDecoder', () => {
  it.runIf(!hasNvidiaDevice)('falls back to software decoding with one coded warning where CUDA decoding is unusable', async () => {
    const warnings: { message: string; meta?: Record<string, unknown> }[] = [];
    const logger = { info: () => undefined, warn: (message: string, meta?: Record<string, unknown>) => warnings.push({ message, meta }) };
    expect(await usableHardwareDecoder(await ffmpegPath(), 'cuda', logger)).toBeUndefined();
    expect(warnings).toHaveLength(1);
    expect(warnings[0].message).toMatch(/hardware decoding \(cuda\) unavailable, decoding in software/);
    expect(warnings[0].meta).toMatchObject({ code: 'HWACCEL_UNAVAILABLE', hwaccel: 'cuda' });
  });

  it('does not probe when no hardware decoder is configured', async () => {
    const logger = { info: () => expect.unreachable(), warn: () => expect.unreachable() };
    expect(await usableHardwareDecoder('/nonexistent/ffmpeg', undefined, logger)).toBeUndefined();
  });
});

describe('probeFileVideo', () => {
  it('reads the codec and size of a real MP4 before any decoder starts, and nothing from a file that is no video', async () => {
    const ffmpeg = await ffmpegPath();
    const dir = await makeTempDir('probe-file');
    try {
      const clip = join(dir, 'odd.mp4');
      execFileSync(ffmpeg, [
        '-hide_banner',
        '-loglevel',
        'error',
        '-f',
        'lavfi',
        '-i',
        'testsrc=s=1000x750:r=10:d=0.3',
        '-c:v',
        'libx264',
        clip,
      ]);
      expect(await probeFileVideo(ffmpeg, clip)).toEqual({ codec: 'h264', size: { width: 1000, height: 750 } });
      const text = join(dir, 'notes.mp4');
      writeFileSync(text, 'not a video');
      expect(await probeFileVideo(ffmpeg, text)).toBeUndefined();
      expect(await probeFileVideo(ffmpeg, join(dir, 'missing.mp4'))).toBeUndefined();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
