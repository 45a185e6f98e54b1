#!/usr/bin/python3
"""A real RTSP server for integration tests: GStreamer's GstRtspServer serving one MP4 (H.264) file, looping.

Mounts:
  /h264  RTP H.264 (RFC 6184), payload type 96, SPS/PPS in-band every second
  /ts    RTP MP2T (RFC 2250), payload type 33, H.264 in MPEG-TS

The H.264 is never transcoded: qtdemux ! h264parse only converts avcC to Annex-B, so 1080p60 is served in real time.
Each client gets its own pipeline from the start of the file; the file loops through non-flushing seeks, so RTP
timestamps keep increasing across loops like a live camera.

With --live instead of --file it behaves like a camera: one encoder (videotestsrc is-live ! x264enc, a keyframe per
second) runs from start-up whether or not anyone watches, and every client's media is fed from it through an
`appsrc is-live=true do-timestamp=true`, so clients join mid-stream and wait for the next keyframe. On /ts the
live mpegtsmux stamps packets 0.4-1 s before it sends them (measured: sender-report clock vs arrival), like a
camera's muxer.

Live camera variants (what real cameras send):
  /h264-sdp      parameter sets only in the SDP (sprop-parameter-sets): SPS/PPS are stripped from the stream and the
                 payloader inserts none (config-interval=0)
  --bframes N    High profile with N B-frames: access units are sent in decode order with pts != dts (the RTP
                 timestamps are presentation times, so they go back and forth)
  --restart-every S   every S seconds the camera's encoder pipeline is torn down and rebuilt (a new IDR, new
                 parameter sets) and each client's payloader is restarted under its connected client: a new SSRC,
                 new random RTP timestamp and sequence bases
  --sizes WxH,WxH     with --restart-every: the next size at each rebuild, without restarting the payloaders (a
                 resolution change mid-stream: new SPS/PPS, same RTP stream)

Usage: rtsp-server.py (--file clip.mp4 | --live [--size WxH --fps N]) --port 8554
       [--auth none|basic|digest --username u] [--session-timeout s]
The password comes from the RTSP_SERVER_PASSWORD environment variable (never argv: argv is visible in ps).
Prints "RTSP server ready on port N" once it accepts connections.
"""
import argparse
import os
import signal
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtsp", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtsp, GstRtspServer  # noqa: E402

MEDIA_ROLE = "sightline-test"
LIVE_CAMERA = (
    "videotestsrc is-live=true pattern=ball ! video/x-raw,width={width},height={height},framerate={fps}/1"
    " ! x264enc tune=zerolatency sliced-threads=false speed-preset=ultrafast bitrate=400 key-int-max={fps} bframes=0"
    " ! video/x-h264,profile=baseline,stream-format=byte-stream,alignment=au ! appsink name=camera emit-signals=true"
    " sync=false max-buffers=64 drop=true"
)
# B-frames need x264's lookahead (zerolatency forbids them); a short one keeps the camera's own delay small.
LIVE_CAMERA_BFRAMES = (
    "videotestsrc is-live=true pattern=ball ! video/x-raw,width={width},height={height},framerate={fps}/1"
    " ! x264enc sliced-threads=false speed-preset=ultrafast rc-lookahead=4 bitrate=400 key-int-max={fps}"
    " bframes={bframes} b-adapt=false"
    " ! video/x-h264,profile=high,stream-format=byte-stream,alignment=au ! appsink name=camera emit-signals=true"
    " sync=false max-buffers=64 drop=true"
)
# With B-frames the feed is stamped here (dts = running time, pts = dts + the encoder's reordering offset): the
# appsrc's own do-timestamp would make pts = dts.
LIVE_FEED = (
    'appsrc name=feed is-live=true do-timestamp={do_timestamp} format=time'
    ' caps="video/x-h264,stream-format=byte-stream,alignment=au"'
    " ! h264parse config-interval=-1"
)
# Parameter sets only in the SDP: length-prefixed units without SPS/PPS, which only the caps' codec_data (set per
# client) carries; the payloader puts them in sprop-parameter-sets and, with config-interval=0, nowhere else.
LIVE_FEED_SDP_ONLY = "appsrc name=feed is-live=true do-timestamp=true format=time"
LIVE_LAUNCH_LINES = {
    "/h264": LIVE_FEED + " ! rtph264pay name=pay0 pt=96 config-interval=-1",
    "/ts": LIVE_FEED + " ! mpegtsmux alignment=7 ! rtpmp2tpay name=pay0 pt=33",
    "/h264-sdp": LIVE_FEED_SDP_ONLY + " ! rtph264pay name=pay0 pt=96 config-interval=0",
}
DEMUX = "filesrc location={file} ! qtdemux name=demux demux.video_0 ! queue name=loop ! h264parse"
LAUNCH_LINES = {
    "/h264": DEMUX + " ! rtph264pay name=pay0 pt=96 config-interval=1",
    # MPEG-TS has no out-of-band parameter sets: h264parse repeats SPS/PPS in front of every IDR.
    "/ts": DEMUX + " config-interval=-1 ! mpegtsmux alignment=7 ! rtpmp2tpay name=pay0 pt=33",
}


