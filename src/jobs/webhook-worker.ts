import type { FastifyBaseLogger } from 'fastify';
import { onEventRecorded } from '../services/events.service.js';
import type { ClaimedDelivery, DeliveryOutcome, WebhookDeliveries } from '../services/webhook-delivery.service.js';
import { REST_AFTER_FAILURES } from '../domain/webhooks.js';
import { subscribes, type HandedEvents } from '../services/webhook-fanout.js';
import type { StoreDialect } from '../store/dialect.js';
import type { NewDelivery, StoredWebhook } from '../store/webhooks.repo.js';

export interface WebhookWorkerDeps {
  deliveries: WebhookDeliveries;
  dialect: Pick<StoreDialect, 'fault'>;
  /** Requests in flight at most (this process). */
  concurrency?: number;
  /** How often to look for due deliveries when nothing says there are some. */
  pollMs?: number;
  /** How often to sweep (docs/decisions/027-webhook-sweep.md). */
  sweepMs?: number;
  log?: Pick<FastifyBaseLogger, 'error' | 'info' | 'warn'>;
}

/**
 * Outcomes are recorded together: in a batch this large, or after this long (50 ms, not 5: a tenth
 * of the recording transactions at a few hundred deliveries a second; decision 028).
 */
const RECORD_BATCH = 128;
const RECORD_AFTER_MS = 50;
/**
 * How long the worker uses what it read of an instance's webhooks. Changes made in this process
 * are seen at once (webhooksChanged); another process's within this time.
 */
const WEBHOOKS_KEPT_MS = 1_000;
/** How long one poll sweeps at most before it lets the next poll go on. */
const SWEEP_BUDGET_MS = 25;
/** How often, at most, the worker warns that sends could not start within their lease. */
const LATE_REPORT_MS = 60_000;

/**
 * One per server process: sends the deliveries of the events this process's writes hand it
 * (webhook-fanout.ts), claims due ones from the store (retries, and those of other writers: so N
 * processes share the work and none sends what another holds), sends up to `concurrency` at
 * once, records outcomes in batches, and sweeps (queues the deliveries a process that died or
 * stopped never recorded). It looks for due deliveries when a write of this process queued
 * some, when a slot frees up after a claim that was full, and every `pollMs` (an idle look is one
 * indexed read). docs/decisions/017-webhooks.md, 026-webhook-handoff.md, 027-webhook-sweep.md.
 */
export class WebhookWorker {
  private readonly concurrency: number;
  private readonly pollMs: number;
  private inFlight = 0;
  private outcomes: DeliveryOutcome[] = [];
  private stopped = true;
  private polling = false;
  private pollAgain = false;
  private timer: NodeJS.Timeout | undefined;
  private recordTimer: NodeJS.Timeout | undefined;
  private recording: Promise<void> = Promise.resolve();
  private readonly sends = new Set<Promise<void>>();
  private unsubscribe: (() => void) | undefined;
  private stopHandoffs: (() => void) | undefined;
  /** Events this process's writes committed, not yet matched with the webhooks. */
  private handedEvents: HandedEvents[] = [];
  private fanOutScheduled = false;
  /** What was read of each instance's enabled webhooks, and when (performance.now()). */
  private readonly webhooks = new Map<string, { list: StoredWebhook[]; readAt: number }>();
  /** Raised by every change heard of: a read that started before one is not kept. */
  private webhooksGeneration = 0;
  private readonly sweepMs: number;
  private lastSweep = -Infinity;
  /** Deliveries of those events, waiting for a free slot (from `handedNext` on), each with its hand-off's lease. */
  private handed: ClaimedDelivery[] = [];
  private handedNext = 0;
  /** The last claim took as many as there was room for: more may be due, so a freed slot looks at once. */
  private claimFull = false;
  /** While the store is away: logged once when it goes, once when it is back. */
  private storeAway = false;
  /** Sends that could not start within their lease since the last warning; the next one's timer. */
  private lateSends = 0;
  private lateTimer: NodeJS.Timeout | undefined;

  constructor(private readonly deps: WebhookWorkerDeps) {
    this.concurrency = deps.concurrency ?? 64;
    this.pollMs = deps.pollMs ?? 250;
    this.sweepMs = deps.sweepMs ?? 2_000;
  }

  start(): void {
    this.stopped = false;
    this.unsubscribe = onEventRecorded(() => this.nudge());
    this.stopHandoffs = this.deps.deliveries.acceptHandoffs({
      accept: (handed) => this.adopt(handed),
      webhooksChanged: (instanceId) => {
        this.webhooks.delete(instanceId);
        this.webhooksGeneration++;
      },
    });
    this.nudge();
  }

  /** Looks for due deliveries soon (after the current turn: the recording transaction commits first). */
  nudge(): void {
    if (this.stopped) return;
    if (this.polling) {
      this.pollAgain = true;
      return;
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.poll(), 1);
  }

