import { createHash } from 'node:crypto';
import { v4 as uuidv4, v7 as uuidv7 } from 'uuid';
import { decodeCursor, encodeCursor } from '../domain/cursor.js';
import { DomainError, FieldErrors, notFound } from '../domain/errors.js';
import { TEST_EVENT_TYPE } from '../domain/events.js';
import {
  checkWebhookInput,
  displayUrl,
  generateWebhookSecret,
  RETRY_WINDOW_MS,
  type Delivery,
  type DeliveryStatus,
  type Webhook,
  type WebhookFormat,
} from '../domain/webhooks.js';
import type { Store } from '../store/db.js';
import type { Tx } from '../store/schema.js';
import * as repo from '../store/webhooks.repo.js';
import type { WebhookDeliveries } from './webhook-delivery.service.js';
import { webhooksChanged } from './webhook-fanout.js';

/*
 * Webhook subscriptions of an instance (docs/api.md §13): create (the secret is shown once),
 * read, change, delete, test-fire, the delivery log, redelivery.
 */

export interface WebhookInput {
  url?: string;
  events?: string[];
  format?: WebhookFormat;
  includePrivate?: boolean;
  enabled?: boolean;
  description?: string | null;
}

export interface WebhooksDeps {
  store: Store;
  deliveries: WebhookDeliveries;
  tokenSecret: string;
  /** WEBHOOK_ALLOW_PRIVATE: URLs of private networks may be saved (and are sent to). */
  allowPrivate: boolean;
  /** Tells the delivery worker to look now (a redelivery is due at once). */
  wake?: () => void;
}

/** What the API shows of a stored webhook: never its secret. */
function present(webhook: repo.StoredWebhook): Webhook {
  const { secret: _secret, consecutiveFailures: _failures, blockedUntil: _blocked, ...shown } = webhook;
  return shown;
}

export class WebhooksService {
  constructor(private readonly deps: WebhooksDeps) {}

  private get now(): () => string {
    return this.deps.deliveries.now;
  }

