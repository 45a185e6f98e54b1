/**
 * FFmpeg command lines for the one long-lived decoder process of a session: decode H.264 (file, piped elementary
 * stream, or V4L2 device), letterbox to the model input size, convert to the model's pixel format, and write raw
 * frames to stdout. `showinfo` reports each frame's pts and input byte position on stderr, in output order.
 */
import { PIXEL_FORMATS, computeLetterbox, type PixelFormat, type Size } from '@sightline/contracts';

export interface FrameFormat extends Size {
  pixelFormat: PixelFormat;
}

/**
 * Hardware decoders FFmpeg may use. `cuda` is NVDEC: it needs an FFmpeg built with cuvid/nvdec (Debian's is; the
 * static build from npm is not) and the NVIDIA driver's libnvcuvid. H.264 files go through FFmpeg's `h264_cuvid`,
 * whose decode engine also scales each picture to the letterboxed content size (`-resize`, the size being probed
 * before FFmpeg starts); other inputs through FFmpeg's decoder with the CUDA hwaccel and `scale_cuda`. Only the small
 * frame crosses to system memory, where padding it and converting it to the model's pixel format costs little — a
 * 1080p frame never touches the CPU.
 */
export const HARDWARE_DECODERS = ['cuda'] as const;
export type HardwareDecoder = (typeof HARDWARE_DECODERS)[number];

/** What is known of a source's video before its decoder starts (a probed file). */
export interface KnownVideoStream {
  /** FFmpeg's codec name, e.g. h264, hevc. */
  codec: string;
  size: Size;
}

export interface DecoderOptions {
  /** Decode compressed input (files, RTSP) on this hardware; devices are always decoded in software. */
  hwaccel?: HardwareDecoder;
  /**
   * Threads of FFmpeg's software decoder; absent or 0: FFmpeg's default (frame threads = cores + 1). Each session has
   * its own decoder process, so on a small shared host one thread each costs less CPU per frame (no frame-thread
   * hand-offs and spinning) without slowing a 1080p60 stream below real time.
   */
  decodeThreads?: number;
  /** Also write a downscaled copy of the source picture, a few a second, to fd 3 (the console's live view). */
  preview?: PreviewOptions;
  /** A file's codec and size when probed before FFmpeg starts: lets NVDEC scale during decoding. */
  source?: KnownVideoStream;
}

/** How a source is decoded on the hardware: options before `-i`, and the filter chain to the model's frame. */
export interface HardwareDecode {
  inputArgs: string[];
  filter: string;
}

/**
 * The source picture for people to look at: at most `width` pixels wide (the source's aspect ratio, even sizes),
 * at most `fps` pictures a second of video. Raw on fd 3; JPEG encoding happens only when someone asks for one.
 */
export interface PreviewOptions {
  width: number;
  fps: number;
}

/** The name of the preview branch's showinfo instance: its stderr lines start `[showinfo@picture @ 0x…]`. */
export const PREVIEW_SHOWINFO = 'picture';

/** The preview's raw pixel format (what the JPEG encoder reads). */
export const PREVIEW_PIXEL_FORMAT = 'rgb24' satisfies PixelFormat;

/** The preview size of a `source` frame: the same expressions as previewFilter's scale, in TypeScript. */
export function previewSize(source: Size, width: number): Size {
  const w = Math.min(width, Math.max(2, Math.floor(source.width / 2) * 2));
  return { width: w, height: Math.max(2, Math.round((source.height * w) / source.width / 2) * 2) };
}

/**
 * Keeps one picture per 1/fps seconds of video and scales it. `select` only drops (the `fps` filter would duplicate
 * pictures to fill a pts jump); a pts going back (a looped file, a reconnect) starts the spacing again.
 */
export function previewFilter(preview: PreviewOptions, hwaccel?: HardwareDecoder): string {
  const period = (1 / preview.fps).toFixed(6);
  const select = `select='isnan(prev_selected_t)+gte(t-prev_selected_t,${period})+lt(t,prev_selected_t)'`;
  const width = `min(${preview.width},max(2,trunc(iw/2)*2))`;
  const height = 'max(2,round(ih*ow/iw/2)*2)';
  const scale =
    hwaccel === 'cuda'
      ? [`scale_cuda=w='${width}':h='${height}'`, 'hwdownload', 'format=nv12']
      : [`scale=w='${width}':h='${height}':flags=area`];
  // A named showinfo times each picture (its lines are told apart from the model frames' by the name).
  return [select, ...scale, `format=${PREVIEW_PIXEL_FORMAT}`, `showinfo@${PREVIEW_SHOWINFO}`].join(',');
}

