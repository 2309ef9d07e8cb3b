import { sql, type RawBuilder, type Selectable } from 'kysely';
import type { Delivery, DeliveryAttempt, DeliveryStatus, Webhook, WebhookFormat } from '../domain/webhooks.js';
import { executeCompiledOnce, queryCompiledOnce } from './compiled-once.js';
import type { Store, StoreDialect } from './dialect.js';
import type { Tx, WebhookDeliveriesTable, WebhooksTable } from './schema.js';

/*
 * Webhook subscriptions and their deliveries (migrations 013, 019). A delivery is one event to
 * one webhook, keyed (instance, webhook, event). Its row is written with the outcome of its first
 * attempt by the process its event was handed to (recordHandedAttempts), or queued due: in the
 * event's transaction by a process without a delivery worker, for a resting endpoint, or by the
 * sweep for an event whose process never recorded it (insertDeliveries, sweepDeliveries). Due
 * rows are found through the partial index on next_attempt_at, claimed with a lease, and given
 * their outcome after the attempt. Its attempts are a JSON list on the row.
 */

type WebhookRow = Selectable<WebhooksTable>;
type DeliveryRow = Selectable<WebhookDeliveriesTable>;

export interface StoredWebhook extends Webhook {
  secret: string;
  consecutiveFailures: number;
  blockedUntil: string | null;
}

function toWebhook(row: Omit<WebhookRow, 'swept_tx_id' | 'swept_seq'>): StoredWebhook {
  return {
    id: row.id,
    url: row.url,
    events: JSON.parse(row.events) as string[],
    format: row.format as WebhookFormat,
    includePrivate: row.include_private === 1,
    enabled: row.enabled === 1,
    description: row.description,
    createdOn: row.created_on,
    lastUpdatedOn: row.updated_on,
    disabledReason: row.disabled_reason,
    failingSince: row.failing_since,
    secret: row.secret,
    consecutiveFailures: row.consecutive_failures,
    blockedUntil: row.blocked_until,
  };
}

/** The columns a webhook's owner sets, as written on creation and on every change. */
function settingsColumns(webhook: StoredWebhook) {
  return {
    url: webhook.url,
    events: JSON.stringify(webhook.events),
    format: webhook.format,
    include_private: webhook.includePrivate ? 1 : 0,
    enabled: webhook.enabled ? 1 : 0,
    description: webhook.description,
    updated_on: webhook.lastUpdatedOn,
  };
}

export async function insertWebhook(db: Tx, instanceId: string, webhook: StoredWebhook): Promise<void> {
  await db
    .insertInto('webhooks')
    .values({
      instance_id: instanceId,
      id: webhook.id,
      ...settingsColumns(webhook),
      secret: webhook.secret,
      created_on: webhook.createdOn,
      disabled_reason: null,
      failing_since: null,
      consecutive_failures: 0,
      blocked_until: null,
      // It gets the events written from now on (decision 027).
      swept_tx_id: feedEnd(instanceId, 'tx_id'),
      swept_seq: feedEnd(instanceId, 'seq'),
    })
    .execute();
}

export async function listWebhooks(db: Tx, instanceId: string): Promise<StoredWebhook[]> {
  const rows = await db.selectFrom('webhooks').selectAll().where('instance_id', '=', instanceId).orderBy('created_on').orderBy('id').execute();
  return rows.map(toWebhook);
}

export async function findWebhook(
  db: Tx,
  dialect: StoreDialect,
  instanceId: string,
  id: string,
  options: { forUpdate?: boolean } = {},
): Promise<StoredWebhook | undefined> {
  let query = db.selectFrom('webhooks').selectAll().where('instance_id', '=', instanceId).where('id', '=', id);
  if (options.forUpdate && dialect.supportsRowLocks) query = query.forUpdate();
  const row = await query.executeTakeFirst();
  return row && toWebhook(row);
}

/** Writes a webhook's settings (and, with them, its health: re-enabling starts it afresh). */
export async function updateWebhook(db: Tx, instanceId: string, webhook: StoredWebhook): Promise<void> {
  await db
    .updateTable('webhooks')
    .set({
      ...settingsColumns(webhook),
      disabled_reason: webhook.disabledReason,
      failing_since: webhook.failingSince,
      consecutive_failures: webhook.consecutiveFailures,
      blocked_until: webhook.blockedUntil,
    })
    .where('instance_id', '=', instanceId)
    .where('id', '=', webhook.id)
    .execute();
}

