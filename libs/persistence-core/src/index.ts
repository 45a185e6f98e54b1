export { backoffDelayMs, type BackoffPolicy } from './backoff.js';
export { decodeResult, type ResultMessage } from './decode.js';
export { ResultConsumer, persistenceConsumerDefinition, type ResultConsumerOptions } from './result-consumer.js';