/** Piped input: what our RTSP client depacketised (Annex-B H.264 access units, or whole MPEG-TS packets). */
export type PipeFormat = 'h264' | 'mpegts';

export type DecoderInput =
  | { kind: 'file'; path: string; loop: boolean; realtime: boolean }
  | { kind: 'pipe'; format: PipeFormat }
  | { kind: 'device'; device: V4l2Device };

export interface V4l2Device {
  /** /dev/videoN */
  path: string;
  /** FFmpeg v4l2 `-input_format`, e.g. h264, mjpeg, yuyv422. Default: the driver's choice. */
  inputFormat?: string;
  /** `-video_size`, e.g. 1920x1080. */
  videoSize?: string;
  /** `-framerate`. */
  framerate?: number;
}

// FFmpeg's own pixel format names happen to equal ours.
const FFMPEG_PIXEL_FORMAT: Record<PixelFormat, string> = Object.fromEntries(PIXEL_FORMATS.map((f) => [f, f])) as Record<
  PixelFormat,
  string
>;

/**
 * The letterbox transform as an FFmpeg filter chain. The expressions are `computeLetterbox` (contracts/geometry.ts)
 * written in FFmpeg's expression language, evaluated on the real input size (so no probing is needed before FFmpeg
 * starts); the integration tests check both agree pixel for pixel on odd sizes. Scaling and colour conversion
 * happen in one swscale pass because `format` forces the pad (and thus the scale output) to the target format.
 */
export function letterboxFilter(target: FrameFormat, hwaccel?: HardwareDecoder): string {
  const { width: W, height: H } = target;
  const fit = `min(${W}/iw,${H}/ih)`;
  const scaledWidth = `min(${W},max(2,round(iw*${fit}/2)*2))`;
  const scaledHeight = `min(${H},max(2,round(ih*${fit}/2)*2))`;
  // `area` averages the source pixels under each output pixel: alias-free for the large downscales we do (1080p to a
  // few hundred pixels) and cheaper than bicubic, whose kernel widens with the ratio. On NVDEC the GPU scales the
  // decoded surface (same size expressions) and the download is of the scaled frame only.
  const scale =
    hwaccel === 'cuda'
      ? [`scale_cuda=w='${scaledWidth}':h='${scaledHeight}'`, 'hwdownload', 'format=nv12']
      : [`scale=w='${scaledWidth}':h='${scaledHeight}':flags=area`];
  return [...scale, padAndConvert(target)].join(',');
}

/** Centres the scaled picture on the model's canvas (as computeLetterbox) and converts it to the model's format. */
function padAndConvert(target: FrameFormat): string {
  return [
    `pad=w=${target.width}:h=${target.height}:x='floor((ow-iw)/2)':y='floor((oh-ih)/2)':color=black`,
    `format=${FFMPEG_PIXEL_FORMAT[target.pixelFormat]}`,
  ].join(',');
}

/** Input options of a hardware decoder: NVDEC keeps decoded frames in GPU memory for `scale_cuda`. */
export function hwaccelArgs(hwaccel: HardwareDecoder): string[] {
  return ['-hwaccel', hwaccel, '-hwaccel_output_format', hwaccel];
}

/**
 * NVDEC for one input. A probed H.264 file: `h264_cuvid -resize` to the letterboxed content size (computeLetterbox),
 * so the decode engine hands over the small NV12 picture, then pad + convert on the CPU. Anything else — RTSP pipes,
 * whose size is not known before the stream starts, other codecs — FFmpeg's own decoder with the CUDA hwaccel,
 * frames kept on the GPU and scaled there by `scale_cuda` with the size expressions. Pipes must not use h264_cuvid
 * anyway: it reports no input byte position for its frames (FFmpeg's cuviddec sets pkt_pos to -1), and RTSP timing
 * pairs each decoded frame with its access unit by that position.
 */
export function nvdecDecode(target: FrameFormat, source?: KnownVideoStream): HardwareDecode {
  if (source?.codec === 'h264') {
    const { scaledWidth, scaledHeight } = computeLetterbox(source.size, target);
    return { inputArgs: ['-c:v', 'h264_cuvid', '-resize', `${scaledWidth}x${scaledHeight}`], filter: padAndConvert(target) };
  }
  return { inputArgs: hwaccelArgs('cuda'), filter: letterboxFilter(target, 'cuda') };
}