/** Deletes a webhook and its deliveries (their log goes with it). */
export async function deleteWebhook(db: Tx, instanceId: string, id: string): Promise<void> {
  await db.deleteFrom('webhook_deliveries').where('instance_id', '=', instanceId).where('webhook_id', '=', id).execute();
  await db.deleteFrom('webhooks').where('instance_id', '=', instanceId).where('id', '=', id).execute();
}

const WEBHOOK_COLUMNS = [
  'instance_id',
  'id',
  'url',
  'events',
  'format',
  'include_private',
  'enabled',
  'description',
  'secret',
  'created_on',
  'updated_on',
  'disabled_reason',
  'failing_since',
  'consecutive_failures',
  'blocked_until',
] as const;

/** The instance's enabled webhooks, read on the store's read connection (the delivery worker's, once per batch of events). */
export async function readEnabledWebhooks(store: Store, instanceId: string): Promise<StoredWebhook[]> {
  const query = store.db.selectFrom('webhooks').select(WEBHOOK_COLUMNS).where('instance_id', '=', instanceId).where('enabled', '=', 1).compile();
  return (await store.readRows(query)).map((values) => {
    const row = Object.fromEntries(WEBHOOK_COLUMNS.map((column, i) => [column, values[i]])) as Omit<WebhookRow, 'swept_tx_id' | 'swept_seq'>;
    // toWebhook compares flags with === 1: numbers, whatever a raw row holds.
    return toWebhook({
      ...row,
      include_private: Number(row.include_private),
      enabled: Number(row.enabled),
      consecutive_failures: Number(row.consecutive_failures),
    });
  });
}

/** The instance's enabled webhooks, read in the transaction of a write whose events they may get. */
export async function enabledWebhooks(db: Tx, instanceId: string): Promise<StoredWebhook[]> {
  const rows = await queryCompiledOnce<WebhookRow>(db, 'enabledWebhooks', [instanceId], () => {
    return sql`SELECT * FROM webhooks WHERE instance_id = ${instanceId} AND enabled = 1`;
  });
  return rows.map(toWebhook);
}

/** A delivery queued due: with its event (a process without a delivery worker), or by the worker for a resting endpoint. */
export interface NewDelivery {
  webhookId: string;
  eventId: string;
  eventType: string;
  nextAttemptAt: string;
}

/**
 * Queues due deliveries in one statement (compiled once per row count); one that has a row
 * already is left as it is.
 */
export async function insertDeliveries(db: Tx, instanceId: string, deliveries: readonly NewDelivery[], now: string, retryUntil: string): Promise<void> {
  if (deliveries.length === 0) return;
  const parameters = deliveries.flatMap((d) => [instanceId, d.webhookId, d.eventId, d.eventType, d.nextAttemptAt, retryUntil, now]);
  await executeCompiledOnce(db, `insertDeliveries:${deliveries.length}`, parameters, () => {
    const rows = [];
    for (let i = 0; i < parameters.length; i += 7)
      rows.push(sql`(${sql.join(parameters.slice(i, i + 4))}, 0, 'pending', '[]', ${sql.join(parameters.slice(i + 4, i + 7))})`);
    // A row may be there already: the outcome of a send, or the sweep's (webhook-sweep below).
    return sql`INSERT INTO webhook_deliveries (instance_id, webhook_id, event_id, event_type, attempts, status, attempt_log, next_attempt_at, retry_until, created_on)
      VALUES ${sql.join(rows)} ON CONFLICT (instance_id, webhook_id, event_id) DO NOTHING`;
  });
}

/**
 * A delivery that is not of a feed event (a test), claimed by its maker to be sent at once: its
 * data is kept on the row, its first attempt counted and leased until `leaseUntil`.
 */
export async function insertDetachedDelivery(
  db: Tx,
  instanceId: string,
  delivery: { webhookId: string; eventId: string; eventType: string; payload: Record<string, unknown>; now: string; leaseUntil: string },
): Promise<void> {
  await db
    .insertInto('webhook_deliveries')
    .values({
      instance_id: instanceId,
      webhook_id: delivery.webhookId,
      event_id: delivery.eventId,
      event_type: delivery.eventType,
      payload: JSON.stringify(delivery.payload),
      status: 'pending',
      attempts: 1,
      attempt_log: '[]',
      next_attempt_at: delivery.leaseUntil,
      retry_until: delivery.now,
      created_on: delivery.now,
      finished_on: null,
    })
    .execute();
}

