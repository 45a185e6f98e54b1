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
import { FILE_INPUT_RESTRICTIONS, nvdecDecode, type HardwareDecoder, type KnownVideoStream } from './command.js';
import { parseInputVideoStream } from './stderr.js';
import { VideoWarningCode } from '../errors.js';

export type HardwareDecoderProbe = { available: true } | { available: false; reason: string };

const QUIET = ['-hide_banner', '-nostdin', '-loglevel', 'warning'];
/** FFmpeg's warnings when the hardware decoder could not be set up and it decoded in software instead. */
const FALLBACK_WARNING = /failed setup|hwaccel initiali[sz]ation returned error|no device available/i;

export async function probeHardwareDecoder(
  ffmpegPath: string,
  hwaccel: HardwareDecoder,
  timeoutMs = 15_000,
): Promise<HardwareDecoderProbe> {
  let sample: Buffer;
  try {
    sample = await run(
      ffmpegPath,
      [...QUIET, '-f', 'lavfi', '-i', 'testsrc=s=128x72:r=10:d=0.5', '-c:v', 'libx264', '-f', 'h264', 'pipe:1'],
      timeoutMs,
    );
  } catch (error) {
    return { available: false, reason: `cannot make the H.264 probe sample: ${(error as Error).message}` };
  }
  // Both ways sessions decode on NVDEC: a probed H.264 file scaled by the decode engine, anything else by scale_cuda.
  const target = { width: 64, height: 64, pixelFormat: 'rgb24' } as const;
  const paths = { cuda: [nvdecDecode(target, { codec: 'h264', size: { width: 128, height: 72 } }), nvdecDecode(target)] };
  for (const decode of paths[hwaccel]) {
    const probe = await decodeSample(ffmpegPath, sample, decode.inputArgs, decode.filter, timeoutMs);
    if (!probe.available) return probe;
  }
  return { available: true };
}

function decodeSample(
  ffmpegPath: string,
  sample: Buffer,
  inputArgs: string[],
  filter: string,
  timeoutMs: number,
): Promise<HardwareDecoderProbe> {
  return new Promise((resolve) => {
    const child = spawn(ffmpegPath, [...QUIET, ...inputArgs, '-f', 'h264', '-i', 'pipe:0', '-vf', filter, '-f', 'null', '-'], {
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
      const said = lines.slice(-2).join('; ') || `ffmpeg exited with ${code}`;
      resolve({ available: false, reason: `${inputArgs.join(' ')}: ${said}` });
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
 * The codec and size of a media file's first video stream, from FFmpeg's input summary (FFmpeg opens the file and
 * exits: no output is named). Undefined when FFmpeg reports none; the decoder then learns the size as it runs.
 */
export function probeFileVideo(ffmpegPath: string, path: string, timeoutMs = 15_000): Promise<KnownVideoStream | undefined> {
  return new Promise((resolve) => {
    execFile(
      ffmpegPath,
      ['-hide_banner', '-nostdin', ...FILE_INPUT_RESTRICTIONS, '-i', `file:${path}`],
      { timeout: timeoutMs },
      (_error, _stdout, stderr) => {
        for (const line of String(stderr).split('\n')) {
          const stream = parseInputVideoStream(line);
          if (stream) return resolve(stream);
        }
        resolve(undefined);
      },
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
    code: VideoWarningCode.hwaccelUnavailable,
    hwaccel: requested,
    ffmpegPath,
  });
  return undefined;
}
