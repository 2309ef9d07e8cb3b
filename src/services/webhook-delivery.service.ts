import {
  ATTEMPTS_KEPT,
  RETRY_WINDOW_MS,
  DISABLE_AFTER_MS,
  displayUrl,
  nextRetryAt,
  renderBody,
  REST_AFTER_FAILURES,
  restUntil,
  RETRY_DELAYS_MS,
  type DeliveryAttempt,
} from '../domain/webhooks.js';
import type { Store } from '../store/db.js';
import type { Tx } from '../store/schema.js';
import * as repo from '../store/webhooks.repo.js';
import { record } from './events.service.js';
import { acceptHandoffs, webhooksChanged, type ClaimedDelivery, type HandoffSink } from './webhook-fanout.js';
import type { Sender, SendResult } from './webhook-sender.js';

export type { ClaimedDelivery };

/*
 * The delivery side of webhooks: claim due deliveries (a short transaction that leases them),
 * send each, and those handed over by this process's writes (no transaction open meanwhile),
 * record the outcomes (one transaction per batch), sweep. At least once: a process that dies
 * between claim and record leaves its leases to run out, one that dies holding handed
 * deliveries leaves them without a row, which the sweep queues; either way they go again, with
 * the same webhook-id. docs/decisions/017-webhooks.md, 027-webhook-sweep.md.
 */

export interface DeliveryDeps {
  store: Store;
  sender: Sender;
  /** The web app's URL (PUBLIC_URL), for links to tickets in Teams and Slack messages. */
  publicUrl: () => string;
  /** The HTTP deadline of one attempt; a claim's lease outlasts it. */
  timeoutMs: number;
  /** Waits between attempts (default: 5 s, 30 s, 2 min, 10 min, 1 h, 6 h, then daily). */
  retryDelaysMs?: readonly number[];
  now?: () => string;
  random?: () => number;
  log?: { warn(obj: object, msg: string): void; info(obj: object, msg: string): void };
}

export interface DeliveryOutcome {
  claimed: ClaimedDelivery;
  startedOn: string;
  result: SendResult;
}

/**
 * How long a claim holds a delivery beyond the HTTP deadline before another process may take it
 * (and send it again): the deadline again, at least 5 s, for a busy event loop or a slow commit.
 */
const leaseMargin = (timeoutMs: number) => Math.max(5_000, timeoutMs);

const DELIVERY_HEADERS: Readonly<Record<string, string>> = Object.freeze({ 'content-type': 'application/json', 'user-agent': 'Ticketing-Webhooks/1.0' });

export class WebhookDeliveries {
  readonly now: () => string;
  private readonly random: () => number;
  private readonly delays: readonly number[];

  constructor(private readonly deps: DeliveryDeps) {
    this.now = deps.now ?? (() => new Date().toISOString());
    this.random = deps.random ?? Math.random;
    this.delays = deps.retryDelaysMs ?? RETRY_DELAYS_MS;
  }

  /** `now` in milliseconds (without a test clock, no date to format and parse again). */
  nowMs(): number {
    return this.deps.now ? Date.parse(this.deps.now()) : Date.now();
  }

  /** The HTTP deadline of one attempt. */
  get timeoutMs(): number {
    return this.deps.timeoutMs;
  }

  /** How long a lease lasts beyond the deadline. */
  get leaseMarginMs(): number {
    return leaseMargin(this.deps.timeoutMs);
  }

  /**
   * Whether a delivery held until `leaseUntil` may still start now: with its deadline and half the
   * lease's margin (to record the outcome) left. One that starts later is left to the next claim,
   * or to the sweep: its outcome could come after another process took it up, and it would go twice.
   */
  mayStart(leaseUntil: number, nowMs: number): boolean {
    return leaseUntil - nowMs > this.startBeforeLeaseEndMs;
  }

  private get startBeforeLeaseEndMs(): number {
    return this.deps.timeoutMs + this.leaseMarginMs / 2;
  }

  /**
   * From now on, writes to this store in this process hand their committed events to `sink`
   * (webhook-fanout.ts): the worker, while it runs. Answers the way to stop.
   */
  acceptHandoffs(sink: HandoffSink): () => void {
    return acceptHandoffs(this.deps.store.db, sink);
  }