function toDelivery(
  row: Pick<DeliveryRow, 'webhook_id' | 'event_id' | 'event_type' | 'status' | 'attempts' | 'attempt_log' | 'next_attempt_at' | 'created_on' | 'finished_on'>,
): Delivery {
  const attempts = JSON.parse(row.attempt_log) as DeliveryAttempt[];
  const last = attempts[attempts.length - 1];
  return {
    id: row.event_id,
    webhookId: row.webhook_id,
    eventId: row.event_id,
    eventType: row.event_type,
    status: row.status as DeliveryStatus,
    attemptCount: row.attempts,
    attempts,
    nextAttemptOn: row.status === 'pending' ? row.next_attempt_at : null,
    createdOn: row.created_on,
    finishedOn: row.finished_on,
    lastStatusCode: last?.statusCode ?? null,
    lastError: last?.error ?? null,
  };
}

const DELIVERY_COLUMNS = ['webhook_id', 'event_id', 'event_type', 'status', 'attempts', 'attempt_log', 'next_attempt_at', 'created_on', 'finished_on'] as const;

export async function findDelivery(db: Tx, instanceId: string, webhookId: string, eventId: string): Promise<Delivery | undefined> {
  const row = await db
    .selectFrom('webhook_deliveries')
    .select(DELIVERY_COLUMNS)
    .where('instance_id', '=', instanceId)
    .where('webhook_id', '=', webhookId)
    .where('event_id', '=', eventId)
    .executeTakeFirst();
  return row && toDelivery(row);
}

/**
 * A page of a webhook's deliveries, newest first (event ids are UUID v7: their order is the
 * order events were made), read on the store's read connection. Reads `limit + 1`.
 */
export async function listDeliveries(
  store: Store,
  instanceId: string,
  webhookId: string,
  query: { before?: string | undefined; status?: DeliveryStatus | undefined; limit: number },
): Promise<{ deliveries: Delivery[]; more: boolean }> {
  let select = store.db.selectFrom('webhook_deliveries').select(DELIVERY_COLUMNS).where('instance_id', '=', instanceId).where('webhook_id', '=', webhookId);
  if (query.before !== undefined) select = select.where('event_id', '<', query.before);
  if (query.status !== undefined) select = select.where('status', '=', query.status);
  const rows = await store.readRows(
    select
      .orderBy('event_id', 'desc')
      .limit(query.limit + 1)
      .compile(),
  );
  const deliveries = rows.slice(0, query.limit).map((r) =>
    toDelivery({
      webhook_id: r[0] as string,
      event_id: r[1] as string,
      event_type: r[2] as string,
      status: r[3] as string,
      attempts: Number(r[4]),
      attempt_log: r[5] as string,
      next_attempt_at: r[6] as string | null,
      created_on: r[7] as string,
      finished_on: r[8] as string | null,
    }),
  );
  return { deliveries, more: rows.length > query.limit };
}

/** Queues a delivery again, due now, with a fresh retry window; its attempts so far stay in its log. */
export async function requeueDelivery(db: Tx, instanceId: string, webhookId: string, eventId: string, now: string, retryUntil: string): Promise<void> {
  await db
    .updateTable('webhook_deliveries')
    .set({ status: 'pending', next_attempt_at: now, retry_until: retryUntil, finished_on: null })
    .where('instance_id', '=', instanceId)
    .where('webhook_id', '=', webhookId)
    .where('event_id', '=', eventId)
    .execute();
}

/** For each of these events of the instance: its deliveries' statuses and when the last one finished. */
export async function deliveryStates(
  store: Store,
  instanceId: string,
  eventIds: readonly string[],
): Promise<Map<string, { status: DeliveryStatus; finishedOn: string | null }[]>> {
  const states = new Map<string, { status: DeliveryStatus; finishedOn: string | null }[]>();
  if (eventIds.length === 0) return states;
  const query = store.db
    .selectFrom('webhook_deliveries')
    .select(['event_id', 'status', 'finished_on'])
    .where('instance_id', '=', instanceId)
    // The key leads with the webhook: naming the instance's (few) webhooks lets the lookup use it.
    .where('webhook_id', 'in', (eb) => eb.selectFrom('webhooks').select('id').where('instance_id', '=', instanceId))
    .where('event_id', 'in', [...eventIds])
    .compile();
  for (const [eventId, status, finishedOn] of await store.readRows(query)) {
    const list = states.get(eventId as string) ?? [];
    list.push({ status: status as DeliveryStatus, finishedOn: finishedOn as string | null });
    states.set(eventId as string, list);
  }
  return states;
}

