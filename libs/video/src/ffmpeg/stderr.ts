/**
 * What we read from FFmpeg's stderr: the input video size (from the input summary), one `showinfo` line per output
 * frame (pts and input byte position), and error lines, classified into stable error codes.
 */
import type { Size } from '@sightline/contracts';

export interface FrameInfo {
  /** Output frame number, from 0. */
  n: number;
  /** Presentation time in seconds on FFmpeg's input clock. */
  ptsTime: number;
  /** Byte offset in the input of the packet the frame was decoded from; undefined when FFmpeg does not know. */
  pos?: number;
  /** Size of the decoded picture the frame was scaled from (changes when the stream's SPS does). */
  source?: Size;
}

const SHOWINFO = /\]\s+n:\s*(\d+)\s+pts:\s*(-?\d+)\s+pts_time:(\S+)\s+pos:\s*(-?\d+)/;
const SHOWINFO_TIME_BASE = /showinfo.*\]\s+config in time_base:\s*(\d+)\/(\d+)/;

/** The filter's input time base, from showinfo's `config in time_base: 1/15360` line. */
export interface TimeBase {
  num: number;
  den: number;
}

export function parseShowinfoTimeBase(line: string): TimeBase | undefined {
  const match = SHOWINFO_TIME_BASE.exec(line);
  if (!match || Number(match[1]) <= 0 || Number(match[2]) <= 0) return undefined;
  return { num: Number(match[1]), den: Number(match[2]) };
}

/**
 * One showinfo line. With the time base, the time is the integer pts × time base, exact at any frame rate and any
 * length; `pts_time` alone is printed with 6 significant digits (1 ms resolution from 100 s on, a whole 100 fps frame
 * from 1,000 s on), so it is only the fallback.
 */
export function parseShowinfoLine(line: string, timeBase?: TimeBase): FrameInfo | undefined {
  if (!line.includes('showinfo')) return undefined;
  const match = SHOWINFO.exec(line);
  if (!match) return undefined;
  const pos = Number(match[4]);
  const ptsTime = timeBase ? (Number(match[2]) * timeBase.num) / timeBase.den : Number(match[3]);
  return { n: Number(match[1]), ptsTime: Number.isFinite(ptsTime) ? ptsTime : 0, pos: pos >= 0 ? pos : undefined };
}

/**
 * `[Parsed_scale_0 @ 0x…] w:320 h:180 fmt:yuv420p sar:1/1 -> w:256 h:256 …` (verbose): the scaler is configured again
 * whenever the decoded size changes mid-stream (new SPS), before the first frame of the new size is filtered.
 */
const SCALER_INPUT = /^\[Parsed_scale(?:_cuda)?_\d+ @ [^\]]*\] w:(\d+) h:(\d+) /;

export function parseScalerInputSize(line: string): Size | undefined {
  const match = SCALER_INPUT.exec(line);
  return match ? { width: Number(match[1]), height: Number(match[2]) } : undefined;
}

/** `    Stream #0:0(und): Video: h264 (Main) (avc1 / 0x31637661), yuv420p, 1920x1080 [SAR 1:1 DAR 16:9], ...` */
const INPUT_VIDEO_STREAM = /^\s*Stream #0:\d+.*?: Video: .*?, (\d+)x(\d+)[\s,[]/;

const INPUT_VIDEO_CODEC = /^\s*Stream #0:\d+.*?: Video: (\w+)/;

/** The codec and size of a `Stream #0:N ... Video: ...` line of FFmpeg's input summary. */
export function parseInputVideoStream(line: string): { codec: string; size: Size } | undefined {
  const size = INPUT_VIDEO_STREAM.exec(line);
  const codec = INPUT_VIDEO_CODEC.exec(line);
  return size && codec ? { codec: codec[1], size: { width: Number(size[1]), height: Number(size[2]) } } : undefined;
}

/**
 * Tracks the input summary FFmpeg prints before decoding starts (`Input #0` ... `Output #0`/`Stream mapping`) and
 * picks the first video stream's size from it.
 */
export class InputSummaryParser {
  private inInput = false;
  private size?: Size;

  /** Returns the source size the first time it is seen. */
  push(line: string): Size | undefined {
    if (this.size) return undefined;
    if (line.startsWith('Input #0')) this.inInput = true;
    else if (line.startsWith('Output #') || line.startsWith('Stream mapping')) this.inInput = false;
    else if (this.inInput) {
      const match = INPUT_VIDEO_STREAM.exec(line);
      if (match) this.size = { width: Number(match[1]), height: Number(match[2]) };
      return this.size;
    }
    return undefined;
  }
}

/** Stable codes for why FFmpeg could not (or no longer) decode a source; they reach `sourceError` events. */
export const DecodeErrorCode = {
  /** The file or device does not exist or cannot be opened. */
  sourceNotFound: 'SOURCE_NOT_FOUND',
  /** The input is not a decodable container/stream (truncated, damaged, not video at all). */
  sourceCorrupt: 'SOURCE_CORRUPT',
  /** FFmpeg failed for another reason (or died). */
  decodeFailed: 'DECODE_FAILED',
} as const;
export type DecodeErrorCode = (typeof DecodeErrorCode)[keyof typeof DecodeErrorCode];

const NOT_FOUND = /No such file or directory|No such device|Cannot open video device|Permission denied/i;
const CORRUPT =
  /moov atom not found|Invalid data found when processing input|could not find codec parameters|does not contain any stream|Output file #0 does not contain any stream|Stream map '0:v:0' matches no streams|Stream specifier ':v:0' .* matches no streams/i;

/** Classifies an FFmpeg failure from the last lines of its stderr. */
export function classifyFfmpegFailure(stderrTail: readonly string[]): DecodeErrorCode {
  const text = stderrTail.join('\n');
  if (NOT_FOUND.test(text)) return DecodeErrorCode.sourceNotFound;
  if (CORRUPT.test(text)) return DecodeErrorCode.sourceCorrupt;
  return DecodeErrorCode.decodeFailed;
}

const DECODE_ERROR = /corrupt input packet|Error while decoding|error while decoding MB|Invalid NAL unit|partial file|concealing \d+ DC/i;

/** FFmpeg reporting damaged input it decodes around (truncated file, lost packets) rather than stopping. */
export function isDecodeErrorLine(line: string): boolean {
  return DECODE_ERROR.test(line);
}

/** Lines worth keeping for an error message: FFmpeg's own diagnostics, not the per-frame noise. */
export function isDiagnosticLine(line: string): boolean {
  return (
    line.trim().length > 0 &&
    !line.includes('showinfo') &&
    !/^\s+(Metadata|Duration|handler_name|encoder|major_brand|minor_version|compatible_brands|creation_time)\b/.test(line)
  );
}
