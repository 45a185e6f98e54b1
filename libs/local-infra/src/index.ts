export { freePort, isAddressInUse, isPortFree, makeTempDir, waitForPort, withFreePorts } from './ports.js';
export { waitUntil } from './wait.js';
export { ManagedProcess, type ExitStatus, type ManagedProcessOptions } from './process.js';
export { LocalNatsServer, type NatsServerOptions } from './nats-server.js';
export {
  RENEW_BEFORE_DAYS,
  ensureNatsTls,
  natsServerCertificate,
  plaintextNatsExchange,
  type NatsTlsFiles,
  type NatsTlsOptions,
} from './nats-tls.js';
export { LocalPostgres, postgresBinDir, type PostgresOptions } from './postgres.js';
export {
  GstRtspServer,
  startGstRtspServer,
  type GstRtspAuth,
  type GstRtspLiveCamera,
  type GstRtspMount,
  type GstRtspServerOptions,
} from './gst-rtsp-server.js';
export {
  ASTRONAUT_FACE_REGION,
  ASTRONAUT_PHOTO,
  DEFAULT_ASTRONAUT_CLIP,
  astronautFaceBoxAt,
  astronautPositionAt,
  ffmpegPath,
  makeAstronautClip,
  makeCorruptMp4,
  makeTestClip,
  type AstronautClipParams,
  type PhotoPlacement,
  type TestClipOptions,
} from './media.js';
