/**
 * A real RTSP server for integration tests: GStreamer's GstRtspServer (assets/rtsp-server.py, run by the system
 * Python) serving one MP4 file in a loop at `/h264` (RTP H.264, pt 96) and `/ts` (RTP MP2T, pt 33), RTP over TCP
 * only, with no auth, Basic or Digest (GStreamer 1.22: Digest is MD5 without qop). `stop()`/`start()` keep the
 * port, so tests can simulate a camera or server restart; `kill()` simulates a crash. With `live` instead of a file it
 * acts as a camera: an encoder running from start-up (clients join mid-stream).
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ManagedProcess, startOrStop } from './process.js';
import { waitForPort, withFreePorts } from './ports.js';

export type GstRtspAuth = 'none' | 'basic' | 'digest';
/** `h264-sdp` (live camera only): parameter sets only in the SDP's sprop-parameter-sets, never in the stream. */
export type GstRtspMount = 'h264' | 'ts' | 'h264-sdp';

export interface GstRtspLiveCamera {
  /** Default 320x180. */
  width?: number;
  height?: number;
  /** Default 30; one keyframe per second. */
  fps?: number;
  /** High profile with this many B-frames (sent in decode order, pts ≠ dts). Default 0 (baseline). */
  bframes?: number;
  /**
   * Every this many seconds the encoder pipeline is torn down and rebuilt; each connected client's payloader is
   * restarted too (a new SSRC, timestamp and sequence base), unless `sizes` is given.
   */
  restartEverySeconds?: number;
  /** With `restartEverySeconds`: the camera's sizes, cycled at each rebuild (a resolution change in the same RTP stream). */
  sizes?: { width: number; height: number }[];
}

export interface GstRtspServerOptions {
  /** MP4 with an H.264 video track (served as is, never transcoded); or `live`. */
  file?: string;
  /** A live camera (videotestsrc → x264enc, running before any client connects) instead of a file. */
  live?: GstRtspLiveCamera;
  port?: number;
  auth?: GstRtspAuth;
  username?: string;
  password?: string;
  /** RTSP session timeout announced in SETUP (GStreamer's default: 60 s); short values exercise keep-alives. */
  sessionTimeoutSeconds?: number;
  /** Defaults to the system Python, which has the GStreamer bindings (gi). */
  python?: string;
  onLine?: (line: string) => void;
}

const SERVER_SCRIPT = fileURLToPath(new URL('../assets/rtsp-server.py', import.meta.url));

export class GstRtspServer {
  private process?: ManagedProcess;

  constructor(
    readonly port: number,
    private readonly options: GstRtspServerOptions,
  ) {}

  get running(): boolean {
    return !!this.process?.running;
  }

  /** rtsp://127.0.0.1:port/mount, with the given credentials as URL userinfo when passed. */
  url(mount: GstRtspMount, credentials?: { username: string; password: string }): string {
    const userinfo = credentials ? `${encodeURIComponent(credentials.username)}:${encodeURIComponent(credentials.password)}@` : '';
    return `rtsp://${userinfo}127.0.0.1:${this.port}/${mount}`;
  }

  async start(): Promise<void> {
    const { file, live, auth = 'none', username = '', password = '', sessionTimeoutSeconds = 0 } = this.options;
    const source = live
      ? [
          ...['--live', '--size', `${live.width ?? 320}x${live.height ?? 180}`, '--fps', String(live.fps ?? 30)],
          ...['--bframes', String(live.bframes ?? 0), '--restart-every', String(live.restartEverySeconds ?? 0)],
          ...(live.sizes ? ['--sizes', live.sizes.map((s) => `${s.width}x${s.height}`).join(',')] : []),
        ]
      : ['--file', resolve(file!)];
    const args = [
      ...[SERVER_SCRIPT, ...source, '--port', String(this.port)],
      ...['--auth', auth, '--username', username, '--session-timeout', String(sessionTimeoutSeconds)],
    ];
    this.process = new ManagedProcess(this.options.python ?? '/usr/bin/python3', args, {
      name: 'gst-rtsp-server',
      // The password travels in the environment, not argv (visible to every user in ps).
      env: { ...process.env, RTSP_SERVER_PASSWORD: password },
      onLine: this.options.onLine,
    }).start();
    await this.process.waitForLine(/RTSP server ready on port/);
    await waitForPort(this.port);
  }

  async stop(): Promise<void> {
    await this.process?.stop('SIGTERM', 5000);
  }

  /** SIGKILL: connections drop without TEARDOWN, like a crashed server. */
  async kill(): Promise<void> {
    await this.process?.kill();
  }
}

export async function startGstRtspServer(options: GstRtspServerOptions): Promise<GstRtspServer> {
  if (!options.live && !(options.file && existsSync(options.file))) throw new Error(`no such media file: ${options.file}`);
  const launch = (port: number) => startOrStop(new GstRtspServer(port, options));
  return options.port !== undefined ? launch(options.port) : withFreePorts(1, ([port]) => launch(port!));
}