def loop_media(_factory, media):
    """Plays the file in a loop without downstream ever noticing: at qtdemux's EOS, a flushing seek back to the start
    whose EOS and flush events are dropped before the queue, and a pad offset that shifts the new pass to where the
    last one ended in running time. RTP timestamps thus keep increasing as from a live camera. (Seeking the whole
    media instead races with PLAY: rtsp-media 1.22 aborts in gst_rtsp_media_get_rates when PLAY arrives while a
    flushed stream has no segment yet.)"""
    element = media.get_element()
    demux = element.get_by_name("demux")
    queue_sink = element.get_by_name("loop").get_static_pad("sink")
    state = {"segment": None, "end": 0, "restarting": False}

    def restart():
        queue_sink.get_peer().set_offset(state["running_end"])
        demux.seek_simple(Gst.Format.TIME, Gst.SeekFlags.FLUSH, 0)
        return GLib.SOURCE_REMOVE

    def on_data(_pad, info):
        if info.type & Gst.PadProbeType.BUFFER:
            buffer = info.get_buffer()
            if buffer.pts != Gst.CLOCK_TIME_NONE:
                duration = 0 if buffer.duration == Gst.CLOCK_TIME_NONE else buffer.duration
                state["end"] = max(state["end"], buffer.pts + duration)
            return Gst.PadProbeReturn.OK
        event = info.get_event()
        if event.type == Gst.EventType.SEGMENT:
            state["segment"] = event.parse_segment()
            state["restarting"] = False
        elif event.type in (Gst.EventType.FLUSH_START, Gst.EventType.FLUSH_STOP) and state["restarting"]:
            return Gst.PadProbeReturn.DROP
        elif event.type == Gst.EventType.EOS:
            state["running_end"] = state["segment"].to_running_time(Gst.Format.TIME, state["end"])
            state["end"] = 0
            state["restarting"] = True
            GLib.idle_add(restart)  # seeking from this streaming thread would deadlock
            return Gst.PadProbeReturn.DROP
        return Gst.PadProbeReturn.OK

    mask = Gst.PadProbeType.BUFFER | Gst.PadProbeType.EVENT_DOWNSTREAM | Gst.PadProbeType.EVENT_FLUSH
    queue_sink.add_probe(mask, on_data)


def nal_units(data):
    """The NAL units of an Annex-B access unit. A unit never ends in a zero byte (its RBSP trailing bits), so the
    zeros left before a start code belong to that start code."""
    return [unit.rstrip(b"\0") for unit in data.split(b"\0\0\1") if unit.rstrip(b"\0")]


