export { NatsClient, NatsErrorCode, type MessagingLogger, type NatsClientOptions } from './connection.js';
export {
  CONSUMER_DEFINITIONS,
  awaitStreams,
  DEFAULT_STREAM_LIMITS,
  ensureConsumer,
  ensureStream,
  ensureStreams,
  seconds,
  streamConfigs,
  type DurableConsumerDefinition,
  type ProvisionOutcome,
  type StreamLimits,
} from './streams.js';
export { keepStreamsProvisioned } from './provisioning.js';
export { JetStreamPublisher, type PublishOptions } from './publisher.js';
export { buildDeadLetter, publishDeadLetter } from './dead-letters.js';
export { PullWorker, type Delivery, type PullWorkerOptions } from './pull-worker.js';
export { MessagingModule, type MessagingModuleOptions, type NatsEnvironment } from './messaging.module.js';
export {
  NATS_IDENTITIES,
  inboxPrefix,
  natsAuthorizationConfig,
  natsPermissions,
  type NatsIdentity,
  type NatsPermissions,
} from './identities.js';
