export { AnalysisServer, type AnalysisServerOptions } from './analysis-server.js';
export { AnalysisConnection, type ConnectionSettings } from './connection.js';
export { GatewayMetrics, type AuthFailureReason, type DisconnectReason } from './metrics.js';
export { ReplayBudget } from './replay-budget.js';
export { ResultDecoder, type DecodedResult } from './result-decoder.js';
export { ResultSubscription, type StartPosition } from './result-subscription.js';
export { BoundedSendQueue, type MessageSink, type OfferOutcome, type OutgoingMessage, type SendQueueHooks } from './send-queue.js';
export { authorizeUpgrade, offeredSubprotocols, upgradeToken, writeRefusal, type UpgradeDecision, type UpgradeRefusal } from './upgrade.js';
