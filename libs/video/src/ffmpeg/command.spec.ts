import { describe, expect, it } from 'vitest';
import { buildDecoderArgs, buildJpegArgs, letterboxFilter, previewFilter, previewSize } from './command.js';

const FRAME = { width: 256, height: 256, pixelFormat: 'rgb24' } as const;

/** The value following `flag` in an argument list. */
const valueOf = (args: string[], flag: string) => args[args.indexOf(flag) + 1];

describe('FFmpeg decoder command', () => {
  it('reads a V4L2 capture device with its options, before -i', () => {
    const args = buildDecoderArgs(
      { kind: 'device', device: { path: '/dev/video2', inputFormat: 'h264', videoSize: '1920x1080', framerate: 60 } },
      FRAME,
    );
    const input = args.slice(0, args.indexOf('-i') + 2);
    expect(input).toEqual([
      ...['-hide_banner', '-nostats', '-loglevel', 'verbose', '-nostdin'],
      ...['-f', 'v4l2', '-input_format', 'h264', '-video_size', '1920x1080', '-framerate', '60', '-i', '/dev/video2'],
    ]);
  });

  it('leaves unset device options to the driver', () => {
    const args = buildDecoderArgs({ kind: 'device', device: { path: '/dev/video0' } }, FRAME);
    expect(args).not.toContain('-input_format');
    expect(args).not.toContain('-video_size');
    expect(args).not.toContain('-framerate');
    expect(valueOf(args, '-f')).toBe('v4l2');
  });

  it('decodes H.264 of known size on NVDEC scaled by the decode engine to the letterboxed content size', () => {
    const source = { codec: 'h264', size: { width: 1920, height: 1080 } };
    const file = buildDecoderArgs({ kind: 'file', path: '/media/a.mp4', loop: false, realtime: true }, FRAME, { hwaccel: 'cuda', source });
    // computeLetterbox(1920x1080 → 256x256) = 256x144: only that picture leaves the GPU, in NV12.
    expect(file.slice(file.indexOf('-c:v'), file.indexOf('-c:v') + 4)).toEqual(['-c:v', 'h264_cuvid', '-resize', '256x144']);
    expect(file.indexOf('-c:v')).toBeLessThan(file.indexOf('-i'));
    expect(file).not.toContain('-hwaccel');
    // No scaler on the CPU: the small frame is padded and converted only.
    expect(valueOf(file, '-vf')).toBe("pad=w=256:h=256:x='floor((ow-iw)/2)':y='floor((oh-ih)/2)':color=black,format=rgb24,showinfo");
    // Odd sizes follow computeLetterbox's even rounding: 1000x750 → 256x192.
    const odd = buildDecoderArgs({ kind: 'file', path: '/media/b.mp4', loop: false, realtime: false }, FRAME, {
      hwaccel: 'cuda',
      source: { codec: 'h264', size: { width: 1000, height: 750 } },
    });
    expect(valueOf(odd, '-resize')).toBe('256x192');
  });

  it('decodes RTSP pipes, unprobed files and other codecs with the CUDA hwaccel and scale_cuda, never h264_cuvid', () => {
    const source = { codec: 'h264', size: { width: 1920, height: 1080 } };
    const hevc = buildDecoderArgs({ kind: 'file', path: '/media/c.mp4', loop: false, realtime: false }, FRAME, {
      hwaccel: 'cuda',
      source: { codec: 'hevc', size: { width: 1920, height: 1080 } },
    });
    const unprobed = buildDecoderArgs({ kind: 'file', path: '/media/d.mp4', loop: false, realtime: false }, FRAME, { hwaccel: 'cuda' });
    // h264_cuvid reports no input byte position per frame, which RTSP timing needs: pipes never get it, size known or not.
    const h264Pipe = buildDecoderArgs({ kind: 'pipe', format: 'h264' }, FRAME, { hwaccel: 'cuda', source });
    const ts = buildDecoderArgs({ kind: 'pipe', format: 'mpegts' }, FRAME, { hwaccel: 'cuda' });
    for (const args of [hevc, unprobed, h264Pipe, ts]) {
      expect(args).not.toContain('h264_cuvid');
      expect(valueOf(args, '-hwaccel')).toBe('cuda');
      expect(args.indexOf('-hwaccel')).toBeLessThan(args.indexOf('-i'));
      expect(valueOf(args, '-hwaccel_output_format')).toBe('cuda');
      expect(valueOf(args, '-vf')).toMatch(
        /^scale_cuda=w='[^']+':h='[^']+',hwdownload,format=nv12,pad=w=256:h=256:.*,format=rgb24,showinfo$/,
      );
    }
  });

  it('keeps NVDEC frames on the GPU for a decoder that also makes source pictures (h264_cuvid -resize would leave none)', () => {
    const source = { codec: 'h264', size: { width: 1920, height: 1080 } };
    const args = buildDecoderArgs({ kind: 'file', path: '/media/a.mp4', loop: false, realtime: true }, FRAME, {
      hwaccel: 'cuda',
      source,
      preview: { width: 960, fps: 4 },
    });
    expect(args).not.toContain('h264_cuvid');
    expect(valueOf(args, '-hwaccel_output_format')).toBe('cuda');
    const graph = valueOf(args, '-filter_complex')!;
    expect(graph).toMatch(/\[model\]scale_cuda=.*,hwdownload,format=nv12,pad=.*,showinfo\[frames\]/);
    expect(graph).toMatch(/\[picture\]select=.*,scale_cuda=.*,hwdownload,format=nv12,format=rgb24,showinfo@picture\[preview\]/);
  });

  it('decodes in software without the setting, and devices always', () => {
    const source = { codec: 'h264', size: { width: 1920, height: 1080 } };
    const device = buildDecoderArgs({ kind: 'device', device: { path: '/dev/video0' } }, FRAME, { hwaccel: 'cuda', source });
    const plain = buildDecoderArgs({ kind: 'file', path: '/media/a.mp4', loop: false, realtime: false }, FRAME, { source });
    for (const args of [device, plain]) {
      expect(args).not.toContain('-hwaccel');
      expect(args).not.toContain('-c:v');
      expect(valueOf(args, '-vf')).toMatch(/^scale=.*flags=area,pad=/);
    }
  });

  it("limits the software decoder to the configured threads before -i, and leaves FFmpeg's default otherwise", () => {
    const file = buildDecoderArgs({ kind: 'file', path: '/media/a.mp4', loop: false, realtime: true }, FRAME, { decodeThreads: 1 });
    expect(valueOf(file, '-threads')).toBe('1');
    // Before -i it is the decoder's option; after it, it would set the encoder's.
    expect(file.indexOf('-threads')).toBeLessThan(file.indexOf('-i'));
    const pipe = buildDecoderArgs({ kind: 'pipe', format: 'h264' }, FRAME, { decodeThreads: 3 });
    expect(valueOf(pipe, '-threads')).toBe('3');
    expect(pipe.indexOf('-threads')).toBeLessThan(pipe.indexOf('-i'));
    expect(buildDecoderArgs({ kind: 'pipe', format: 'h264' }, FRAME)).not.toContain('-threads');
    expect(buildDecoderArgs({ kind: 'pipe', format: 'h264' }, FRAME, { decodeThreads: 0 })).not.toContain('-threads');
    // NVDEC decodes on the GPU: the CPU thread count is not its business.
    expect(buildDecoderArgs({ kind: 'pipe', format: 'h264' }, FRAME, { hwaccel: 'cuda', decodeThreads: 1 })).not.toContain('-threads');
  });

  it('paces and loops a file only when asked, through the file: protocol', () => {
    const paced = buildDecoderArgs({ kind: 'file', path: '/media/a.mp4', loop: true, realtime: true }, FRAME);
    expect(paced).toContain('-re');
    expect(valueOf(paced, '-stream_loop')).toBe('-1');
    expect(valueOf(paced, '-i')).toBe('file:/media/a.mp4');
    const fast = buildDecoderArgs({ kind: 'file', path: '/media/http:x.mp4', loop: false, realtime: false }, FRAME);
    expect(fast).not.toContain('-re');
    expect(fast).not.toContain('-stream_loop');
    expect(valueOf(fast, '-i')).toBe('file:/media/http:x.mp4');
  });

  it('lets FFmpeg parse a file only as MP4/MOV over the file protocol, both before -i', () => {
    const args = buildDecoderArgs({ kind: 'file', path: '/media/a.mp4', loop: false, realtime: false }, FRAME);
    expect(valueOf(args, '-protocol_whitelist')).toBe('file');
    expect(valueOf(args, '-f')).toBe('mov');
    expect(args.indexOf('-protocol_whitelist')).toBeLessThan(args.indexOf('-i'));
    expect(args.indexOf('-f')).toBeLessThan(args.indexOf('-i'));
  });

  it('reads piped H.264 or MPEG-TS from stdin', () => {
    for (const format of ['h264', 'mpegts'] as const) {
      const args = buildDecoderArgs({ kind: 'pipe', format }, FRAME);
      expect(args.slice(args.indexOf('-i') - 2, args.indexOf('-i') + 2)).toEqual(['-f', format, '-i', 'pipe:0']);
    }
  });

  it('writes letterboxed raw frames of the model format to stdout, video only, one per decoded frame', () => {
    const args = buildDecoderArgs({ kind: 'pipe', format: 'h264' }, { width: 640, height: 480, pixelFormat: 'bgr24' });
    expect(args.slice(-3)).toEqual(['-f', 'rawvideo', 'pipe:1']);
    expect(args).toEqual(expect.arrayContaining(['-an', '-sn', '-dn']));
    expect(valueOf(args, '-map')).toBe('0:v:0');
    expect(valueOf(args, '-vsync')).toBe('0');
    expect(valueOf(args, '-vf')).toBe(`${letterboxFilter({ width: 640, height: 480, pixelFormat: 'bgr24' })},showinfo`);
  });

  it('adds the source picture as a second raw output on fd 3, the model frames keeping their filters and showinfo', () => {
    const args = buildDecoderArgs({ kind: 'pipe', format: 'h264' }, FRAME, { preview: { width: 960, fps: 4 } });
    expect(args).not.toContain('-vf');
    expect(args).not.toContain('0:v:0');
    expect(valueOf(args, '-filter_complex')).toBe(
      `[0:v:0]split=2[model][picture];[model]${letterboxFilter(FRAME)},showinfo[frames];[picture]${previewFilter({ width: 960, fps: 4 })}[preview]`,
    );
    expect(args.slice(-10)).toEqual(['-map', '[frames]', '-f', 'rawvideo', 'pipe:1', '-map', '[preview]', '-f', 'rawvideo', 'pipe:3']);
    expect(valueOf(args, '-vsync')).toBe('0');
  });

  it('keeps one source picture per 1/fps of video (dropping only, restarting when pts goes back) and scales it to the preview width', () => {
    expect(previewFilter({ width: 960, fps: 4 })).toBe(
      "select='isnan(prev_selected_t)+gte(t-prev_selected_t,0.250000)+lt(t,prev_selected_t)'," +
        "scale=w='min(960,max(2,trunc(iw/2)*2))':h='max(2,round(ih*ow/iw/2)*2)':flags=area,format=rgb24,showinfo@picture",
    );
    expect(previewFilter({ width: 640, fps: 2 }, 'cuda')).toMatch(
      /^select='[^']+',scale_cuda=w='min\(640,[^']+':h='[^']+',hwdownload,format=nv12,format=rgb24,showinfo@picture$/,
    );
  });

  it('sizes the source picture like the scale expressions: at most the preview width, even, the source aspect ratio', () => {
    expect(previewSize({ width: 1920, height: 1080 }, 960)).toEqual({ width: 960, height: 540 });
    expect(previewSize({ width: 640, height: 360 }, 960)).toEqual({ width: 640, height: 360 });
    expect(previewSize({ width: 1281, height: 721 }, 960)).toEqual({ width: 960, height: 540 });
    expect(previewSize({ width: 1080, height: 1920 }, 960)).toEqual({ width: 960, height: 1706 });
    expect(previewSize({ width: 333, height: 101 }, 960)).toEqual({ width: 332, height: 100 });
  });

  it('expresses computeLetterbox in the scale and pad filters', () => {
    expect(letterboxFilter({ width: 320, height: 192, pixelFormat: 'gray' })).toBe(
      "scale=w='min(320,max(2,round(iw*min(320/iw,192/ih)/2)*2))':h='min(192,max(2,round(ih*min(320/iw,192/ih)/2)*2))':flags=area," +
        "pad=w=320:h=192:x='floor((ow-iw)/2)':y='floor((oh-ih)/2)':color=black,format=gray",
    );
  });
});

describe('JPEG snapshot command', () => {
  it('encodes one raw frame from stdin', () => {
    const args = buildJpegArgs(FRAME);
    expect(args).toEqual(expect.arrayContaining(['-f', 'rawvideo', '-pix_fmt', 'rgb24', '-s', '256x256', '-i', 'pipe:0']));
    expect(args.slice(-2)).toEqual(['mjpeg', 'pipe:1']);
  });
});
