/**
 * One connection's subscriptions, keyed by target (`*` or a session id), and the rules a subscribe or unsubscribe
 * command must pass: only granted sessions, `*` replaces everything and excludes picking sessions beside it, a
 * session subscribed again is replaced, at most `maxSubscriptions`, and replays within the user's replay budget.
 * Opening consumers is the `open` function's job (ResultSubscription.open); delivering their results is the
 * connection's.
 */
import {
  ALL_SESSIONS,
  canSeeSession,
  clientMessageSchema,
  SightlineError,
  WsCommandErrorCode,
  type DeliveryPolicy,
  type Principal,
} from '@sightline/contracts';
import { type JsMsg } from 'nats';
import { type z } from 'zod';
import { type ReplayBudget } from './replay-budget.js';
import { type StartPosition } from './result-subscription.js';

export type SubscribeCommand = Extract<z.output<typeof clientMessageSchema>, { type: 'subscribe' }>;

/** What the set needs of a ResultSubscription. */
export interface OpenSubscription {
  run(handle: (msg: JsMsg) => void | Promise<void>): Promise<void>;
  close(): Promise<void>;
}

export interface DeliveryState {
  policy: DeliveryPolicy;
  /** Only these events are delivered (undefined: all). */
  events?: ReadonlySet<string>;
  /**
   * Behind the stream head (started from a past sequence/time, until a result with nothing pending arrives). While
   * replaying, an `every` subscription reads only as fast as the client drains: a backlog never overflows the buffer.
   */
  replaying: boolean;
  /** Holds one of the user's replay slots (until the head is reached or the subscription ends). */
  holdsReplaySlot?: boolean;
}

export interface ActiveSubscription {
  target: string;
  state: DeliveryState;
  subscription: OpenSubscription;
}

/** A subscribe command that passed the rules: what to open and what it replaces. */
export interface SubscribePlan {
  /** The command was for `*`. */
  all: boolean;
  /** Targets to open (none for `*` by a principal without any grant: a subscription to nothing). */
  targets: string[];
  /** Subscriptions the command replaces. */
  replaced: string[];
}

export interface SubscriptionSetOptions {
  principal: Principal;
  maxSubscriptions: number;
  /** Shared by the user's connections: how many replays may run at once. */
  replays?: ReplayBudget;
  open: (target: string, start: StartPosition) => Promise<OpenSubscription>;
  /** Active subscriptions gauge. */
  gauge: { inc(count?: number): void; dec(): void };
}

export class SubscriptionSet {
  private readonly active = new Map<string, ActiveSubscription>();

  constructor(private readonly options: SubscriptionSetOptions) {}

  get size(): number {
    return this.active.size;
  }

  get targets(): string[] {
    return [...this.active.keys()];
  }

  /** Whether `subscription` is still the one for its target (not stopped, not replaced). */
  isCurrent(subscription: ActiveSubscription): boolean {
    return this.active.get(subscription.target) === subscription;
  }

  /** Checks a subscribe command against the rules; throws the coded error of the first one it breaks. */
  plan(command: SubscribeCommand): SubscribePlan {
    const { principal, maxSubscriptions } = this.options;
    const requested = command.sessions === ALL_SESSIONS ? [ALL_SESSIONS] : [...new Set(command.sessions)];
    const all = requested[0] === ALL_SESSIONS;
    const forbidden = all ? [] : requested.filter((id) => !canSeeSession(principal, id));
    if (forbidden.length) {
      // The same answer whether or not the sessions exist.
      throw new SightlineError(WsCommandErrorCode.sessionForbidden, 'not granted access to these sessions', { sessions: forbidden });
    }
    // '*' for a principal without any grant is a subscription to nothing: no consumer at all.
    const targets = all && principal.sessions !== ALL_SESSIONS && principal.sessions.length === 0 ? [] : requested;
    if (!all && this.active.has(ALL_SESSIONS)) {
      throw new SightlineError(
        WsCommandErrorCode.subscriptionConflict,
        "already subscribed to '*'; unsubscribe '*' first to pick sessions",
        {
          sessions: targets,
        },
      );
    }
    // '*' replaces everything; a session subscribed again is replaced (new start point or policy).
    const replaced = all ? [...this.active.keys()] : targets.filter((t) => this.active.has(t));
    const total = this.active.size - replaced.length + targets.length;
    if (total > maxSubscriptions) {
      throw new SightlineError(WsCommandErrorCode.tooManySubscriptions, `at most ${maxSubscriptions} subscriptions per connection`, {
        requested: total,
      });
    }
    return { all, targets, replaced };
  }

