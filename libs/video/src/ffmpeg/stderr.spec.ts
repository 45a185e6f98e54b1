import { describe, expect, it } from 'vitest';
import {
  InputSummaryParser,
  classifyFfmpegFailure,
  isDecodeErrorLine,
  isDiagnosticLine,
  parseInputVideoStream,
  parseScalerInputSize,
  parseShowinfoLine,
  parseShowinfoTimeBase,
} from './stderr.js';

describe('FFmpeg stderr', () => {
  it("reads the decoded size from the scaler's (re)configuration line, software or CUDA", () => {
    expect(
      parseScalerInputSize(
        '[Parsed_scale_0 @ 0x55f3f0955800] w:320 h:180 fmt:yuv420p sar:1/1 -> w:256 h:256 fmt:yuv420p sar:16/9 flags:0x0',
      ),
    ).toEqual({
      width: 320,
      height: 180,
    });
    expect(parseScalerInputSize('[Parsed_scale_cuda_0 @ 0x1] w:1920 h:1080 -> w:256 h:144')).toEqual({ width: 1920, height: 1080 });
    // The output side's own scaler (format conversion for the muxer) is not the source.
    expect(
      parseScalerInputSize('[scaler_out_0_0 @ 0x55f3f0954980] w:256 h:256 fmt:yuv420p sar:1/1 -> w:256 h:256 fmt:yuv420p'),
    ).toBeUndefined();
  });

  it('parses showinfo lines (pts and input byte position)', () => {
    const line =
      '[Parsed_showinfo_3 @ 0x2fe8dc00] n:   2 pts:  68000 pts_time:0.0566667 pos:    37483 fmt:rgb24 sar:1/1 s:256x256 i:P iskey:0 type:P checksum:ABC';
    expect(parseShowinfoLine(line)).toEqual({ n: 2, ptsTime: 0.0566667, pos: 37483 });
    expect(parseShowinfoLine('[Parsed_showinfo_3 @ 0x1] n:   0 pts:      0 pts_time:0       pos:       -1 fmt:rgb24')).toEqual({
      n: 0,
      ptsTime: 0,
      pos: undefined,
    });
    expect(parseShowinfoLine('[Parsed_showinfo_3 @ 0x1] color_range:tv color_space:unknown')).toBeUndefined();
    expect(parseShowinfoLine('frame=  10 fps=0.0 q=-0.0 size=')).toBeUndefined();
  });

  it('times frames by the integer pts and the time base, exact where pts_time has only 6 digits', () => {
    const timeBase = parseShowinfoTimeBase('[Parsed_showinfo_1 @ 0x32b2cf80] config in time_base: 1/12800, frame_rate: 100/1');
    expect(timeBase).toEqual({ num: 1, den: 12800 });
    expect(parseShowinfoTimeBase('[Parsed_showinfo_1 @ 0x32b2cf80] config out time_base: 0/0, frame_rate: 0/0')).toBeUndefined();
    // Frame 123456 of a 100 fps stream (20 min 34.56 s): pts_time prints 1234.56 -> fine; frame 1234567 prints
    // 12345.7, a tenth of a second (ten frames) off; the integer pts is exact.
    const frame = (n: number, printed: string) =>
      `[Parsed_showinfo_1 @ 0x1] n:${n} pts:${n * 128} pts_time:${printed} pos:-1 fmt:rgb24 sar:1/1 s:256x256 i:P iskey:0`;
    expect(parseShowinfoLine(frame(1234567, '12345.7'), timeBase)?.ptsTime).toBe(12345.67);
    expect(parseShowinfoLine(frame(1234568, '12345.7'), timeBase)?.ptsTime).toBe(12345.68);
    expect(parseShowinfoLine(frame(7, '0.07'), timeBase)?.ptsTime).toBe(0.07);
    // Without a time base line the printed pts_time is all there is.
    expect(parseShowinfoLine(frame(1234567, '12345.7'))?.ptsTime).toBe(12345.7);
  });

  it('takes the source size from the input summary, not the output one', () => {
    const parser = new InputSummaryParser();
    const lines = [
      "Input #0, mov,mp4,m4a,3gp,3g2,mj2, from 'file:/x.mp4':",
      '  Duration: 00:00:04.02, start: 0.000000, bitrate: 6521 kb/s',
      '    Stream #0:0(und): Video: h264 (Main) (avc1 / 0x31637661), yuv420p, 1920x1080 [SAR 1:1 DAR 16:9], 6469 kb/s, 60 fps',
      '    Stream #0:1(und): Audio: aac (LC) (mp4a / 0x6134706D), 48000 Hz, mono, fltp, 96 kb/s (default)',
      'Stream mapping:',
      '    Stream #0:0: Video: rawvideo (RGB[24] / 0x18424752), rgb24, 256x256 [SAR 1:1 DAR 1:1], q=2-31',
    ];
    const found = lines.map((l) => parser.push(l)).filter(Boolean);
    expect(found).toEqual([{ width: 1920, height: 1080 }]);
  });

  it('reads the size of a piped elementary stream', () => {
    const parser = new InputSummaryParser();
    parser.push("Input #0, h264, from 'pipe:0':");
    expect(parser.push('    Stream #0:0: Video: h264 (Main), yuv420p(progressive), 1280x720, 60 fps, 60 tbr, 1200k tbn')).toEqual({
      width: 1280,
      height: 720,
    });
  });

  it('reads the codec and size of a video stream line, and nothing from audio lines', () => {
    expect(
      parseInputVideoStream(
        '    Stream #0:0[0x1](und): Video: h264 (High) (avc1 / 0x31637661), yuv420p(progressive), 1000x750 [SAR 1:1 DAR 4:3], 60 fps',
      ),
    ).toEqual({ codec: 'h264', size: { width: 1000, height: 750 } });
    expect(parseInputVideoStream('  Stream #0:0(und): Video: hevc (Main) (hvc1 / 0x31637668), yuv420p(tv), 3840x2160, 25 fps')).toEqual({
      codec: 'hevc',
      size: { width: 3840, height: 2160 },
    });
    expect(parseInputVideoStream('    Stream #0:1(und): Audio: aac (LC) (mp4a / 0x6134706D), 48000 Hz, mono, fltp')).toBeUndefined();
  });

  it('classifies failures into stable codes', () => {
    expect(classifyFfmpegFailure(['file:/x.mp4: No such file or directory'])).toBe('SOURCE_NOT_FOUND');
    expect(classifyFfmpegFailure(['[mov,mp4 @ 0x1] moov atom not found', 'file:/x.mp4: Invalid data found when processing input'])).toBe(
      'SOURCE_CORRUPT',
    );
    expect(classifyFfmpegFailure(['[video4linux2,v4l2 @ 0x1] Cannot open video device /dev/video0: No such device'])).toBe(
      'SOURCE_NOT_FOUND',
    );
    expect(classifyFfmpegFailure(['Conversion failed!'])).toBe('DECODE_FAILED');
  });

  it('recognises damaged input that FFmpeg decodes around', () => {
    for (const line of [
      'file:/tmp/trunc.mp4: corrupt input packet in stream 0',
      'Error while decoding stream #0:0: Invalid data found when processing input',
      '[h264 @ 0x382fd5c0] Invalid NAL unit size (34252 > 13996).',
      '[h264 @ 0x1] error while decoding MB 45 30, bytestream -7',
      '[h264 @ 0x1] concealing 1200 DC, 1200 AC, 1200 MV errors in P frame',
    ]) {
      expect(isDecodeErrorLine(line), line).toBe(true);
    }
    expect(isDecodeErrorLine('file:/x.mp4: Invalid data found when processing input')).toBe(false); // cannot open: fatal instead
    expect(isDecodeErrorLine('[h264 @ 0x1] non-existing PPS 0 referenced')).toBe(false); // joining mid-stream
  });

  it('keeps diagnostics, not per-frame noise', () => {
    expect(isDiagnosticLine('[h264 @ 0x1] error while decoding MB 10 20')).toBe(true);
    expect(isDiagnosticLine('[Parsed_showinfo_3 @ 0x1] n: 1 pts: 1')).toBe(false);
    expect(isDiagnosticLine('    Metadata:')).toBe(false);
    expect(isDiagnosticLine('')).toBe(false);
  });
});