  /** The instance's enabled webhooks (the worker's, for the events handed to it). */
  readWebhooks(instanceId: string): Promise<repo.StoredWebhook[]> {
    return repo.readEnabledWebhooks(this.deps.store, instanceId);
  }

  /**
   * Until when a handed delivery may still be sent by the process it was handed to: its event's
   * time plus a claim's lease. The sweep queues it after that, if it has no row by then.
   */
  handoffLeaseEnd(createdOn: string): number {
    return Date.parse(createdOn) + this.leaseMs();
  }

  /** Queues deliveries due now (a resting endpoint's, which the claims let rest). */
  async queueDue(instanceId: string, rows: repo.NewDelivery[], createdOn: string, retryUntil: string): Promise<void> {
    await this.tx((tx) => repo.insertDeliveries(tx, instanceId, rows, createdOn, retryUntil));
  }

  /**
   * One round of the sweep (docs/decisions/027-webhook-sweep.md): for up to `limit` webhooks,
   * queues due a delivery for each event after its position, older than a hand-off's lease, that
   * has no row (its process died or stopped holding it), and moves the position past them.
   * Answers whether more is left for another round now.
   */
  async sweep(limit = 8, eventsPerWebhook = 1_000): Promise<boolean> {
    const now = this.now();
    const cutoff = new Date(Date.parse(now) - this.leaseMs()).toISOString();
    const retryUntil = new Date(Date.parse(now) + RETRY_WINDOW_MS).toISOString();
    const { dialect } = this.deps.store;
    const work = await repo.sweepWork(this.deps.store, cutoff);
    if (!work) return false;
    return this.tx(async (tx) => {
      if (work.unpositioned) await repo.positionUnsweptWebhooks(tx);
      const targets = await repo.selectSweepTargets(tx, dialect, cutoff, limit);
      let more = targets.length === limit;
      for (const target of targets) {
        const after = await repo.eventsAfter(tx, dialect, target.instanceId, target.position, eventsPerWebhook);
        // Up to the first event still within a hand-off's lease: its process may be sending it.
        let end = 0;
        while (end < after.length && after[end]!.createdOn < cutoff) end++;
        if (end === 0) continue;
        await repo.sweepDeliveries(tx, target, after[end - 1]!.position, now, retryUntil);
        if (end === eventsPerWebhook) more = true;
      }
      return more;
    });
  }