  /**
   * Replaces what the plan replaces with new subscriptions from `start`, all or none: a replay takes its slots from
   * the user's budget first (TOO_MANY_REPLAYS when they are taken), and a consumer that cannot be opened closes the
   * others (SUBSCRIBE_FAILED). Returns the new subscriptions, or undefined when `cancelled()` says the connection
   * closed meanwhile (they are closed again).
   */
  async open(
    plan: SubscribePlan,
    command: SubscribeCommand,
    start: StartPosition,
    cancelled: () => boolean,
  ): Promise<ActiveSubscription[] | undefined> {
    const { principal, replays } = this.options;
    const { all, targets } = plan;
    const replaying = command.fromSequence !== undefined || command.fromTime !== undefined;
    if (replaying && replays && !replays.tryAcquire(principal.userId, targets.length)) {
      throw new SightlineError(
        WsCommandErrorCode.tooManyReplays,
        `at most ${replays.perUser} replays per user at once; retry once one has caught up`,
        {
          sessions: all ? ALL_SESSIONS : targets,
        },
      );
    }
    const holdsReplaySlot = replaying && replays !== undefined;
    await Promise.all(plan.replaced.map((target) => this.stop(target)));

    const opened: ActiveSubscription[] = [];
    try {
      for (const target of targets) {
        const subscription = await this.options.open(target, start);
        opened.push({
          target,
          state: { policy: command.policy, replaying, holdsReplaySlot, ...(command.events && { events: new Set(command.events) }) },
          subscription,
        });
      }
    } catch (err) {
      await Promise.all(opened.map((a) => a.subscription.close()));
      if (holdsReplaySlot) replays.release(principal.userId, targets.length);
      throw new SightlineError(WsCommandErrorCode.subscribeFailed, 'could not start delivery', { sessions: targets }, { cause: err });
    }
    if (cancelled()) {
      await Promise.all(opened.map((a) => a.subscription.close()));
      if (holdsReplaySlot) replays.release(principal.userId, targets.length);
      return undefined;
    }
    for (const active of opened) this.active.set(active.target, active);
    this.options.gauge.inc(opened.length);
    return opened;
  }

  /** The targets an unsubscribe command stops; sessions cannot be taken out of `*` (SUBSCRIPTION_CONFLICT). */
  unsubscribeTargets(sessions: string[] | typeof ALL_SESSIONS): string[] {
    if (sessions !== ALL_SESSIONS && this.active.has(ALL_SESSIONS)) {
      throw new SightlineError(
        WsCommandErrorCode.subscriptionConflict,
        "subscribed to '*': unsubscribe '*' (sessions cannot be excluded from it)",
        {
          sessions,
        },
      );
    }
    return sessions === ALL_SESSIONS ? [...this.active.keys()] : sessions;
  }

  /** Ends the target's subscription, if any: its consumer is deleted and its replay slot returned. */
  async stop(target: string): Promise<void> {
    const active = this.active.get(target);
    if (!active) return;
    this.active.delete(target);
    this.options.gauge.dec();
    this.releaseReplaySlot(active.state);
    await active.subscription.close();
  }

  /** A replay reached the stream head (or ended): its replay slot goes back to the user's budget. */
  releaseReplaySlot(state: DeliveryState): void {
    if (!state.holdsReplaySlot) return;
    state.holdsReplaySlot = false;
    this.options.replays?.release(this.options.principal.userId);
  }
}
