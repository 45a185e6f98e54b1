/**
 * Whether FFmpeg can decode H.264 on a hardware decoder on this host. FFmpeg exits when the device of an explicit
 * `-hwaccel` cannot be created (it does not fall back to software then), so ingest checks once at start-up and
 * decodes in software with one warning when the probe fails. The probe decodes a few real H.264 frames (encoded on
 * the spot) through the sessions' own path — hardware decoding, letterbox scaling on the device, download of the
 * small frame — and fails on FFmpeg's "hwaccel initialisation" warnings too: a device alone (libcuda) is not enough
 * for NVDEC, which also needs the driver's libnvcuvid, and the scaling needs an FFmpeg with scale_cuda.
 */
import { execFile, spawn } from 'node:child_process';
import type { VideoLogger } from '../logger.js';
import { hwaccelArgs, letterboxFilter, type HardwareDecoder } from './command.js';

export type HardwareDecoderProbe = { available: true } | { available: false; reason: string };

const QUIET = ['-hide_banner', '-nostdin', '-loglevel', 'warning'];
/** FFmpeg's warnings when the hardware decoder could not be set up and it decoded in software instead. */
const FALLBACK_WARNING = /failed setup|hwaccel initiali[sz]ation returned error|no device available/i;

export async function probeHardwareDecoder(ffmpegPath: string, hwaccel: HardwareDecoder, timeoutMs = 15_000): Promise<HardwareDecoderProbe> {
  let sample: Buffer;
  try {
    sample = await run(ffmpegPath, [...QUIET, '-f', 'lavfi', '-i', 'testsrc=s=128x72:r=10:d=0.5', '-c:v', 'libx264', '-f', 'h264', 'pipe:1'], timeoutMs);
  } catch (error) {
    return { available: false, reason: `cannot make the H.264 probe sample: ${(error as Error).message}` };
  }
  return new Promise((resolve) => {
    const filter = letterboxFilter({ width: 64, height: 64, pixelFormat: 'rgb24' }, hwaccel);
    const child = spawn(ffmpegPath, [...QUIET, ...hwaccelArgs(hwaccel), '-f', 'h264', '-i', 'pipe:0', '-vf', filter, '-f', 'null', '-'], {
      stdio: ['pipe', 'ignore', 'pipe'],
      timeout: timeoutMs,
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdin.on('error', () => undefined); // FFmpeg exited before reading everything: reported below
    child.stdin.end(sample);
    child.once('error', (error) => resolve({ available: false, reason: error.message }));
    child.once('close', (code) => {
      const lines = stderr.trim().split('\n').filter(Boolean);
      if (code === 0 && !lines.some((line) => FALLBACK_WARNING.test(line))) return resolve({ available: true });
      resolve({ available: false, reason: lines.slice(-2).join('; ') || `ffmpeg exited with ${code}` });
    });
  });
}

function run(command: string, args: string[], timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { encoding: 'buffer', timeout: timeoutMs, maxBuffer: 8 << 20 }, (error, stdout) =>
      error ? reject(error) : resolve(stdout),
    );
  });
}

/**
 * The hardware decoder to use: `requested` when the probe finds it usable, otherwise none, with one warning that says
 * why (sessions then decode in software, as without the setting).
 */
export async function usableHardwareDecoder(
  ffmpegPath: string,
  requested: HardwareDecoder | undefined,
  logger: Pick<VideoLogger, 'info' | 'warn'>,
): Promise<HardwareDecoder | undefined> {
  if (!requested) return undefined;
  const probe = await probeHardwareDecoder(ffmpegPath, requested);
  if (probe.available) {
    logger.info('hardware decoding in use', { hwaccel: requested });
    return requested;
  }
  logger.warn(`hardware decoding (${requested}) unavailable, decoding in software: ${probe.reason}`, {
    code: 'HWACCEL_UNAVAILABLE',
    hwaccel: requested,
    ffmpegPath,
  });
  return undefined;
}
