/**
 * The hardware-decoder probe against the real FFmpeg. CI machines have no GPU: there the probe must say so (and why)
 * instead of letting sessions fail. (On a GPU host the answer also depends on the FFmpeg build, so these cases are
 * for hosts without an NVIDIA device.)
 */
import { existsSync } from 'node:fs';
import { ffmpegPath } from '@sightline/local-infra';
import { describe, expect, it } from 'vitest';
import { probeHardwareDecoder, usableHardwareDecoder } from './hardware-decoder.js';

const hasNvidiaDevice = existsSync('/dev/nvidia0');

describe('probeHardwareDecoder', () => {
  it.runIf(!hasNvidiaDevice)('reports CUDA decoding unavailable on a host without an NVIDIA device, with FFmpeg’s reason', async () => {
    const probe = await probeHardwareDecoder(await ffmpegPath(), 'cuda');
    expect(probe.available).toBe(false);
    if (!probe.available) expect(probe.reason).toMatch(/device|cuda/i);
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
