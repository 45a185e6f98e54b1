export { freePort, isAddressInUse, isPortFree, makeTempDir, waitForPort } from './ports.js';
export { waitUntil } from './wait.js';
export { ManagedProcess } from './process.js';
export { LocalNatsServer } from './nats-server.js';
export { ensureNatsTls, natsServerCertificate, plaintextNatsExchange } from './nats-tls.js';
export { LocalPostgres, postgresBinDir } from './postgres.js';
export { GstRtspServer, startGstRtspServer, type GstRtspLiveCamera, type GstRtspMount } from './gst-rtsp-server.js';
export {
  ASTRONAUT_FACE_REGION,
  ASTRONAUT_PHOTO,
  DEFAULT_ASTRONAUT_CLIP,
  astronautFaceBoxAt,
  ffmpegPath,
  makeAstronautClip,
  makeCorruptMp4,
  makeTestClip,
  type AstronautClipParams,
} from './media.js';