// ------------------------------------------------------------------------------------------
// The delivery worker's side

/** Whether any delivery is due: a cheap read, so an idle poll writes nothing. */
export async function hasDueDelivery(store: Store, now: string): Promise<boolean> {
  const query = store.db.selectFrom('webhook_deliveries').select('event_id').where('next_attempt_at', '<=', now).limit(1).compile();
  return (await store.readRows(query)).length > 0;
}

export interface DueDelivery {
  instanceId: string;
  webhookId: string;
  eventId: string;
  eventType: string;
  attempts: number;
  attemptLog: DeliveryAttempt[];
  retryUntil: string;
  /** The event's data and time (from the feed, or kept on the row for a test). */
  payload: Record<string, unknown> | null;
  eventCreatedOn: string | null;
  webhook: StoredWebhook | null;
}

/**
 * The oldest due deliveries, locked for this transaction (PostgreSQL: SKIP LOCKED, so several
 * processes take different ones; SQLite: the write transaction is exclusive), with their webhook
 * and event. The caller leases, postpones or ends each one before the transaction commits.
 */
export async function selectDueDeliveries(db: Tx, dialect: StoreDialect, now: string, limit: number): Promise<DueDelivery[]> {
  let query = db
    .selectFrom('webhook_deliveries as d')
    .leftJoin('webhooks as w', (join) => join.onRef('w.instance_id', '=', 'd.instance_id').onRef('w.id', '=', 'd.webhook_id'))
    .leftJoin('events as e', (join) => join.onRef('e.instance_id', '=', 'd.instance_id').onRef('e.id', '=', 'd.event_id'))
    .select([
      'd.instance_id',
      'd.webhook_id',
      'd.event_id',
      'd.event_type',
      'd.attempts',
      'd.attempt_log',
      'd.retry_until',
      'd.payload',
      'd.created_on',
      'e.payload as event_payload',
      'e.created_on as event_created_on',
      'w.id as w_id',
      'w.url',
      'w.events',
      'w.format',
      'w.include_private',
      'w.enabled',
      'w.description',
      'w.secret',
      'w.created_on as w_created_on',
      'w.updated_on',
      'w.disabled_reason',
      'w.failing_since',
      'w.consecutive_failures',
      'w.blocked_until',
    ])
    .where('d.next_attempt_at', '<=', now)
    .orderBy('d.next_attempt_at')
    .limit(limit);
  if (dialect.supportsRowLocks) query = query.forUpdate(['d']).skipLocked();
  const rows = await query.execute();
  // A batch is mostly one webhook's: read each webhook once.
  const webhooks = new Map<string, StoredWebhook>();
  const webhookOf = (r: (typeof rows)[number]): StoredWebhook => {
    const key = `${r.instance_id}/${r.w_id}`;
    let webhook = webhooks.get(key);
    if (!webhook) {
      webhook = toWebhook({
        instance_id: r.instance_id,
        id: r.w_id!,
        url: r.url!,
        events: r.events!,
        format: r.format!,
        include_private: r.include_private!,
        enabled: r.enabled!,
        description: r.description,
        secret: r.secret!,
        created_on: r.w_created_on!,
        updated_on: r.updated_on!,
        disabled_reason: r.disabled_reason,
        failing_since: r.failing_since,
        consecutive_failures: r.consecutive_failures!,
        blocked_until: r.blocked_until,
      });
      webhooks.set(key, webhook);
    }
    return webhook;
  };
  return rows.map((r) => ({
    instanceId: r.instance_id,
    webhookId: r.webhook_id,
    eventId: r.event_id,
    eventType: r.event_type,
    attempts: r.attempts,
    attemptLog: JSON.parse(r.attempt_log) as DeliveryAttempt[],
    retryUntil: r.retry_until,
    payload: r.payload !== null ? JSON.parse(r.payload) : r.event_payload !== null ? JSON.parse(r.event_payload) : null,
    eventCreatedOn: r.payload !== null ? r.created_on : r.event_created_on,
    webhook: r.w_id === null ? null : webhookOf(r),
  }));
}