  private async poll(): Promise<void> {
    this.timer = undefined;
    if (this.stopped || this.polling) return;
    this.polling = true;
    this.pollAgain = false;
    let full = false;
    try {
      const nowMs = this.deps.deliveries.nowMs();
      if (nowMs - this.lastSweep >= this.sweepMs) {
        this.lastSweep = nowMs;
        // Rounds of a few webhooks each (short transactions), for 25 ms at most: a larger backlog
        // (events a CLI wrote while no server ran) goes on at the next poll, beside the API.
        const started = performance.now();
        let more = true;
        while (more && performance.now() - started < SWEEP_BUDGET_MS) more = await this.deps.deliveries.sweep();
        if (more) this.lastSweep = -Infinity;
      }
      // Claims are transactions: while requests are in flight, wait until a batch's worth of
      // slots is free rather than claiming one delivery per finished request.
      const free = this.concurrency - this.inFlight;
      const worthClaiming = this.inFlight === 0 ? 1 : Math.min(16, Math.ceil(this.concurrency / 4));
      if (free >= worthClaiming && (await this.deps.deliveries.hasDue())) {
        const claimed = await this.deps.deliveries.claimDue(free);
        for (const delivery of claimed) this.send(delivery);
        full = claimed.length === free;
      }
      // No room to look: a slot freed later looks at once.
      this.claimFull = full || free < worthClaiming;
      if (this.storeAway) this.deps.log?.info('webhook deliveries: the database is back');
      this.storeAway = false;
    } catch (error) {
      this.logFailure(error, 'webhook delivery poll failed');
    } finally {
      this.polling = false;
    }
    if (this.stopped) return;
    // More may be due (the batch was full, or something was recorded meanwhile): look again at
    // once while there is room; else at the next poll (or when a send ends and frees a slot).
    if ((full || this.pollAgain) && this.concurrency - this.inFlight >= Math.min(16, Math.ceil(this.concurrency / 4))) this.nudge();
    else this.timer = setTimeout(() => void this.poll(), this.pollMs);
  }

  /** Takes the events a write of this process committed (webhook-fanout.ts); matched with the webhooks once per turn. */
  private adopt(handed: HandedEvents): void {
    if (this.stopped) return;
    this.handedEvents.push(handed);
    if (this.fanOutScheduled) return;
    this.fanOutScheduled = true;
    queueMicrotask(() => void this.fanOut());
  }

  /**
   * Turns the events handed over into deliveries: sent from here as attempt 1 (their row is
   * written with the outcome), or, for an endpoint that is resting, queued due for the claims. If
   * the webhooks cannot be read, the sweep queues them later.
   */
  private async fanOut(): Promise<void> {
    this.fanOutScheduled = false;
    const batch = this.handedEvents;
    this.handedEvents = [];
    for (const { instanceId, events, createdOn, retryUntil } of batch) {
      let webhooks: StoredWebhook[];
      try {
        webhooks = this.freshWebhooks(instanceId) ?? (await this.readWebhooks(instanceId));
      } catch (error) {
        this.logFailure(error, 'reading the webhooks of new events failed; the sweep will queue their deliveries');
        continue;
      }
      if (webhooks.length === 0 || this.stopped) continue;
      const leaseUntil = this.deps.deliveries.handoffLeaseEnd(createdOn);
      const due: NewDelivery[] = [];
      for (const webhook of webhooks) {
        const resting = webhook.consecutiveFailures >= REST_AFTER_FAILURES;
        for (const event of events) {
          if (!subscribes(webhook, event.type)) continue;
          if (resting) {
            due.push({ webhookId: webhook.id, eventId: event.id, eventType: event.type, nextAttemptAt: createdOn });
            continue;
          }
          this.handed.push({
            key: { instanceId, webhookId: webhook.id, eventId: event.id },
            attempts: 1,
            attemptLog: [],
            retryUntil,
            envelope: { type: event.type, timestamp: createdOn, data: event.payload },
            dataJson: event.payloadJson,
            webhook,
            handed: true,
            leaseUntil,
          });
        }
      }
      if (due.length > 0)
        void this.deps.deliveries.queueDue(instanceId, due, createdOn, retryUntil).then(
          () => this.nudge(),
          (error: unknown) => this.logFailure(error, 'queuing the deliveries of a resting webhook failed; the sweep will queue them'),
        );
    }
    if (!this.stopped) this.sendHanded();
  }

  private freshWebhooks(instanceId: string): StoredWebhook[] | undefined {
    const kept = this.webhooks.get(instanceId);
    return kept && performance.now() - kept.readAt < WEBHOOKS_KEPT_MS ? kept.list : undefined;
  }