  private tx<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    return this.deps.store.dialect.transaction(this.deps.store.db, fn);
  }

  /** Whether any delivery is due now (a read; an idle poll writes nothing). */
  hasDue(): Promise<boolean> {
    return repo.hasDueDelivery(this.deps.store, this.now());
  }

  /**
   * Claims up to `limit` due deliveries, oldest due first. Deliveries whose webhook is disabled
   * or gone end as failed; those of an endpoint that is resting after repeated failures wait
   * for the end of its rest, and once it is over one delivery goes first to probe it.
   */
  async claimDue(limit: number): Promise<ClaimedDelivery[]> {
    const now = this.now();
    const nowMs = Date.parse(now);
    const leaseUntilMs = this.leaseEnd(nowMs);
    const leaseUntil = new Date(leaseUntilMs).toISOString();
    return this.tx(async (tx) => {
      const due = await repo.selectDueDeliveries(tx, this.deps.store.dialect, now, limit);
      const claimed: ClaimedDelivery[] = [];
      const probing = new Set<string>();
      for (const d of due) {
        const key = { instanceId: d.instanceId, webhookId: d.webhookId, eventId: d.eventId };
        const webhook = d.webhook;
        if (!webhook || !webhook.enabled || d.payload === null) {
          const reason = !webhook ? 'the webhook was deleted' : !webhook.enabled ? 'the webhook is disabled' : 'the event is gone';
          await repo.abandonDelivery(tx, key, reason, d.attemptLog, now);
          continue;
        }
        const lastChance = now >= d.retryUntil;
        if (!lastChance && webhook.consecutiveFailures >= REST_AFTER_FAILURES) {
          // A failing endpoint: wait out its rest; then one delivery probes it and the others
          // follow a little later (at once, if the probe succeeds and ends the rest).
          const resting = webhook.blockedUntil !== null && webhook.blockedUntil > now;
          const probeTaken = probing.has(`${d.instanceId}/${webhook.id}`);
          if (resting || probeTaken) {
            const from = resting ? Date.parse(webhook.blockedUntil!) : nowMs;
            const until = Math.min(from + Math.round((this.delays[0] ?? 5000) * (1 + this.random())), Date.parse(d.retryUntil));
            await repo.postponeDelivery(tx, key, new Date(until).toISOString());
            continue;
          }
          probing.add(`${d.instanceId}/${webhook.id}`);
        }
        claimed.push({
          key,
          attempts: d.attempts + 1,
          attemptLog: d.attemptLog,
          retryUntil: d.retryUntil,
          envelope: { type: d.eventType, timestamp: d.eventCreatedOn ?? now, data: d.payload },
          webhook,
          leaseUntil: leaseUntilMs,
        });
      }
      await repo.leaseDeliveries(
        tx,
        claimed.map((c) => c.key),
        leaseUntil,
      );
      return claimed;
    });
  }

  private leaseMs(): number {
    return this.deps.timeoutMs + this.leaseMarginMs;
  }

  /** When a lease taken at `nowMs` ends (ms). */
  private leaseEnd(nowMs: number): number {
    return nowMs + this.leaseMs();
  }

  /**
   * Sends an event that is not in the feed (a test) to one webhook now, with no retries, and
   * records it in the webhook's delivery log.
   */
  async sendNow(instanceId: string, webhook: repo.StoredWebhook, event: { id: string; type: string; data: Record<string, unknown> }): Promise<void> {
    const now = this.now();
    const key = { instanceId, webhookId: webhook.id, eventId: event.id };
    const leaseUntil = this.leaseEnd(Date.parse(now));
    await this.tx((tx) =>
      repo.insertDetachedDelivery(tx, instanceId, {
        webhookId: webhook.id,
        eventId: event.id,
        eventType: event.type,
        payload: event.data,
        now,
        leaseUntil: new Date(leaseUntil).toISOString(),
      }),
    );
    // Held under a lease as a claim is: if it cannot start in time, a claim sends it after the lease.
    const outcome = await this.attempt({
      key,
      attempts: 1,
      attemptLog: [],
      retryUntil: now,
      envelope: { type: event.type, timestamp: now, data: event.data },
      webhook,
      leaseUntil,
    });
    await this.record([outcome]);
  }

  /** Sends one claimed delivery, signed per Standard Webhooks; never throws. */
  async attempt(claimed: ClaimedDelivery): Promise<DeliveryOutcome> {
    const startedOn = this.now();
    const body = renderBody(
      claimed.webhook.format,
      claimed.envelope,
      { publicUrl: this.deps.publicUrl(), includePrivate: claimed.webhook.includePrivate },
      claimed.dataJson,
    );
    // Signed by the sender as it sends: the signature's time is the real time of sending
    // (receivers reject stale timestamps), even under a test clock. Its latest start (the lease,
    // less the deadline and half the margin) is in real time too: the sender's clock.
    const startBy = Date.now() + (claimed.leaseUntil - this.startBeforeLeaseEndMs - this.nowMs());
    const result = await this.deps.sender.send({
      url: claimed.webhook.url,
      body,
      headers: DELIVERY_HEADERS,
      sign: { id: claimed.key.eventId, secret: claimed.webhook.secret },
      startBy,
    });
    return { claimed, startedOn, result };
  }

  /**
   * Records attempts in one transaction: each delivery is delivered, due again after its
   * backoff, or failed at the end of its window; each webhook's health follows (a success
   * heals it; failures count, rest it after REST_AFTER_FAILURES in a row, and disable it, with
   * a webhook.disabled event, once it has failed for DISABLE_AFTER_MS). A send that did not start
   * (too late within its lease) is no attempt: a claimed one gets back the attempt its claim
   * counted and is sent by the next claim after its lease; a handed one, by the sweep.
   */
  async record(sends: readonly DeliveryOutcome[]): Promise<void> {
    const outcomes = sends.filter((outcome) => !outcome.result.late);
    const released = sends.filter(({ claimed, result }) => result.late && !claimed.handed).map(({ claimed }) => claimed);
    if (outcomes.length === 0 && released.length === 0) return;
    const now = this.now();
    const nowMs = Date.parse(now);
    await this.tx(async (tx) => {
      const health = new Map<
        string,
        {
          instanceId: string;
          webhookId: string;
          url: string;
          description: string | null;
          healed: boolean;
          wasFailing: boolean;
          failures: number;
          firstFailure?: string;
        }
      >();
      const recorded: (repo.AttemptOutcome & { key: ClaimedDelivery['key'] })[] = [];
      const handed: repo.HandedOutcome[] = [];
      for (const { claimed, startedOn, result } of outcomes) {
        const entry: DeliveryAttempt = {
          attempt: claimed.attempts,
          createdOn: startedOn,
          durationMs: result.durationMs,
          statusCode: result.statusCode,
          error: result.error,
          response: result.response,
        };
        const attemptLog = [...claimed.attemptLog, entry].slice(-ATTEMPTS_KEPT);
        const retryAt = result.ok ? null : nextRetryAt(claimed.attempts, nowMs, Date.parse(claimed.retryUntil), this.random, this.delays);
        const outcome: repo.AttemptOutcome & { key: ClaimedDelivery['key'] } = {
          key: claimed.key,
          attempts: claimed.attempts,
          status: result.ok ? 'delivered' : retryAt === null ? 'failed' : 'pending',
          nextAttemptAt: retryAt === null ? null : new Date(retryAt).toISOString(),
          attemptLog,
          finishedOn: retryAt === null ? now : null,
        };
        if (claimed.handed)
          handed.push({ ...outcome, eventType: claimed.envelope.type, retryUntil: claimed.retryUntil, createdOn: claimed.envelope.timestamp });
        else recorded.push(outcome);
        const id = `${claimed.key.instanceId}/${claimed.key.webhookId}`;
        const state = health.get(id) ?? {
          instanceId: claimed.key.instanceId,
          webhookId: claimed.key.webhookId,
          url: claimed.webhook.url,
          description: claimed.webhook.description,
          healed: false,
          wasFailing: claimed.webhook.consecutiveFailures > 0 || claimed.webhook.failingSince !== null,
          failures: 0,
        };
        if (result.ok) Object.assign(state, { healed: true, failures: 0, firstFailure: undefined });
        else {
          state.failures++;
          state.firstFailure ??= startedOn;
        }
        health.set(id, state);
      }
      // The webhooks' health first, in one order, then the deliveries: the sweep locks webhooks
      // and then writes deliveries, so writing them in the other order could deadlock with it
      // on PostgreSQL (its insert waiting for a delivery row of this transaction, this one for
      // a webhook it holds).
      const webhooks = [...health.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, state]) => state);
      for (const state of webhooks) {
        // The worker's copy of the webhook (for the events handed to it) has the old health.
        if (state.failures > 0 || (state.healed && state.wasFailing)) webhooksChanged(tx, state.instanceId);
        if (state.healed) await repo.noteWebhookSuccess(tx, state.instanceId, state.webhookId);
        if (state.failures === 0) continue;
        const after = await repo.noteWebhookFailures(tx, state.instanceId, state.webhookId, state.failures, state.firstFailure!);
        if (!after?.enabled) continue;
        if (nowMs - Date.parse(after.failingSince) >= DISABLE_AFTER_MS) {
          if (await repo.disableFailingWebhook(tx, state.instanceId, state.webhookId, now)) {
            this.deps.log?.warn(
              { instanceId: state.instanceId, webhookId: state.webhookId, url: displayUrl(state.url) },
              'webhook disabled after failing for 3 days',
            );
            await record(tx, state.instanceId, {
              type: 'webhook.disabled',
              data: {
                // Without credentials or query: the URL of a Teams or Slack webhook is itself a secret.
                webhook: { id: state.webhookId, url: displayUrl(state.url), description: state.description },
                reason: 'failing',
                failingSince: after.failingSince,
              },
              createdOn: now,
            });
          }
          continue;
        }
        const rest = restUntil(after.consecutiveFailures, Date.parse(after.failingSince), nowMs, this.random, this.delays);
        if (rest !== undefined) await repo.restWebhook(tx, state.instanceId, state.webhookId, new Date(rest).toISOString());
      }
      await repo.recordAttempts(tx, recorded);
      await repo.recordHandedAttempts(tx, handed);
      await repo.releaseClaims(tx, released);
    });
  }
}