class LiveCamera:
    """The camera's encoder, running from start-up; each client's appsrc gets its access units from the moment it
    is configured (mid-GOP: the client waits for the next keyframe). With restart_every it is torn down and rebuilt
    periodically (cycling through sizes; restarting the clients' payloaders too unless sizes change)."""

    def __init__(self, sizes, fps, bframes=0, restart_every=0):
        self.sizes, self.fps, self.bframes = sizes, fps, bframes
        self.feeds = {}  # appsrc -> (media, parameter sets only in the SDP)
        self.offsets = {}  # appsrc -> its running time minus the encoder's (B-frames: stamped here)
        self.parameter_sets = {}  # NAL type (7 SPS, 8 PPS) -> the latest unit
        self.rebuilds = 0
        self.pipeline = None
        self.build()
        if restart_every:
            GLib.timeout_add(int(restart_every * 1000), self.restart)

    def build(self):
        width, height = self.sizes[self.rebuilds % len(self.sizes)]
        template = LIVE_CAMERA_BFRAMES if self.bframes else LIVE_CAMERA
        self.pipeline = Gst.parse_launch(template.format(width=width, height=height, fps=self.fps, bframes=self.bframes))
        self.pipeline.get_by_name("camera").connect("new-sample", self.on_sample)
        self.pipeline.set_state(Gst.State.PLAYING)

    def restart(self):
        old, self.pipeline = self.pipeline, None
        old.set_state(Gst.State.NULL)
        self.rebuilds += 1
        self.parameter_sets = {}
        self.offsets = {}
        if len(self.sizes) == 1:
            # The payloader goes through READY again: a new random SSRC, timestamp and sequence base.
            for media, _sdp_only in list(self.feeds.values()):
                element = media.get_element()
                element.set_state(Gst.State.NULL)
                # The RTP session suggests its SSRC to the payloader: a new one there makes a new sender.
                media.get_stream(0).get_rtpsession().set_property("internal-ssrc", GLib.random_int())
                element.sync_state_with_parent()
        self.build()
        print("camera rebuilt (%d)" % self.rebuilds, flush=True)
        return GLib.SOURCE_CONTINUE

    def on_sample(self, sink):
        sample = sink.emit("pull-sample")
        buffer = sample.get_buffer()
        data = buffer.extract_dup(0, buffer.get_size())
        units = nal_units(data)
        for unit in units:
            if unit[0] & 0x1F in (7, 8):
                self.parameter_sets[unit[0] & 0x1F] = unit
        for feed, (_media, sdp_only) in list(self.feeds.items()):
            # A fresh buffer per client: do-timestamp stamps it with that client's running time.
            if sdp_only:
                payload = b"".join(len(u).to_bytes(4, "big") + u for u in units if u[0] & 0x1F not in (7, 8, 9))
                if not payload:
                    continue
                out = Gst.Buffer.new_wrapped(payload)
            else:
                out = Gst.Buffer.new_wrapped(data)
            if self.bframes:
                # The encoder's own timeline moved by a constant to the client's running time (from its first
                # buffer after each rebuild): stamping on arrival would jitter pts out of presentation order.
                clock = feed.get_clock()
                if clock is None:
                    continue  # not playing yet: the client waits for a keyframe anyway
                if self.offsets.get(feed) is None:
                    self.offsets[feed] = clock.get_time() - feed.get_base_time() - buffer.dts
                out.dts = buffer.dts + self.offsets[feed]
                out.pts = buffer.pts + self.offsets[feed]
            feed.emit("push-buffer", out)
        return Gst.FlowReturn.OK

    def avc_caps(self):
        """Caps with the camera's current parameter sets as codec_data (avcC), waiting for them if need be."""
        context = GLib.MainContext.default()
        while not (7 in self.parameter_sets and 8 in self.parameter_sets):
            context.iteration(True)
        sps, pps = self.parameter_sets[7], self.parameter_sets[8]
        avcc = bytes([1, sps[1], sps[2], sps[3], 0xFF, 0xE1]) + len(sps).to_bytes(2, "big") + sps
        avcc += bytes([1]) + len(pps).to_bytes(2, "big") + pps
        return Gst.Caps.from_string(
            "video/x-h264,stream-format=avc,alignment=au,codec_data=(buffer)%s" % avcc.hex())

    def attach(self, _factory, media, sdp_only=False):
        feed = media.get_element().get_by_name("feed")
        if sdp_only:
            feed.set_property("caps", self.avc_caps())
        self.feeds[feed] = (media, sdp_only)
        media.connect("unprepared", lambda _media: (self.feeds.pop(feed, None), self.offsets.pop(feed, None)))


