/**
 * One long-lived FFmpeg decoder process: input from a file, a device, or what we write to its stdin; exact raw
 * frames out of its stdout, each paired with its `showinfo` line (pts, input byte position) from stderr.
 *
 * Iterating pulls frames; while the consumer is busy stdout is not read, so FFmpeg blocks on its pipe (no unbounded
 * buffering). Iteration ends at the end of the input, throws a SightlineError when FFmpeg fails, and throws the
 * abort reason after abort(reason).
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { BYTES_PER_PIXEL, SightlineError, type Size } from '@sightline/contracts';
import { silentLogger, type VideoLogger } from '../logger.js';
import { buildDecoderArgs, type DecoderInput, type FrameFormat, type HardwareDecoder, type KnownVideoStream } from './command.js';
import { FrameAssembler } from './frame-assembler.js';
import {
  DecodeErrorCode,
  InputSummaryParser,
  classifyFfmpegFailure,
  isDecodeErrorLine,
  isDiagnosticLine,
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
}

export interface FfmpegDecoderOptions {
  ffmpegPath: string;
  input: DecoderInput;
  output: FrameFormat;
  /** Hardware decoding (checked with `probeHardwareDecoder` first: FFmpeg exits when the device is missing). */
  hwaccel?: HardwareDecoder;
  /** A file's codec and size, probed before start (hardware decoding scales during decoding then). */
  source?: KnownVideoStream;
  logger?: VideoLogger;
  /** Added to log lines and error contexts (session id, redacted source). Never put credentials here. */
  context?: Record<string, unknown>;
  /** Called for each stderr line where FFmpeg reports damaged input that it decodes around. */
  onDecodeError?: (line: string) => void;
}

const DIAGNOSTIC_TAIL_LINES = 20;

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
  private spawnError?: Error;
  private abortRequested = false;
  private abortReason?: SightlineError;
  private readonly exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly onDecodeError?: (line: string) => void;

  constructor(options: FfmpegDecoderOptions) {
    this.onDecodeError = options.onDecodeError;
    this.logger = options.logger ?? silentLogger;
    this.context = options.context ?? {};
    const { output } = options;
    this.frameBytes = output.width * output.height * BYTES_PER_PIXEL[output.pixelFormat];
    const { hwaccel, source } = options;
    const args = buildDecoderArgs(options.input, output, { hwaccel, source });
    // A probed size stands: a decoder that scales while decoding may report the scaled size as the stream's.
    this.sourceSize = source?.size;
    this.child = spawn(options.ffmpegPath, args, { stdio: ['pipe', 'pipe', 'pipe'] });
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
          yield { pixels, source: this.sourceSize, info, emergedAt };
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
    const timeBase = parseShowinfoTimeBase(line);
    if (timeBase) {
      this.showinfoTimeBase = timeBase;
      return;
    }
    const info = parseShowinfoLine(line, this.showinfoTimeBase);
    if (info) {
      this.infos.push(info);
      return this.wakeInfoWaiter();
    }
    const size = this.summary.push(line);
    if (size && !this.sourceSize) this.sourceSize = size;
    if (!isDiagnosticLine(line)) return;
    if (isDecodeErrorLine(line)) this.onDecodeError?.(line.trim());
    this.diagnostics.push(line.trim());
    if (this.diagnostics.length > DIAGNOSTIC_TAIL_LINES) this.diagnostics.shift();
  }

  private wakeInfoWaiter(): void {
    const wake = this.infoArrived;
    this.infoArrived = undefined;
    wake?.();
  }
}
