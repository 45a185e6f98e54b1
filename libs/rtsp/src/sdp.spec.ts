import { describe, expect, it } from 'vitest';
import { parseSdp, parseSpropParameterSets, resolveControlUrl } from './sdp.js';

/** Captured from GStreamer 1.22's RTSP server (libs/local-infra/assets/rtsp-server.py, /h264 mount). */
const GSTREAMER_H264 = `v=0
o=- 12944783826525367996 1 IN IP4 127.0.0.1
s=Session streamed with GStreamer
i=rtsp-server
t=0 0
a=tool:GStreamer
a=type:broadcast
a=control:*
a=range:npt=0-
m=video 0 RTP/AVP 96
c=IN IP4 0.0.0.0
b=AS:28164
a=rtpmap:96 H264/90000
a=framerate:60
a=fmtp:96 packetization-mode=1;sprop-parameter-sets=Z0LAKtoB4AiflwEQAAADABAAAAeA8YMq,aM4PyA==;profile-level-id=42c02a;level-asymmetry-allowed=1
a=control:stream=0
a=ts-refclk:local
a=mediaclk:sender
a=ssrc:1365887090 cname:user1046452096@host-20d4c433
`.replace(/\n/g, '\r\n');

/** Same server, /ts mount: static payload type 33. */
const GSTREAMER_MP2T = `v=0
o=- 3684971467307490571 1 IN IP4 127.0.0.1
s=Session streamed with GStreamer
t=0 0
a=control:*
m=video 0 RTP/AVP 33
c=IN IP4 0.0.0.0
a=rtpmap:33 MP2T/90000
a=control:stream=0
`;

/** Typical Hikvision IP camera: absolute control URLs, video + audio, session-level absolute control. */
const HIKVISION = `v=0
o=- 1109162014219182 1109162014219182 IN IP4 0.0.0.0
s=HIK Media Server V3.0.2
i=HIK Media Server Session Description : standard
e=NONE
c=IN IP4 0.0.0.0
t=0 0
a=control:*
b=AS:4096
a=range:npt=now-
m=video 0 RTP/AVP 96
i=Video Media
a=rtpmap:96 H264/90000
a=fmtp:96 profile-level-id=4D0014;packetization-mode=0;sprop-parameter-sets=Z00AKpWoHgCJ+WEAAAMD6AAAw1CE,aO48gA==
a=control:rtsp://192.168.1.64:554/Streaming/Channels/101/trackID=1?transportmode=unicast
m=audio 0 RTP/AVP 0
i=Audio Media
a=rtpmap:0 PCMU/8000
a=control:rtsp://192.168.1.64:554/Streaming/Channels/101/trackID=2?transportmode=unicast
a=Media_header:MEDIAINFO=494D4B48010100000400010010710110401F000000FA000000000000000000000000000000000000;
`;

/** live555-style (e.g. Axis/Bosch firmwares): relative track controls, audio first, no session control. */
const LIVE555 = `v=0
o=- 1586893412736981 1 IN IP4 10.0.0.5
s=Session streamed by "testOnDemandRTSPServer"
t=0 0
a=tool:LIVE555 Streaming Media v2020.01.11
a=type:broadcast
a=range:npt=0-
m=audio 0 RTP/AVP 97
a=rtpmap:97 MPEG4-GENERIC/48000/2
a=fmtp:97 streamtype=5;profile-level-id=1;mode=AAC-hbr;sizelength=13;indexlength=3;indexdeltalength=3;config=1190
a=control:track1
m=video 0 RTP/AVP 98
a=rtpmap:98 h264/90000
a=fmtp:98 packetization-mode=1; profile-level-id=640028; sprop-parameter-sets=Z2QAKKzZQHgCJ+XARAAAAwAEAAADAPA8YMZY,aOvjyyLA
a=control:track2
`;