type DeliveryKey = Pick<DueDelivery, 'instanceId' | 'webhookId' | 'eventId'>;

const keyList = (keys: readonly DeliveryKey[]) => sql.join(keys.map((k) => sql`(${k.instanceId}, ${k.webhookId}, ${k.eventId})`));

/**
 * Leases claimed deliveries: one more attempt counted, and due again only when the lease ends,
 * so a process that dies while sending leaves them to be sent again (with the same webhook-id)
 * and no other process takes them meanwhile.
 */
export async function leaseDeliveries(db: Tx, keys: readonly DeliveryKey[], leaseUntil: string): Promise<void> {
  if (keys.length === 0) return;
  await sql`UPDATE webhook_deliveries SET attempts = attempts + 1, next_attempt_at = ${leaseUntil}
    WHERE (instance_id, webhook_id, event_id) IN (VALUES ${keyList(keys)})`.execute(db);
}

/**
 * Gives back the attempt claims counted for deliveries that were not sent (too late in their
 * lease): each only if the claim still holds it. Due again when the lease ends, as it was.
 */
export async function releaseClaims(db: Tx, claims: readonly { key: DeliveryKey; attempts: number }[]): Promise<void> {
  for (const { key, attempts } of claims)
    await db
      .updateTable('webhook_deliveries')
      .set((eb) => ({ attempts: eb('attempts', '-', 1) }))
      .where('instance_id', '=', key.instanceId)
      .where('webhook_id', '=', key.webhookId)
      .where('event_id', '=', key.eventId)
      .where('attempts', '=', attempts)
      .where('status', '=', 'pending')
      .execute();
}

/** Moves a due delivery to later without an attempt (its endpoint is resting). */
export async function postponeDelivery(db: Tx, key: DeliveryKey, until: string): Promise<void> {
  await db
    .updateTable('webhook_deliveries')
    .set({ next_attempt_at: until })
    .where('instance_id', '=', key.instanceId)
    .where('webhook_id', '=', key.webhookId)
    .where('event_id', '=', key.eventId)
    .execute();
}

export interface AttemptOutcome {
  /** The attempt count its claim set: the claim's token. */
  attempts: number;
  status: DeliveryStatus;
  nextAttemptAt: string | null;
  attemptLog: DeliveryAttempt[];
  finishedOn: string | null;
}

/**
 * Ends or reschedules deliveries after their attempts, in one statement, each only if this
 * process still holds it: `attempts` is the count its claim set, so an outcome that arrives after
 * the lease ended and another process claimed it again changes nothing. `nextAttemptAt` null: it
 * is over (status says how).
 */
export async function recordAttempts(db: Tx, outcomes: readonly (AttemptOutcome & { key: DeliveryKey })[]): Promise<void> {
  if (outcomes.length === 0) return;
  // Numbers travel as text (an untyped parameter is text on PostgreSQL) and are cast where compared.
  const parameters = outcomes.flatMap((o) => [
    o.key.instanceId,
    o.key.webhookId,
    o.key.eventId,
    String(o.attempts),
    o.status,
    o.nextAttemptAt,
    JSON.stringify(o.attemptLog),
    o.finishedOn,
  ]);
  // Every batch of outcomes runs this: compiled once per batch size (compiled-once.ts).
  await executeCompiledOnce(db, `recordAttempts:${outcomes.length}`, parameters, () => {
    const rows = [];
    for (let i = 0; i < parameters.length; i += 8) rows.push(sql`(${sql.join(parameters.slice(i, i + 8))})`);
    // A CTE names the VALUES' columns the same way on both stores.
    return sql`WITH outcome (instance_id, webhook_id, event_id, attempts, status, next_attempt_at, attempt_log, finished_on) AS (VALUES ${sql.join(rows)})
      UPDATE webhook_deliveries SET status = outcome.status, next_attempt_at = outcome.next_attempt_at, attempt_log = outcome.attempt_log, finished_on = outcome.finished_on
      FROM outcome
      WHERE webhook_deliveries.instance_id = outcome.instance_id AND webhook_deliveries.webhook_id = outcome.webhook_id
        AND webhook_deliveries.event_id = outcome.event_id AND webhook_deliveries.attempts = CAST(outcome.attempts AS INTEGER)`;
  });
}

