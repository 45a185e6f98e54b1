/**
 * One long-lived FFmpeg decoder process: input from a file, a device, or what we write to its stdin; exact raw
 * frames out of its stdout, each paired with its `showinfo` line (pts, input byte position) from stderr.
 *
 * Iterating pulls frames; while the consumer is busy stdout is not read, so FFmpeg blocks on its pipe (no unbounded
 * buffering). Iteration ends at the end of the input, throws a SightlineError when FFmpeg fails, and throws the
 * abort reason after abort(reason).
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import type { Readable } from 'node:stream';
import { BYTES_PER_PIXEL, SightlineError, type Size } from '@sightline/contracts';
import { silentLogger, type VideoLogger } from '../logger.js';
import {
  buildDecoderArgs,
  PREVIEW_PIXEL_FORMAT,
  PREVIEW_SHOWINFO,
  previewSize,
  type DecoderInput,
  type FrameFormat,
  type HardwareDecoder,
  type KnownVideoStream,
  type PreviewOptions,
} from './command.js';
import { FrameAssembler } from './frame-assembler.js';
import {
  DecodeErrorCode,
  InputSummaryParser,
  classifyFfmpegFailure,
  isDecodeErrorLine,
  isDiagnosticLine,
  parseScalerInputSize,
  parseShowinfoLine,
  parseShowinfoTimeBase,
  type FrameInfo,
  type TimeBase,
} from './stderr.js';

export interface DecodedFrame {
  /** Exactly width × height × bytes-per-pixel of the output format. */
  pixels: Buffer;
  /** Size of the decoded source video. */
  source: Size;
  info?: FrameInfo;
  /** When the frame came out of FFmpeg (epoch ms). */
  emergedAt: number;
  /** The latest preview picture so far (with a preview configured). */
  preview?: PreviewPicture;
}

/** A downscaled source picture (raw, PREVIEW_PIXEL_FORMAT) for people to look at. */
export interface PreviewPicture {
  pixels: Buffer;
  format: FrameFormat;
  /** The source frame it shows (its size). */
  source: Size;
  /** Numbers the pictures of this process (tells a new picture from the one already encoded). */
  seq: number;
  /** Its presentation time on FFmpeg's input clock (as the model frames' `info.ptsTime`). */
  ptsTime: number;
  /**
   * How many model frames before the one it is attached to the picture was taken (FFmpeg may hand a picture over
   * later than its frame: Debian's 5.1 one picture late). 0 when it is this frame's (or newer).
   */
  framesBehind: number;
}

/** Recent model frames remembered to place late pictures (a picture later than this is placed at the oldest). */
const PLACED_FRAMES = 256;

export interface FfmpegDecoderOptions {
  ffmpegPath: string;
  input: DecoderInput;
  output: FrameFormat;
  /** Hardware decoding (checked with `probeHardwareDecoder` first: FFmpeg exits when the device is missing). */
  hwaccel?: HardwareDecoder;
  /** Software decoder threads (see `DecoderOptions`). */
  decodeThreads?: number;
  /** A file's codec and size, probed before start (hardware decoding scales during decoding then). */
  source?: KnownVideoStream;
  logger?: VideoLogger;
  /** Added to log lines and error contexts (session id, redacted source). Never put credentials here. */
  context?: Record<string, unknown>;
  /** Called for each stderr line where FFmpeg reports damaged input that it decodes around. */
  onDecodeError?: (line: string) => void;
  /** Also decode a downscaled source picture a few times a second (kept raw; see PreviewOptions). */
  preview?: PreviewOptions;
}

const DIAGNOSTIC_TAIL_LINES = 20;
/** Numbers preview pictures across decoders, so a session's next run never reuses a number. */
let previewPictures = 0;

export class FfmpegDecoder implements AsyncIterable<DecodedFrame> {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly logger: VideoLogger;
  private readonly context: Record<string, unknown>;
  private readonly frameBytes: number;
  private readonly diagnostics: string[] = [];
  private readonly summary = new InputSummaryParser();
  /** showinfo's input time base, announced before its first frame line. */
  private showinfoTimeBase?: TimeBase;
  private readonly infos: FrameInfo[] = [];
  private infoArrived?: () => void;
  private stderrEnded = false;
  private sourceSize?: Size;
  /** The size the scaler was last configured for: follows resolution changes mid-stream. */
  private scalerInputSize?: Size;
  private spawnError?: Error;
  private abortRequested = false;
  private abortReason?: SightlineError;
  private readonly exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly onDecodeError?: (line: string) => void;
  private latestPreview?: Omit<PreviewPicture, 'framesBehind'>;
  /** Preview pixels and their showinfo lines, paired in order (they come on different pipes). */
  private readonly previewPixels: Array<{ pixels: Buffer; format: FrameFormat; source: Size }> = [];
  private readonly previewInfos: FrameInfo[] = [];
  private previewTimeBase?: TimeBase;
  /** ptsTime of the last PLACED_FRAMES model frames yielded, oldest first. */
  private readonly yieldedPts: number[] = [];