  private tx<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    return this.deps.store.dialect.transaction(this.deps.store.db, fn);
  }

  private async load(tx: Tx, instanceId: string, id: string, forUpdate = false): Promise<repo.StoredWebhook> {
    const webhook = await repo.findWebhook(tx, this.deps.store.dialect, instanceId, id, { forUpdate });
    if (!webhook) throw notFound('Webhook');
    return webhook;
  }

  private check(input: WebhookInput): void {
    const errors = new FieldErrors();
    checkWebhookInput(input, { allowPrivate: this.deps.allowPrivate }, errors);
    errors.throwIfAny();
  }

  async list(instanceId: string): Promise<Webhook[]> {
    return (await repo.listWebhooks(this.deps.store.db, instanceId)).map(present);
  }

  async get(instanceId: string, id: string): Promise<Webhook> {
    return present(await this.load(this.deps.store.db, instanceId, id));
  }

  /** Creates a webhook; its secret is in this answer only. */
  async create(instanceId: string, input: WebhookInput & { url: string; events: string[] }): Promise<{ item: Webhook; secret: string }> {
    this.check(input);
    const now = this.now();
    const webhook: repo.StoredWebhook = {
      id: uuidv4(),
      url: input.url,
      events: [...new Set(input.events)],
      format: input.format ?? 'standard',
      includePrivate: input.includePrivate ?? false,
      enabled: input.enabled ?? true,
      description: input.description ?? null,
      createdOn: now,
      lastUpdatedOn: now,
      disabledReason: null,
      failingSince: null,
      secret: generateWebhookSecret(),
      consecutiveFailures: 0,
      blockedUntil: null,
    };
    await this.tx(async (tx) => {
      await repo.insertWebhook(tx, instanceId, webhook);
      webhooksChanged(tx, instanceId);
    });
    return { item: present(webhook), secret: webhook.secret };
  }

  /** Changes the given settings. Enabling a webhook starts it afresh: no rest, no failure streak. */
  async update(instanceId: string, id: string, input: WebhookInput): Promise<Webhook> {
    this.check(input);
    return this.tx(async (tx) => {
      const before = await this.load(tx, instanceId, id, true);
      const after: repo.StoredWebhook = { ...before };
      if (input.url !== undefined) after.url = input.url;
      if (input.events !== undefined) after.events = [...new Set(input.events)];
      if (input.format !== undefined) after.format = input.format;
      if (input.includePrivate !== undefined) after.includePrivate = input.includePrivate;
      if (input.description !== undefined) after.description = input.description;
      if (input.enabled !== undefined) after.enabled = input.enabled;
      if (after.enabled && !before.enabled) Object.assign(after, { disabledReason: null, failingSince: null, consecutiveFailures: 0, blockedUntil: null });
      if (JSON.stringify(after) === JSON.stringify(before)) return present(before);
      after.lastUpdatedOn = this.now();
      await repo.updateWebhook(tx, instanceId, after);
      // Enabled again: it gets the events from now on, not those written while it was off.
      if (after.enabled && !before.enabled) await repo.sweepFromFeedEnd(tx, instanceId, id);
      webhooksChanged(tx, instanceId);
      return present(after);
    });
  }

  /** Deletes a webhook and its delivery log; nothing more is sent to it. */
  async delete(instanceId: string, id: string): Promise<void> {
    await this.tx(async (tx) => {
      await this.load(tx, instanceId, id, true);
      await repo.deleteWebhook(tx, instanceId, id);
      webhooksChanged(tx, instanceId);
    });
  }

  /**
   * Sends a `webhook.test` event to the webhook now (even when disabled: it is how one checks an
   * endpoint before enabling it) and answers the delivery with its one attempt. It is in the
   * delivery log, not in the event feed, and is not retried unless redelivered.
   */
  async test(instanceId: string, id: string): Promise<Delivery> {
    const webhook = await this.load(this.deps.store.db, instanceId, id);
    const event = {
      id: uuidv7(),
      type: TEST_EVENT_TYPE,
      data: {
        webhook: { id: webhook.id, url: displayUrl(webhook.url), description: webhook.description },
        message: 'A test delivery: the webhook works when this arrives with a valid signature.',
      },
    };
    await this.deps.deliveries.sendNow(instanceId, webhook, event);
    return (await repo.findDelivery(this.deps.store.db, instanceId, id, event.id))!;
  }

  /** A page of the webhook's deliveries, newest first, each with its attempts. */
  async deliveries(
    instanceId: string,
    id: string,
    query: { limit: number; status?: DeliveryStatus | undefined; continuationToken?: string | undefined },
  ): Promise<{ items: Delivery[]; continuationToken: string | null }> {
    await this.load(this.deps.store.db, instanceId, id);
    const fingerprint = createHash('sha256')
      .update(JSON.stringify([instanceId, 'deliveries', id, query.status ?? null]))
      .digest('base64url')
      .slice(0, 22);
    const before = query.continuationToken ? String(decodeCursor(this.deps.tokenSecret, fingerprint, query.continuationToken).position[0]) : undefined;
    const page = await repo.listDeliveries(this.deps.store, instanceId, id, { before, status: query.status, limit: query.limit });
    const last = page.deliveries[page.deliveries.length - 1];
    const continuationToken = page.more && last ? encodeCursor(this.deps.tokenSecret, fingerprint, { position: [last.eventId], inclusive: false }) : null;
    return { items: page.deliveries, continuationToken };
  }

  /**
   * Queues a delivery again, due now, with a fresh 3-day retry window (same event, same
   * webhook-id). Its webhook must be enabled.
   */
  async redeliver(instanceId: string, id: string, deliveryId: string): Promise<Delivery> {
    const delivery = await this.tx(async (tx) => {
      const webhook = await this.load(tx, instanceId, id, true);
      const found = await repo.findDelivery(tx, instanceId, id, deliveryId);
      if (!found) throw notFound('Delivery');
      if (!webhook.enabled) throw new DomainError('conflict', 'The webhook is disabled: enable it (PUT with "enabled": true), then redeliver');
      const now = this.now();
      await repo.requeueDelivery(tx, instanceId, id, deliveryId, now, new Date(Date.parse(now) + RETRY_WINDOW_MS).toISOString());
      return (await repo.findDelivery(tx, instanceId, id, deliveryId))!;
    });
    this.deps.wake?.();
    return delivery;
  }
}
