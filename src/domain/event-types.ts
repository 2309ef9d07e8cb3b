/*
 * The names of events (docs/api.md §13), apart from how events are made (events.ts), so the web
 * app can list them without the server's modules.
 */

/** Changes to tickets, written by every ticket write. */
export const TICKET_EVENT_TYPES = [
  'ticket.created',
  'ticket.updated',
  'ticket.statusChanged',
  'ticket.commented',
  'ticket.assigned',
  'ticket.attachmentAdded',
] as const;
/** The help-desk engine's alerts (docs/decisions/007-help-desk-engine.md). */
export const ALERT_EVENT_TYPES = ['sla.firstResponseBreached', 'sla.resolutionBreached', 'ticket.idle', 'ticket.dueSoon', 'ticket.overdue'] as const;
/** About the webhooks themselves. */
export const WEBHOOK_EVENT_TYPES = ['webhook.disabled'] as const;
/** Every type a subscription may name (or "*" for all). */
export const EVENT_TYPES: readonly string[] = [...TICKET_EVENT_TYPES, ...ALERT_EVENT_TYPES, ...WEBHOOK_EVENT_TYPES];
/** What POST /instance/webhooks/{id}/test sends; never in the feed. */
export const TEST_EVENT_TYPE = 'webhook.test';
export const ALL_EVENTS = '*';