  constructor(options: FfmpegDecoderOptions) {
    this.onDecodeError = options.onDecodeError;
    this.logger = options.logger ?? silentLogger;
    this.context = options.context ?? {};
    const { output } = options;
    this.frameBytes = output.width * output.height * BYTES_PER_PIXEL[output.pixelFormat];
    const { hwaccel, source } = options;
    const args = buildDecoderArgs(options.input, output, {
      hwaccel,
      source,
      decodeThreads: options.decodeThreads,
      preview: options.preview,
    });
    // A probed size stands: a decoder that scales while decoding may report the scaled size as the stream's.
    this.sourceSize = source?.size;
    // fd 3 carries the preview pictures when there are any.
    this.child = spawn(options.ffmpegPath, args, {
      stdio: ['pipe', 'pipe', 'pipe', ...(options.preview ? ['pipe' as const] : [])],
    }) as ChildProcessWithoutNullStreams;
    this.exit = new Promise((resolve) => {
      this.child.once('error', (err) => {
        this.spawnError = err;
        resolve({ code: null, signal: null });
      });
      this.child.once('close', (code, signal) => resolve({ code, signal }));
    });
    // A write after FFmpeg died raises EPIPE here; the exit is reported through iteration instead.
    this.child.stdin.on('error', () => undefined);
    this.readStderr();
    if (options.preview) this.readPreview(this.child.stdio[3] as unknown as Readable, options.preview.width);
    this.logger.debug('ffmpeg started', { ...this.context, pid: this.child.pid, input: options.input.kind });
  }

  /** Feeds piped input. Returns false when FFmpeg's stdin is full: wait for drained() before writing more. */
  write(data: Buffer): boolean {
    if (!this.child.stdin.writable) return true;
    return this.child.stdin.write(data);
  }