/** FFmpeg arguments (without the binary) for one decoder process. */
export function buildDecoderArgs(input: DecoderInput, output: FrameFormat, options: DecoderOptions = {}): string[] {
  // V4L2 devices mostly deliver raw or MJPEG frames, which NVDEC does not decode.
  const hwaccel = input.kind !== 'device' ? options.hwaccel : undefined;
  // The decode engine's own scaler (h264_cuvid -resize) hands over only the model-sized picture: no source picture
  // can be made from it, so a decoder asked for one keeps the frames on the GPU and scales them there instead.
  const decode: HardwareDecode = hwaccel
    ? nvdecDecode(output, input.kind === 'file' && !options.preview ? options.source : undefined)
    : { inputArgs: [], filter: letterboxFilter(output) };
  return [
    // `info` is needed for the input stream summary (source size) and showinfo, `verbose` for the scaler's input size
    // at each (re)configuration (a resolution change mid-stream); -nostats drops the progress line.
    ...['-hide_banner', '-nostats', '-loglevel', 'verbose'],
    ...decode.inputArgs,
    ...(!hwaccel && options.decodeThreads ? ['-threads', String(options.decodeThreads)] : []),
    ...inputArgs(input),
    // Passthrough: exactly one output frame per decoded frame (no duplication to a constant rate).
    ...['-vsync', '0'],
    // Video only; audio (AAC in the MP4s), subtitles and data are not decoded at all.
    ...(options.preview
      ? previewOutputs(decode.filter, options.preview, hwaccel)
      : ['-map', '0:v:0', '-an', '-sn', '-dn', '-vf', `${decode.filter},showinfo`, '-f', 'rawvideo', 'pipe:1']),
  ];
}

/** The model frames on stdout (with showinfo, as without a preview) and the preview pictures on fd 3. */
function previewOutputs(modelFilter: string, preview: PreviewOptions, hwaccel?: HardwareDecoder): string[] {
  const graph = [
    '[0:v:0]split=2[model][picture]',
    `[model]${modelFilter},showinfo[frames]`,
    `[picture]${previewFilter(preview, hwaccel)}[preview]`,
  ].join(';');
  return [
    '-filter_complex',
    graph,
    ...['-map', '[frames]', '-f', 'rawvideo', 'pipe:1'],
    ...['-map', '[preview]', '-f', 'rawvideo', 'pipe:3'],
  ];
}

/** What FFmpeg may parse for a file source: the MP4/MOV demuxer over the file protocol, nothing else. */
export const FILE_INPUT_RESTRICTIONS: readonly string[] = ['-protocol_whitelist', 'file', '-f', 'mov'];

function inputArgs(input: DecoderInput): string[] {
  switch (input.kind) {
    case 'file':
      return [
        '-nostdin',
        ...(input.realtime ? ['-re'] : []),
        ...(input.loop ? ['-stream_loop', '-1'] : []),
        // Untrusted files: only the MP4/MOV demuxer (no probing into HLS, concat or image2 lists that would open other
        // files) and only the file protocol; the `file:` prefix keeps a path from naming another protocol (http:, ...).
        ...FILE_INPUT_RESTRICTIONS,
        ...['-i', `file:${input.path}`],
      ];
    case 'pipe':
      // Small probe: the stream starts with parameter sets and a keyframe, so FFmpeg needs little to start.
      return ['-probesize', '500000', '-analyzeduration', '500000', '-f', input.format, '-i', 'pipe:0'];
    case 'device': {
      const { path, inputFormat, videoSize, framerate } = input.device;
      return [
        '-nostdin',
        ...['-f', 'v4l2'],
        ...(inputFormat ? ['-input_format', inputFormat] : []),
        ...(videoSize ? ['-video_size', videoSize] : []),
        ...(framerate ? ['-framerate', String(framerate)] : []),
        ...['-i', path],
      ];
    }
  }
}

/** Arguments that turn one raw frame on stdin into a JPEG on stdout (session snapshots). */
export function buildJpegArgs(frame: FrameFormat, quality = 5): string[] {
  return [
    ...['-hide_banner', '-nostats', '-loglevel', 'error'],
    ...['-f', 'rawvideo', '-pix_fmt', FFMPEG_PIXEL_FORMAT[frame.pixelFormat], '-s', `${frame.width}x${frame.height}`],
    ...['-i', 'pipe:0', '-frames:v', '1', '-q:v', String(quality), '-f', 'mjpeg', 'pipe:1'],
  ];
}
