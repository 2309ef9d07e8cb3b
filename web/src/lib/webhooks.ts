import type { components } from './api.generated.js';
import { ALERT_EVENT_TYPES, TICKET_EVENT_TYPES, WEBHOOK_EVENT_TYPES } from '../../../src/domain/event-types.js';

/*
 * Webhooks as the web app shows them: the wire types (generated from the server's OpenAPI
 * document), the event types (the server's own list) and their names in words.
 */

type Schemas = components['schemas'];
export type Webhook = Schemas['IWebhook'];
export type WebhookFormat = Webhook['format'];
export type Delivery = Schemas['IWebhookDelivery'];
export type DeliveryAttempt = Schemas['IWebhookAttempt'];
export type DeliveryStatus = Delivery['status'];
export type FeedEvent = Schemas['IEvent'];

export const FORMAT_LABELS: Record<WebhookFormat, string> = {
  standard: 'Standard Webhooks (JSON)',
  teams: 'Microsoft Teams card',
  slack: 'Slack message',
};
export const FORMATS = Object.keys(FORMAT_LABELS) as WebhookFormat[];

export const EVENT_LABELS: Record<string, string> = {
  'ticket.created': 'Ticket created',
  'ticket.updated': 'Ticket fields changed',
  'ticket.statusChanged': 'Status changed',
  'ticket.commented': 'Comment or private note added',
  'ticket.assigned': 'Ticket assigned',
  'ticket.attachmentAdded': 'Attachment added',
  'sla.firstResponseBreached': 'First response target missed',
  'sla.resolutionBreached': 'Resolution target missed',
  'ticket.idle': 'Idle ticket',
  'ticket.dueSoon': 'Expected date soon',
  'ticket.overdue': 'Past its expected date',
  'webhook.disabled': 'A webhook was disabled',
  'webhook.test': 'Test delivery',
};
export const eventLabel = (type: string): string => EVENT_LABELS[type] ?? type;

/** The event picker's groups, from the server's list of types. */
export const EVENT_GROUPS: [string, readonly string[]][] = [
  ['Ticket changes', TICKET_EVENT_TYPES],
  ['Alerts', ALERT_EVENT_TYPES],
  ['Webhooks', WEBHOOK_EVENT_TYPES],
];

/** The engine's alerts: what the Alerts view lists. */
export const ALERT_TYPES: readonly string[] = ALERT_EVENT_TYPES;

/** An attempt in a line: "204 in 35 ms", "connection refused after 3 ms". */
export function describeAttempt(attempt: DeliveryAttempt): string {
  const outcome = attempt.statusCode !== null && attempt.error === null ? String(attempt.statusCode) : (attempt.error ?? `HTTP ${attempt.statusCode}`);
  return attempt.attempt === 0 ? outcome : `${outcome} after ${attempt.durationMs} ms`;
}

/** How an event's deliveries went, in words, for the Alerts view. */
export function deliverySummary(event: Pick<FeedEvent, 'deliveries'>): { text: string; tone: 'ok' | 'warn' | 'danger' | 'muted' } {
  const { pending, delivered, failed } = event.deliveries;
  const total = pending + delivered + failed;
  if (total === 0) return { text: 'No webhook subscribed', tone: 'muted' };
  const parts = [delivered && `${delivered} delivered`, pending && `${pending} pending`, failed && `${failed} failed`].filter(Boolean).join(', ');
  const tone = failed > 0 ? 'danger' : pending > 0 ? 'warn' : 'ok';
  return { text: total === 1 ? (failed ? 'Failed' : pending ? 'Pending (retrying)' : 'Delivered') : parts, tone };
}