/** Ends a delivery without an attempt (its webhook is disabled or gone, or its event is). */
export async function abandonDelivery(db: Tx, key: DeliveryKey, reason: string, attemptLog: DeliveryAttempt[], now: string): Promise<void> {
  const log: DeliveryAttempt[] = [...attemptLog, { attempt: 0, createdOn: now, durationMs: 0, statusCode: null, error: reason, response: null }];
  await db
    .updateTable('webhook_deliveries')
    .set({ status: 'failed', next_attempt_at: null, finished_on: now, attempt_log: JSON.stringify(log) })
    .where('instance_id', '=', key.instanceId)
    .where('webhook_id', '=', key.webhookId)
    .where('event_id', '=', key.eventId)
    .execute();
}

/** A success: the webhook is healthy again (written only when it was not). Every batch of outcomes runs this: compiled once. */
export async function noteWebhookSuccess(db: Tx, instanceId: string, webhookId: string): Promise<void> {
  await executeCompiledOnce(db, 'noteWebhookSuccess', [instanceId, webhookId], () => {
    return sql`UPDATE webhooks SET failing_since = NULL, consecutive_failures = 0, blocked_until = NULL
      WHERE instance_id = ${instanceId} AND id = ${webhookId} AND (consecutive_failures > 0 OR failing_since IS NOT NULL)`;
  });
}

/** Failures: counts them and answers the webhook's health after them (undefined: it is gone). */
export async function noteWebhookFailures(
  db: Tx,
  instanceId: string,
  webhookId: string,
  failures: number,
  firstFailure: string,
): Promise<{ consecutiveFailures: number; failingSince: string; enabled: boolean } | undefined> {
  const row = await db
    .updateTable('webhooks')
    .set((eb) => ({ consecutive_failures: eb('consecutive_failures', '+', failures), failing_since: eb.fn.coalesce('failing_since', eb.val(firstFailure)) }))
    .where('instance_id', '=', instanceId)
    .where('id', '=', webhookId)
    .returning(['consecutive_failures', 'failing_since', 'enabled'])
    .executeTakeFirst();
  return row && { consecutiveFailures: row.consecutive_failures, failingSince: row.failing_since!, enabled: row.enabled === 1 };
}

export async function restWebhook(db: Tx, instanceId: string, webhookId: string, until: string): Promise<void> {
  await db.updateTable('webhooks').set({ blocked_until: until }).where('instance_id', '=', instanceId).where('id', '=', webhookId).execute();
}

/** Disables a webhook that kept failing; answers whether it was enabled until now. */
export async function disableFailingWebhook(db: Tx, instanceId: string, webhookId: string, now: string): Promise<boolean> {
  const result = await db
    .updateTable('webhooks')
    .set({ enabled: 0, disabled_reason: 'failing', blocked_until: null, updated_on: now })
    .where('instance_id', '=', instanceId)
    .where('id', '=', webhookId)
    .where('enabled', '=', 1)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** The outcome of a delivery a write handed to its process's worker: it has no row yet (or the sweep's, not sent). */
export interface HandedOutcome extends AttemptOutcome {
  key: DeliveryKey;
  eventType: string;
  retryUntil: string;
  /** The event's time. */
  createdOn: string;
}

/**
 * Writes the rows of handed deliveries with their first outcome, in one statement. A row the
 * sweep queued meanwhile (attempts 0: not claimed yet) takes the outcome, so it is not sent
 * again; one a claim holds or has finished (attempts ≥ 1) is left to it.
 */
export async function recordHandedAttempts(db: Tx, outcomes: readonly HandedOutcome[]): Promise<void> {
  if (outcomes.length === 0) return;
  const parameters = outcomes.flatMap((o) => [
    o.key.instanceId,
    o.key.webhookId,
    o.key.eventId,
    o.eventType,
    o.attempts,
    o.status,
    JSON.stringify(o.attemptLog),
    o.nextAttemptAt,
    o.retryUntil,
    o.createdOn,
    o.finishedOn,
  ]);
  await executeCompiledOnce(db, `recordHandedAttempts:${outcomes.length}`, parameters, () => {
    const rows = [];
    for (let i = 0; i < parameters.length; i += 11) rows.push(sql`(${sql.join(parameters.slice(i, i + 11))})`);
    return sql`INSERT INTO webhook_deliveries (instance_id, webhook_id, event_id, event_type, attempts, status, attempt_log, next_attempt_at, retry_until, created_on, finished_on)
      VALUES ${sql.join(rows)}
      ON CONFLICT (instance_id, webhook_id, event_id) DO UPDATE SET attempts = excluded.attempts, status = excluded.status,
        attempt_log = excluded.attempt_log, next_attempt_at = excluded.next_attempt_at, finished_on = excluded.finished_on
      WHERE webhook_deliveries.attempts = 0`;
  });
}

