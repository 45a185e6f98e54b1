/**
 * The control loop: every interval it reads the replica count and the load signals, asks the policy, logs the
 * decision and exports it as metrics, and (unless dry-run) has the backend carry it out. One evaluation at a time;
 * a failing read or scale command is logged and counted, and the loop goes on.
 */
import { SightlineError, type LoggerPort } from '@sightline/contracts';
import { Counter, Gauge, type Registry } from 'prom-client';
import { type ScalingBackend } from './backends.js';
import { SCALING_ACTIONS, type LoadSignals, type ScalingDecision, type ScalingPolicy } from './policy.js';
import { type SignalSource } from './signals.js';
import { AutoscalingErrorCode } from './errors.js';

/** The slice of the logger port (@sightline/contracts) the autoscaler calls. */
export type AutoscalerLogger = Pick<LoggerPort, 'info' | 'warn' | 'error'>;

export interface AutoscalerOptions {
  policy: ScalingPolicy;
  source: SignalSource;
  backend: ScalingBackend;
  logger: AutoscalerLogger;
  registry?: Registry;
  /** Decide and log, but never change the fleet. */
  dryRun?: boolean;
  intervalMs: number;
}

export type EvaluationStage = 'replicas' | 'signals' | 'scale';

export class Autoscaler {
  private timer?: NodeJS.Timeout;
  private evaluating?: Promise<ScalingDecision | undefined>;
  private stopped = true;
  private readonly metrics: AutoscalerMetrics;
  /** The latest decision, for the status endpoint. */
  lastDecision?: ScalingDecision;
  /** What failed in the latest evaluation, if anything. */
  lastError?: { stage: EvaluationStage; code: string; message: string; at: number };

  constructor(private readonly options: AutoscalerOptions) {
    this.metrics = autoscalerMetrics(options.registry);
    for (const action of SCALING_ACTIONS) this.metrics.decisions.inc({ action, dry_run: String(!!options.dryRun) }, 0);
  }

  get policy(): ScalingPolicy {
    return this.options.policy;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.options.logger.info('autoscaler started', {
      backend: this.options.backend.kind,
      dryRun: !!this.options.dryRun,
      intervalMs: this.options.intervalMs,
      policy: this.options.policy.options,
    });
    this.schedule(0);
  }

  /** Stops the loop; waits for an evaluation in progress (a scale command is not interrupted). */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.evaluating;
  }

  /** One evaluation; also what the loop runs. Concurrent calls share the evaluation in progress. */
  evaluate(): Promise<ScalingDecision | undefined> {
    this.evaluating ??= this.runEvaluation().finally(() => {
      this.evaluating = undefined;
    });
    return this.evaluating;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      void this.evaluate().finally(() => this.schedule(this.options.intervalMs));
    }, delayMs);
  }

  private async runEvaluation(): Promise<ScalingDecision | undefined> {
    const { backend, source, policy, logger } = this.options;
    const dryRun = !!this.options.dryRun;
    this.lastError = undefined;
    let replicas: number;
    try {
      replicas = await backend.replicas();
    } catch (err) {
      this.fail('replicas', err);
      return undefined;
    }
    let signals: LoadSignals;
    try {
      signals = await source.read();
    } catch (err) {
      // Decide on "no signal" (holds, and interrupts the windows) rather than skip: the decision is still logged.
      this.fail('signals', err);
      signals = {};
    }
    const decision = policy.decide(signals, replicas);
    this.lastDecision = decision;
    this.metrics.replicas.set(replicas);
    this.metrics.targetReplicas.set(decision.target);
    setOrReset(this.metrics.utilization, signals.utilization);
    setOrReset(this.metrics.lag, signals.lag);
    this.metrics.decisions.inc({ action: decision.action, dry_run: String(dryRun) });
    const log = { ...decision, backend: backend.kind, dryRun };
    if (decision.action === 'hold') {
      logger.info('autoscaler decision', log);
      return decision;
    }

    logger.info(dryRun ? 'autoscaler decision (dry run: fleet left unchanged)' : 'autoscaler decision', log);
    // Attempted actions start the cool-down too: a failing command is not retried at every interval.
    policy.acted(decision.at);
    if (dryRun) return decision;
    try {
      await backend.scaleTo(decision.target);
      this.metrics.replicas.set(decision.target);
      logger.info('autoscaler scaled', { from: replicas, to: decision.target, backend: backend.kind });
    } catch (err) {
      this.fail('scale', err);
    }
    return decision;
  }

  private fail(stage: EvaluationStage, err: unknown): void {
    const code = err instanceof SightlineError ? err.code : AutoscalingErrorCode.autoscalerFailed;
    const message = (err as Error).message;
    this.lastError = { stage, code, message, at: Date.now() };
    this.metrics.errors.inc({ stage });
    this.options.logger.error('autoscaler evaluation failed', {
      stage,
      code,
      error: message,
      context: err instanceof SightlineError ? err.context : undefined,
    });
  }
}

function setOrReset(gauge: Gauge, value: number | undefined): void {
  if (value === undefined) gauge.reset();
  else gauge.set(value);
}

interface AutoscalerMetrics {
  replicas: Gauge;
  targetReplicas: Gauge;
  utilization: Gauge;
  lag: Gauge;
  decisions: Counter<'action' | 'dry_run'>;
  errors: Counter<'stage'>;
}

function autoscalerMetrics(registry?: Registry): AutoscalerMetrics {
  const registers = registry ? [registry] : [];
  return {
    replicas: new Gauge({ name: 'sightline_autoscaler_replicas', help: 'Inference replicas running', registers }),
    targetReplicas: new Gauge({
      name: 'sightline_autoscaler_target_replicas',
      help: 'Inference replicas wanted by the latest decision',
      registers,
    }),
    utilization: new Gauge({
      name: 'sightline_autoscaler_utilization_ratio',
      help: 'Inference utilisation the latest decision saw (GPU, or the consumer busy ratio on CPU-only replicas)',
      registers,
    }),
    lag: new Gauge({
      name: 'sightline_autoscaler_consumer_lag_messages',
      help: 'Inference consumer lag the latest decision saw',
      registers,
    }),
    decisions: new Counter({
      name: 'sightline_autoscaler_decisions_total',
      help: 'Scaling decisions, by action (scale_up, scale_down, hold) and dry-run mode',
      labelNames: ['action', 'dry_run'],
      registers,
    }),
    errors: new Counter({
      name: 'sightline_autoscaler_errors_total',
      help: 'Failed autoscaler steps, by stage (replicas, signals, scale)',
      labelNames: ['stage'],
      registers,
    }),
  };
}
