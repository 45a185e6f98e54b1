export { NatsClient, type MessagingLogger, type NatsClientOptions } from './connection.js';
export { MessagingErrorCode } from './errors.js';
export {
  CONSUMER_DEFINITIONS,
  DEFAULT_STREAM_LIMITS,
  ensureConsumer,
  ensureStreams,
  seconds,
  type DurableConsumerDefinition,
  type StreamLimits,
} from './streams.js';
export { keepStreamsProvisioned } from './provisioning.js';
export { JetStreamPublisher, type PublishOptions } from './publisher.js';
export { buildDeadLetter, publishDeadLetter } from './dead-letters.js';
export { PullWorker, type Delivery } from './pull-worker.js';
export { MessagingModule } from './messaging.module.js';
export { NATS_IDENTITIES, natsAuthorizationConfig, type NatsIdentity } from './identities.js';
