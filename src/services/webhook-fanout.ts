import type { EventEnvelope } from '../domain/events.js';
import type { DeliveryAttempt } from '../domain/webhooks.js';
import { afterCommit } from '../store/commit-signal.js';
import type { Db, Tx } from '../store/schema.js';
import { enabledWebhooks, insertDeliveries, type NewDelivery, type StoredWebhook } from '../store/webhooks.repo.js';

/*
 * What a write does for its events' deliveries. When the writing process runs a delivery worker
 * (the server does), nothing in the write: its events are handed to the worker once the
 * transaction has committed, and the worker reads the webhooks, sends, and stores each
 * delivery's row with its outcome. If the process dies first, the sweep stores due rows for
 * events that have none once no process can still be sending them, and any process claims them
 * (the same webhook-id). A process without a worker (the CLI, tests on a fake clock) queues the
 * rows due, in the write. docs/decisions/026-webhook-handoff.md, 027-webhook-sweep.md.
 */

/** A delivery this process holds and is about to send. */
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
  /** Handed over by a write of this process: it has no row until its outcome is recorded. */
  handed?: true;
  /**
   * Until when (ms, the deliveries' clock) this process holds it: a claim's lease (a test-fire's
   * too), or a hand-off's (after it, the sweep queues it). It is not sent once too little is left.
   */
  leaseUntil: number;
}

/** An event as recordAll wrote it. */
export interface RecordedEvent {
  id: string;
  type: string;
  payload: Record<string, unknown>;
  /** JSON.stringify(payload), as the feed row holds it. */
  payloadJson: string;
}

/** The events one write committed, handed to its process's worker. */
export interface HandedEvents {
  instanceId: string;
  events: readonly RecordedEvent[];
  createdOn: string;
  retryUntil: string;
}

/** The worker of this process for one store: where committed events go, and news of changed webhooks. */
export interface HandoffSink {
  accept(handed: HandedEvents): void;
  webhooksChanged(instanceId: string): void;
}

// Keyed by the store's adapter: the same object for the store and its transactions.
const sinks = new WeakMap<object, HandoffSink>();
const adapterOf = (db: Db | Tx): object => db.getExecutor().adapter;

/** Writes to the store `db` in this process hand their events to `sink` from now on; answers the way to stop. */
export function acceptHandoffs(db: Db, sink: HandoffSink): () => void {
  sinks.set(adapterOf(db), sink);
  return () => {
    if (sinks.get(adapterOf(db)) === sink) sinks.delete(adapterOf(db));
  };
}

export const subscribes = (webhook: StoredWebhook, type: string): boolean => webhook.events.includes('*') || webhook.events.includes(type);

/**
 * The deliveries of a write's events: handed to this process's worker after the commit, or
 * queued due now for every enabled webhook of the instance subscribed to their type. Answers how
 * many were queued due (for the worker to look for).
 */
export async function queueDeliveries(tx: Tx, instanceId: string, events: readonly RecordedEvent[], createdOn: string, retryUntil: string): Promise<number> {
  const sink = sinks.get(adapterOf(tx));
  if (sink) {
    afterCommit(tx, () => sink.accept({ instanceId, events, createdOn, retryUntil }));
    return 0;
  }
  const webhooks = await enabledWebhooks(tx, instanceId);
  const rows: NewDelivery[] = [];
  for (const webhook of webhooks)
    for (const event of events)
      if (subscribes(webhook, event.type)) rows.push({ webhookId: webhook.id, eventId: event.id, eventType: event.type, nextAttemptAt: createdOn });
  await insertDeliveries(tx, instanceId, rows, createdOn, retryUntil);
  return rows.length;
}

/** After this transaction commits, this process's worker reads the instance's webhooks afresh. */
export function webhooksChanged(tx: Tx, instanceId: string): void {
  const sink = sinks.get(adapterOf(tx));
  if (sink) afterCommit(tx, () => sink.webhooksChanged(instanceId));
}
