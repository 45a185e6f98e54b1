export { decodeResult } from './decode.js';
export { ResultConsumer, persistenceConsumerDefinition } from './result-consumer.js';