// ------------------------------------------------------------------------------------------
// The sweep: due rows for the events a webhook has none for, once no process can still be
// sending them (docs/decisions/027-webhook-sweep.md).

/** Where a webhook's sweep is in the feed: (tx_id, seq). */
export type SweptPosition = [number, number];

/** A webhook whose sweep has work: the first event after its position is older than `cutoff`. */
export interface SweepTarget {
  instanceId: string;
  webhookId: string;
  events: string[];
  position: SweptPosition;
}

/**
 * The position of the instance's newest committed event, whatever the feed's horizon: a webhook
 * starting there gets no event committed before it (on PostgreSQL, one committed by a transaction
 * newer than a transaction still running would be past the horizon's end). An event of a
 * transaction still running with an older id can fall before it: that one is sent only if the
 * process that wrote it is alive to hand it over (decision 027).
 */
function feedEnd(instanceId: string | RawBuilder<string>, column: 'tx_id' | 'seq'): RawBuilder<number> {
  return sql<number>`COALESCE((SELECT e.${sql.ref(column)} FROM events e WHERE e.instance_id = ${instanceId} ORDER BY e.tx_id DESC, e.seq DESC LIMIT 1), 0)`;
}

/** Sets a webhook's sweep position to the end of its instance's feed: enabled again, it gets the events written from now on. */
export async function sweepFromFeedEnd(db: Tx, instanceId: string, webhookId: string): Promise<void> {
  await sql`UPDATE webhooks SET swept_tx_id = ${feedEnd(instanceId, 'tx_id')}, swept_seq = ${feedEnd(instanceId, 'seq')}
    WHERE instance_id = ${instanceId} AND id = ${webhookId}`.execute(db);
}

/** Gives webhooks without a sweep position (written by a server that did not know it) the end of their instance's feed. */
export async function positionUnsweptWebhooks(db: Tx): Promise<void> {
  const instance = sql<string>`webhooks.instance_id`;
  await sql`UPDATE webhooks SET swept_tx_id = ${feedEnd(instance, 'tx_id')}, swept_seq = ${feedEnd(instance, 'seq')}
    WHERE swept_tx_id IS NULL OR swept_seq IS NULL`.execute(db);
}

/*
 * "After a position" is written as two index seeks, the rest of the position's transaction and
 * then later transactions, never as the row value `(tx_id, seq) > (a, b)`: SQLite seeks on its
 * first column only, and as tx_id is always 0 there, that read every event of the instance
 * (bench/sweep-cost.ts: 24 µs per event swept at 100,000 events, growing with the feed).
 */

function sweepTargetsQuery(dialect: StoreDialect, cutoff: string, limit: number) {
  const horizon = sql.raw(dialect.eventHorizon);
  return sql`SELECT w.instance_id, w.id, w.events, w.swept_tx_id, w.swept_seq FROM webhooks w
    WHERE w.enabled = 1 AND COALESCE(
      (SELECT e.created_on FROM events e
        WHERE e.instance_id = w.instance_id AND e.tx_id = w.swept_tx_id AND e.seq > w.swept_seq AND e.tx_id < ${horizon}
        ORDER BY e.seq LIMIT 1),
      (SELECT e.created_on FROM events e
        WHERE e.instance_id = w.instance_id AND e.tx_id > w.swept_tx_id AND e.tx_id < ${horizon}
        ORDER BY e.tx_id, e.seq LIMIT 1)) < ${cutoff}
    LIMIT ${limit}`;
}

/**
 * What the sweep has to do, if anything: events to sweep, webhooks without a position yet (to be
 * given one first: positionUnsweptWebhooks), or both. A read on the store's read connection, so
 * an idle look writes nothing.
 */
export async function sweepWork(store: Store, cutoff: string): Promise<{ unpositioned: boolean } | undefined> {
  const unpositioned = sql`SELECT 1 FROM webhooks w WHERE w.swept_tx_id IS NULL OR w.swept_seq IS NULL`;
  const query = sql`SELECT EXISTS (${sweepTargetsQuery(store.dialect, cutoff, 1)}), EXISTS (${unpositioned})`;
  // 0 or 1 from SQLite, false or true from PostgreSQL.
  const [targets, unpositionedFound] = (await store.readRows(query.compile(store.db)))[0]!.map((value) => Number(value) === 1);
  return targets || unpositionedFound ? { unpositioned: unpositionedFound! } : undefined;
}

