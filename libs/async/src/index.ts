export { BoundedAsyncQueue, type BoundedAsyncQueueOptions, type OverflowPolicy } from './bounded-async-queue.js';
