import type { EventEnvelope } from '../domain/events.js';
import { REST_AFTER_FAILURES, type DeliveryAttempt } from '../domain/webhooks.js';
import { afterCommit } from '../store/commit-signal.js';
import type { Db, Tx } from '../store/schema.js';
import { enabledWebhooks, insertDeliveries, type NewDelivery, type StoredWebhook } from '../store/webhooks.repo.js';

/*
 * Queuing an event's deliveries, in the event's transaction: a row per subscribed webhook. When
 * the writing process runs a delivery worker (the server does), the rows of healthy webhooks are
 * born claimed by it: attempt 1, leased, and handed to the worker in memory once the transaction
 * has committed, so the usual path — the worker finding them due, claiming them in a
 * transaction of its own, reading them back — is skipped. If the process dies before recording
 * the outcome, the lease runs out and any process claims them as any other (the same
 * webhook-id). docs/decisions/026-webhook-handoff.md.
 */

/** A delivery this process holds (leased) and is about to send. */
export interface ClaimedDelivery {
  key: { instanceId: string; webhookId: string; eventId: string };
  /** Attempts counted with this one: the claim's token. */
  attempts: number;
  attemptLog: DeliveryAttempt[];
  retryUntil: string;
  envelope: EventEnvelope;
  /** JSON.stringify(envelope.data), when the process has it at hand (a write's own events). */
  dataJson?: string;
  webhook: StoredWebhook;
}

/** A delivery handed to this process's worker, and when its lease ends. */
export interface HandedDelivery {
  claimed: ClaimedDelivery;
  leaseUntil: string;
}

/** The worker of this process for one store: how long a lease lasts, and where handed deliveries go. */
export interface HandoffSink {
  leaseEnd(now: string): string;
  accept(deliveries: HandedDelivery[]): void;
}

// Keyed by the store's adapter: the same object for the store and its transactions.
const sinks = new WeakMap<object, HandoffSink>();
const adapterOf = (db: Db | Tx): object => db.getExecutor().adapter;

/** Writes to the store `db` in this process hand their deliveries to `sink` from now on; answers the way to stop. */
export function acceptHandoffs(db: Db, sink: HandoffSink): () => void {
  sinks.set(adapterOf(db), sink);
  return () => {
    if (sinks.get(adapterOf(db)) === sink) sinks.delete(adapterOf(db));
  };
}

/** An event as recordAll wrote it. */
export interface RecordedEvent {
  id: string;
  type: string;
  payload: Record<string, unknown>;
  /** JSON.stringify(payload), as the feed row holds it. */
  payloadJson: string;
}

/**
 * Queues the events for every enabled webhook of the instance subscribed to their type. Answers
 * how many deliveries were queued due now (for the worker to look for), not counting those
 * handed to this process's worker.
 */
export async function queueDeliveries(tx: Tx, instanceId: string, events: readonly RecordedEvent[], createdOn: string, retryUntil: string): Promise<number> {
  const webhooks = await enabledWebhooks(tx, instanceId);
  if (webhooks.length === 0) return 0;
  const sink = sinks.get(adapterOf(tx));
  const leaseUntil = sink?.leaseEnd(createdOn);
  const rows: NewDelivery[] = [];
  const handed: HandedDelivery[] = [];
  for (const webhook of webhooks) {
    const all = webhook.events.includes('*');
    // A failing endpoint's deliveries go the usual way: the worker's claim lets it rest.
    const handOff = leaseUntil !== undefined && webhook.consecutiveFailures < REST_AFTER_FAILURES;
    for (const event of events) {
      if (!all && !webhook.events.includes(event.type)) continue;
      rows.push({
        webhookId: webhook.id,
        eventId: event.id,
        eventType: event.type,
        attempts: handOff ? 1 : 0,
        nextAttemptAt: handOff ? leaseUntil : createdOn,
      });
      if (handOff) {
        handed.push({
          claimed: {
            key: { instanceId, webhookId: webhook.id, eventId: event.id },
            attempts: 1,
            attemptLog: [],
            retryUntil,
            envelope: { type: event.type, timestamp: createdOn, data: event.payload },
            dataJson: event.payloadJson,
            webhook,
          },
          leaseUntil,
        });
      }
    }
  }
  await insertDeliveries(tx, instanceId, rows, createdOn, retryUntil);
  if (handed.length > 0) afterCommit(tx, () => sink!.accept(handed));
  return rows.length - handed.length;
}