/**
 * Enabled webhooks whose next event after their sweep position was written before `cutoff`,
 * locked for this transaction (PostgreSQL: SKIP LOCKED, so processes sweep different ones). The
 * next event is one index seek past the position: an idle look reads one entry per webhook.
 */
export async function selectSweepTargets(db: Tx, dialect: StoreDialect, cutoff: string, limit: number): Promise<SweepTarget[]> {
  const lock = dialect.supportsRowLocks ? sql` FOR UPDATE SKIP LOCKED` : sql``;
  const { rows } = await sql<{ instance_id: string; id: string; events: string; swept_tx_id: number | string; swept_seq: number | string }>`
    ${sweepTargetsQuery(dialect, cutoff, limit)}${lock}`.execute(db);
  return rows.map((r) => ({
    instanceId: r.instance_id,
    webhookId: r.id,
    events: JSON.parse(r.events) as string[],
    position: [Number(r.swept_tx_id), Number(r.swept_seq)],
  }));
}

/** Up to `limit` of the instance's events after `position` in feed order, that readers of the feed can see: their position and time. */
export async function eventsAfter(
  db: Tx,
  dialect: StoreDialect,
  instanceId: string,
  position: SweptPosition,
  limit: number,
): Promise<{ position: SweptPosition; createdOn: string }[]> {
  const horizon = sql.raw(dialect.eventHorizon);
  type Row = { tx_id: number | string; seq: number | string; created_on: string };
  const { rows } = await sql<Row>`SELECT tx_id, seq, created_on FROM events
    WHERE instance_id = ${instanceId} AND tx_id = ${position[0]} AND seq > ${position[1]} AND tx_id < ${horizon}
    ORDER BY seq LIMIT ${limit}`.execute(db);
  if (rows.length < limit) {
    const later = await sql<Row>`SELECT tx_id, seq, created_on FROM events
      WHERE instance_id = ${instanceId} AND tx_id > ${position[0]} AND tx_id < ${horizon}
      ORDER BY tx_id, seq LIMIT ${limit - rows.length}`.execute(db);
    rows.push(...later.rows);
  }
  return rows.map((r) => ({ position: [Number(r.tx_id), Number(r.seq)], createdOn: r.created_on }));
}

/**
 * Queues, due now, a delivery for each event in (from, to] the webhook subscribes to that has no
 * row, in one statement; moves the webhook's position to `to`.
 */
export async function sweepDeliveries(db: Tx, target: SweepTarget, to: SweptPosition, now: string, retryUntil: string): Promise<void> {
  const [[fromTx, fromSeq], [toTx, toSeq]] = [target.position, to];
  const types = target.events.includes('*') ? sql`` : sql` AND e.type IN (${sql.join(target.events)})`;
  // Each part of the range an index seek (see above): one transaction's, or the first's rest,
  // the transactions between, and the last's start.
  const parts =
    fromTx === toTx
      ? [sql`e.tx_id = ${fromTx} AND e.seq > ${fromSeq} AND e.seq <= ${toSeq}`]
      : [sql`e.tx_id = ${fromTx} AND e.seq > ${fromSeq}`, sql`e.tx_id > ${fromTx} AND e.tx_id < ${toTx}`, sql`e.tx_id = ${toTx} AND e.seq <= ${toSeq}`];
  for (const range of parts)
    await sql`INSERT INTO webhook_deliveries (instance_id, webhook_id, event_id, event_type, attempts, status, attempt_log, next_attempt_at, retry_until, created_on)
      SELECT e.instance_id, CAST(${target.webhookId} AS TEXT), e.id, e.type, 0, 'pending', '[]', CAST(${now} AS TEXT), CAST(${retryUntil} AS TEXT), e.created_on FROM events e
      WHERE e.instance_id = ${target.instanceId} AND ${range}${types}
      ON CONFLICT (instance_id, webhook_id, event_id) DO NOTHING`.execute(db);
  await sql`UPDATE webhooks SET swept_tx_id = ${to[0]}, swept_seq = ${to[1]} WHERE instance_id = ${target.instanceId} AND id = ${target.webhookId}`.execute(db);
}