describe('parseSdp', () => {
  it("parses GStreamer's H.264 description: rtpmap, fmtp, controls", () => {
    const sdp = parseSdp(GSTREAMER_H264);
    expect(sdp.sessionName).toBe('Session streamed with GStreamer');
    expect(sdp.control).toBe('*');
    expect(sdp.attributes['range']).toBe('npt=0-');
    expect(sdp.media).toHaveLength(1);
    const [video] = sdp.media;
    expect(video).toMatchObject({ type: 'video', port: 0, protocol: 'RTP/AVP', control: 'stream=0' });
    expect(video!.attributes['framerate']).toBe('60');
    expect(video!.formats).toEqual([
      {
        payloadType: 96,
        encodingName: 'H264',
        clockRate: 90000,
        parameters: {
          'packetization-mode': '1',
          'sprop-parameter-sets': 'Z0LAKtoB4AiflwEQAAADABAAAAeA8YMq,aM4PyA==',
          'profile-level-id': '42c02a',
          'level-asymmetry-allowed': '1',
        },
      },
    ]);
  });

  it('knows static payload type 33 (MP2T) with or without rtpmap', () => {
    expect(parseSdp(GSTREAMER_MP2T).media[0]!.formats[0]).toMatchObject({ payloadType: 33, encodingName: 'MP2T', clockRate: 90000 });
    const bare = parseSdp('v=0\nm=video 0 RTP/AVP 33\na=control:trackID=0\n');
    expect(bare.media[0]!.formats[0]).toMatchObject({ encodingName: 'MP2T', clockRate: 90000 });
  });

  it('parses a camera SDP with video and audio and absolute controls', () => {
    const sdp = parseSdp(HIKVISION);
    expect(sdp.media.map((m) => [m.type, m.formats[0]!.encodingName, m.formats[0]!.clockRate])).toEqual([
      ['video', 'H264', 90000],
      ['audio', 'PCMU', 8000],
    ]);
    expect(sdp.media[0]!.formats[0]!.parameters['packetization-mode']).toBe('0');
    expect(sdp.media[0]!.control).toBe('rtsp://192.168.1.64:554/Streaming/Channels/101/trackID=1?transportmode=unicast');
  });

  it('normalises encoding names and fmtp keys, and tolerates spaces after ";"', () => {
    const sdp = parseSdp(LIVE555);
    const video = sdp.media.find((m) => m.type === 'video')!;
    expect(video.formats[0]).toMatchObject({ payloadType: 98, encodingName: 'H264' });
    expect(video.formats[0]!.parameters['profile-level-id']).toBe('640028');
    expect(sdp.media[0]!.formats[0]).toMatchObject({ encodingName: 'MPEG4-GENERIC', clockRate: 48000, channels: 2 });
    expect(sdp.control).toBeUndefined();
  });
});

describe('parseSpropParameterSets', () => {
  it('decodes SPS and PPS NAL units', () => {
    const [sps, pps] = parseSpropParameterSets('Z0LAKtoB4AiflwEQAAADABAAAAeA8YMq,aM4PyA==');
    expect(sps![0]! & 0x1f).toBe(7);
    expect(pps![0]! & 0x1f).toBe(8);
    expect(parseSpropParameterSets(undefined)).toEqual([]);
  });
});

describe('resolveControlUrl', () => {
  it('appends relative controls to the base (Content-Base with or without trailing slash)', () => {
    expect(resolveControlUrl('stream=0', 'rtsp://h:8554/h264/')).toBe('rtsp://h:8554/h264/stream=0');
    expect(resolveControlUrl('trackID=1', 'rtsp://h/live.sdp')).toBe('rtsp://h/live.sdp/trackID=1');
  });

  it('keeps absolute controls and maps "*" or nothing to the base', () => {
    expect(resolveControlUrl('rtsp://cam/Streaming/101/trackID=1', 'rtsp://h/x/')).toBe('rtsp://cam/Streaming/101/trackID=1');
    expect(resolveControlUrl('*', 'rtsp://h/x/')).toBe('rtsp://h/x/');
    expect(resolveControlUrl(undefined, 'rtsp://h/x')).toBe('rtsp://h/x');
  });
});