  drained(): Promise<void> {
    if (!this.child.stdin.writable || !this.child.stdin.writableNeedDrain) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        this.child.stdin.off('drain', done);
        this.child.stdin.off('close', done);
        resolve();
      };
      this.child.stdin.once('drain', done);
      this.child.stdin.once('close', done);
    });
  }

  /** Stops FFmpeg now. Iteration then throws `reason`, or just ends without one. */
  async abort(reason?: SightlineError): Promise<void> {
    if (!this.abortRequested) {
      this.abortRequested = true;
      this.abortReason = reason;
      // Nothing to flush: the output goes nowhere once we stop reading it.
      if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
      // Output nobody reads any more would keep stdout open, and the process's 'close' (our exit) never comes.
      this.child.stdout.destroy();
    }
    await this.exit;
  }

  async *[Symbol.asyncIterator](): AsyncIterator<DecodedFrame> {
    const assembler = new FrameAssembler(this.frameBytes);
    let outputEnded = false;
    try {
      for await (const chunk of this.child.stdout as AsyncIterable<Buffer>) {
        const emergedAt = Date.now();
        for (const pixels of assembler.push(chunk)) {
          const info = await this.nextInfo();
          if (this.abortRequested) break;
          if (!this.sourceSize) throw this.failure(DecodeErrorCode.decodeFailed, 'FFmpeg did not report the input video size');
          if (info) {
            this.yieldedPts.push(info.ptsTime);
            if (this.yieldedPts.length > PLACED_FRAMES) this.yieldedPts.shift();
          }
          const preview = this.placedPreview();
          yield { pixels, source: info?.source ?? this.sourceSize, info, emergedAt, ...(preview && { preview }) };
        }
        if (this.abortRequested) break;
      }
      outputEnded = true;
    } catch (err) {
      if (!this.abortRequested) throw err instanceof SightlineError ? err : this.failure(DecodeErrorCode.decodeFailed, String(err));
    } finally {
      // The consumer stopped early (break/return/throw): the process must not outlive the iteration.
      if (!outputEnded) await this.abort();
    }
    const { code, signal } = await this.exit;
    if (this.abortReason) throw this.abortReason;
    if (this.abortRequested) return;
    if (this.spawnError) {
      throw this.failure(DecodeErrorCode.decodeFailed, `cannot start FFmpeg: ${this.spawnError.message}`);
    }
    if (code !== 0) {
      throw this.failure(classifyFfmpegFailure(this.diagnostics), `FFmpeg exited with ${code ?? signal}`, { exitCode: code, signal });
    }
    if (assembler.pendingBytes > 0) {
      this.logger.warn('ffmpeg output ended inside a frame', { ...this.context, pendingBytes: assembler.pendingBytes });
    }
  }

  private failure(code: DecodeErrorCode, message: string, extra: Record<string, unknown> = {}): SightlineError {
    const last = this.diagnostics.at(-1);
    return new SightlineError(code, last ? `${message}: ${last}` : message, {
      ...this.context,
      ...extra,
      ffmpeg: this.diagnostics.slice(-5),
    });
  }

  private nextInfo(): Promise<FrameInfo | undefined> {
    const info = this.infos.shift();
    if (info || this.stderrEnded) return Promise.resolve(info);
    return new Promise((resolve) => {
      this.infoArrived = () => resolve(this.infos.shift());
    });
  }

  /**
   * Always read (else FFmpeg would block on fd 3 and stall the model frames too); only the latest picture is kept. Its
   * size follows from the source size, which FFmpeg reports on stderr before any output.
   */
  private readPreview(stream: Readable, width: number): void {
    let assembler: FrameAssembler | undefined;
    let format: FrameFormat | undefined;
    let source: Size | undefined;
    const early: Buffer[] = [];
    stream.on('error', () => undefined);
    stream.on('data', (chunk: Buffer) => {
      if (!assembler && this.sourceSize) {
        source = this.sourceSize;
        format = { ...previewSize(this.sourceSize, width), pixelFormat: PREVIEW_PIXEL_FORMAT };
        assembler = new FrameAssembler(format.width * format.height * BYTES_PER_PIXEL[format.pixelFormat]);
      }
      if (!assembler || !format || !source) return void early.push(chunk);
      for (const held of [...early.splice(0), chunk]) {
        for (const pixels of assembler.push(held)) this.previewPixels.push({ pixels, format, source });
      }
      this.pairPreview();
    });
  }

  private pairPreview(): void {
    while (this.previewPixels.length && this.previewInfos.length) {
      const picture = this.previewPixels.shift()!;
      this.latestPreview = { ...picture, seq: ++previewPictures, ptsTime: this.previewInfos.shift()!.ptsTime };
    }
    // Pixels without lines would mean FFmpeg's log lost some: keep the newest few, not a growing backlog.
    if (this.previewPixels.length > 2) this.previewPixels.splice(0, this.previewPixels.length - 2);
  }

  /** The latest picture, with how many yielded frames ago its frame was (the newest one at or before its pts). */
  private placedPreview(): PreviewPicture | undefined {
    const picture = this.latestPreview;
    if (!picture) return undefined;
    let index = this.yieldedPts.length - 1;
    while (index > 0 && this.yieldedPts[index]! > picture.ptsTime + 1e-6) index--;
    return { ...picture, framesBehind: Math.max(0, this.yieldedPts.length - 1 - index) };
  }

  private readStderr(): void {
    let buffered = '';
    this.child.stderr.setEncoding('utf8');
    this.child.stderr.on('data', (chunk: string) => {
      buffered += chunk;
      let newline: number;
      while ((newline = buffered.search(/[\r\n]/)) >= 0) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        this.onStderrLine(line);
      }
    });
    this.child.stderr.once('close', () => {
      if (buffered) this.onStderrLine(buffered);
      this.stderrEnded = true;
      this.wakeInfoWaiter();
    });
  }

  private onStderrLine(line: string): void {
    if (line.includes(`showinfo@${PREVIEW_SHOWINFO}`)) return this.onPreviewLine(line);
    const timeBase = parseShowinfoTimeBase(line);
    if (timeBase) {
      this.showinfoTimeBase = timeBase;
      return;
    }
    const info = parseShowinfoLine(line, this.showinfoTimeBase);
    if (info) {
      // stderr is ordered: the scaler's (re)configuration precedes the frames it scales.
      this.infos.push(this.scalerInputSize ? { ...info, source: this.scalerInputSize } : info);
      return this.wakeInfoWaiter();
    }
    const scaled = parseScalerInputSize(line);
    if (scaled) {
      this.scalerInputSize = scaled;
      return;
    }
    const size = this.summary.push(line);
    if (size && !this.sourceSize) this.sourceSize = size;
    if (!isDiagnosticLine(line)) return;
    if (isDecodeErrorLine(line)) this.onDecodeError?.(line.trim());
    this.diagnostics.push(line.trim());
    if (this.diagnostics.length > DIAGNOSTIC_TAIL_LINES) this.diagnostics.shift();
  }

  private onPreviewLine(line: string): void {
    const timeBase = parseShowinfoTimeBase(line);
    if (timeBase) {
      this.previewTimeBase = timeBase;
      return;
    }
    const info = parseShowinfoLine(line, this.previewTimeBase);
    if (!info) return;
    this.previewInfos.push(info);
    if (this.previewInfos.length > 8) this.previewInfos.shift();
    this.pairPreview();
  }

  private wakeInfoWaiter(): void {
    const wake = this.infoArrived;
    this.infoArrived = undefined;
    wake?.();
  }
}