def make_auth(kind, username, password):
    token = GstRtspServer.RTSPToken()
    token.set_string(GstRtspServer.RTSP_TOKEN_MEDIA_FACTORY_ROLE, MEDIA_ROLE)
    auth = GstRtspServer.RTSPAuth()
    if kind == "basic":
        auth.set_supported_methods(GstRtsp.RTSPAuthMethod.BASIC)
        auth.add_basic(GstRtspServer.RTSPAuth.make_basic(username, password), token)
    else:
        auth.set_supported_methods(GstRtsp.RTSPAuthMethod.DIGEST)
        auth.add_digest(username, password, token)
    return auth


def make_factory(launch, with_auth, configure):
    factory = GstRtspServer.RTSPMediaFactory()
    factory.set_launch("( " + launch + " )")
    factory.connect("media-configure", configure)
    factory.set_protocols(GstRtsp.RTSPLowerTrans.TCP)
    if with_auth:
        permissions = GstRtspServer.RTSPPermissions()
        permissions.add_permission_for_role(MEDIA_ROLE, GstRtspServer.RTSP_PERM_MEDIA_FACTORY_ACCESS, True)
        permissions.add_permission_for_role(MEDIA_ROLE, GstRtspServer.RTSP_PERM_MEDIA_FACTORY_CONSTRUCT, True)
        factory.set_permissions(permissions)
    return factory


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--file")
    source.add_argument("--live", action="store_true")
    parser.add_argument("--size", default="320x180")
    parser.add_argument("--fps", type=int, default=30)
    parser.add_argument("--bframes", type=int, default=0)
    parser.add_argument("--restart-every", type=float, default=0, help="seconds; 0 = never")
    parser.add_argument("--sizes", default="", help="WxH,WxH: sizes cycled at each restart (default: --size)")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--auth", choices=["none", "basic", "digest"], default="none")
    parser.add_argument("--username", default="")
    parser.add_argument("--session-timeout", type=int, default=0, help="seconds; 0 = GStreamer's default (60)")
    args = parser.parse_args()
    if args.file and not os.path.isfile(args.file):
        sys.exit("no such file: " + args.file)

    Gst.init(None)
    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(str(args.port))
    if args.auth != "none":
        server.set_auth(make_auth(args.auth, args.username, os.environ.get("RTSP_SERVER_PASSWORD", "")))
    mounts = server.get_mount_points()
    if args.live:
        sizes = [tuple(int(v) for v in size.split("x")) for size in (args.sizes or args.size).split(",")]
        camera = LiveCamera(sizes, args.fps, args.bframes, args.restart_every)
        for path, launch in LIVE_LAUNCH_LINES.items():
            sdp_only = path == "/h264-sdp"
            configure = lambda factory, media, sdp_only=sdp_only: camera.attach(factory, media, sdp_only)
            launch = launch.format(do_timestamp="false" if args.bframes else "true")
            mounts.add_factory(path, make_factory(launch, args.auth != "none", configure))
    else:
        location = '"%s"' % os.path.abspath(args.file).replace("\\", "\\\\").replace('"', '\\"')
        for path, launch in LAUNCH_LINES.items():
            mounts.add_factory(path, make_factory(launch.format(file=location), args.auth != "none", loop_media))

    if args.session_timeout:
        server.connect("client-connected", lambda _server, client: client.connect(
            "new-session", lambda _client, session: session.set_timeout(args.session_timeout)))

    if server.attach(None) == 0:
        sys.exit("could not listen on port %d" % args.port)
    loop = GLib.MainLoop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signum, loop.quit)
    print("RTSP server ready on port %d (auth %s)" % (args.port, args.auth), flush=True)
    loop.run()


if __name__ == "__main__":
    main()