  private async readWebhooks(instanceId: string): Promise<StoredWebhook[]> {
    const generation = this.webhooksGeneration;
    const readAt = performance.now();
    const list = await this.deps.deliveries.readWebhooks(instanceId);
    if (generation === this.webhooksGeneration) this.webhooks.set(instanceId, { list, readAt });
    return list;
  }

  /**
   * Sends handed deliveries while slots are free. One that could not start well before its lease
   * ends is left to the sweep (deliveries.mayStart; the sender checks again as it starts).
   */
  private sendHanded(): void {
    if (this.handedNext >= this.handed.length) return;
    const now = this.deps.deliveries.nowMs();
    while (this.handedNext < this.handed.length && this.inFlight < this.concurrency) {
      const delivery = this.handed[this.handedNext++]!;
      if (this.deps.deliveries.mayStart(delivery.leaseUntil, now)) this.send(delivery);
    }
    if (this.handedNext >= this.handed.length) {
      this.handed = [];
      this.handedNext = 0;
    } else if (this.handedNext > 1024) {
      this.handed = this.handed.slice(this.handedNext);
      this.handedNext = 0;
    }
  }

  private send(delivery: ClaimedDelivery): void {
    this.inFlight++;
    const sending = this.deps.deliveries.attempt(delivery).then((outcome) => {
      this.inFlight--;
      this.sends.delete(sending);
      // One not sent (late) is recorded too: a claim gives back the attempt it counted.
      if (outcome.result.late) this.reportLate();
      this.outcomes.push(outcome);
      if (this.outcomes.length >= RECORD_BATCH) this.flush();
      else this.recordTimer ??= setTimeout(() => this.flush(), RECORD_AFTER_MS);
      if (!this.stopped) this.sendHanded();
      if (this.claimFull) this.nudge();
    });
    this.sends.add(sending);
  }

  /** Records the outcomes gathered so far, one transaction at a time. */
  private flush(): void {
    if (this.recordTimer) clearTimeout(this.recordTimer);
    this.recordTimer = undefined;
    const batch = this.outcomes;
    this.outcomes = [];
    if (batch.length === 0) return;
    this.recording = this.recording.then(() =>
      this.deps.deliveries.record(batch).catch((error: unknown) => {
        // They are sent again (claimed ones once their lease runs out, handed ones once the sweep
        // finds them without a row): at least once holds.
        this.logFailure(error, 'recording webhook deliveries failed; they will be sent again');
      }),
    );
  }

  /**
   * A send waited so long for the sending thread (the cores are saturated) that it could not start
   * within its lease: not sent, left to the next claim or the sweep. Said at once, then at most
   * once a minute with how many more there were.
   */
  private reportLate(): void {
    this.lateSends++;
    if (!this.lateTimer) this.warnLate();
  }

  private warnLate(): void {
    this.lateTimer = undefined;
    if (this.lateSends === 0) return;
    this.deps.log?.warn({ notSent: this.lateSends }, 'webhook deliveries waited too long to start within their lease; they go out later');
    this.lateSends = 0;
    this.lateTimer = setTimeout(() => this.warnLate(), LATE_REPORT_MS);
    this.lateTimer.unref();
  }

  private logFailure(error: unknown, message: string): void {
    if (this.deps.dialect.fault(error)?.code !== 'unavailable') {
      this.deps.log?.error({ err: error }, message);
      return;
    }
    if (!this.storeAway) this.deps.log?.warn({ cause: (error as Error).message }, 'webhook deliveries: the database is unavailable; retrying every poll');
    this.storeAway = true;
  }

  /**
   * Delivers everything due now, waiting for each batch (tests call this with a fake clock
   * instead of starting the worker). Answers how many attempts were made.
   */
  async runDue(): Promise<number> {
    while (await this.deps.deliveries.sweep());
    let attempts = 0;
    for (;;) {
      const claimed = await this.deps.deliveries.claimDue(this.concurrency);
      if (claimed.length === 0) return attempts;
      const outcomes = await Promise.all(claimed.map((d) => this.deps.deliveries.attempt(d)));
      await this.deps.deliveries.record(outcomes);
      attempts += outcomes.filter((outcome) => !outcome.result.late).length;
    }
  }

  /** Stops claiming; waits for the requests in flight (each ends within its timeout) and records them. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    // Handed deliveries not sent yet have no row: once their lease is over, the sweep queues them.
    this.stopHandoffs?.();
    this.handedEvents = [];
    this.handed = [];
    this.handedNext = 0;
    if (this.timer) clearTimeout(this.timer);
    if (this.lateTimer) clearTimeout(this.lateTimer);
    this.lateTimer = undefined;
    while (this.polling) await new Promise((resolve) => setTimeout(resolve, 5));
    await Promise.all([...this.sends]);
    this.flush();
    await this.recording;
  }
}
