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
LIVE_FEED = (
    'appsrc name=feed is-live=true do-timestamp=true format=time'
    ' caps="video/x-h264,stream-format=byte-stream,alignment=au"'
    " ! h264parse config-interval=-1"
)
LIVE_LAUNCH_LINES = {
    "/h264": LIVE_FEED + " ! rtph264pay name=pay0 pt=96 config-interval=-1",
    "/ts": LIVE_FEED + " ! mpegtsmux alignment=7 ! rtpmp2tpay name=pay0 pt=33",
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


class LiveCamera:
    """The camera's encoder, running from start-up; each client's appsrc gets its access units from the moment it
    is configured (mid-GOP: the client waits for the next keyframe)."""

    def __init__(self, width, height, fps):
        self.pipeline = Gst.parse_launch(LIVE_CAMERA.format(width=width, height=height, fps=fps))
        self.feeds = set()
        self.pipeline.get_by_name("camera").connect("new-sample", self.on_sample)
        self.pipeline.set_state(Gst.State.PLAYING)

    def on_sample(self, sink):
        sample = sink.emit("pull-sample")
        for feed in list(self.feeds):
            # A fresh buffer per client: do-timestamp stamps it with that client's running time.
            feed.emit("push-buffer", Gst.Buffer.new_wrapped(sample.get_buffer().extract_dup(0, sample.get_buffer().get_size())))
        return Gst.FlowReturn.OK

    def attach(self, _factory, media):
        feed = media.get_element().get_by_name("feed")
        self.feeds.add(feed)
        media.connect("unprepared", lambda _media: self.feeds.discard(feed))


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
        width, height = (int(v) for v in args.size.split("x"))
        camera = LiveCamera(width, height, args.fps)
        for path, launch in LIVE_LAUNCH_LINES.items():
            mounts.add_factory(path, make_factory(launch, args.auth != "none", camera.attach))
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
