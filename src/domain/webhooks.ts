import { createHmac, randomBytes } from 'node:crypto';
import { forbiddenAddress, hostAddress, isLocalName } from './addresses.js';
import { ALL_EVENTS, EVENT_TYPES, type EventEnvelope, withoutPrivateContent } from './events.js';
import type { FieldErrors } from './errors.js';
import type { IUser } from './ticket.js';

/*
 * Webhooks: what is sent, how it is signed, when it is tried again. Plain functions; the
 * delivery worker (src/jobs/webhook-worker.ts) and the webhooks service do the I/O.
 * docs/api.md §13 and docs/decisions/017-webhooks.md.
 */

export const WEBHOOK_FORMATS = ['standard', 'teams', 'slack'] as const;
export type WebhookFormat = (typeof WEBHOOK_FORMATS)[number];
export const DELIVERY_STATUSES = ['pending', 'delivered', 'failed'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/** A webhook as the API shows it (never with its secret). */
export interface Webhook {
  id: string;
  url: string;
  events: string[];
  format: WebhookFormat;
  includePrivate: boolean;
  enabled: boolean;
  description: string | null;
  createdOn: string;
  lastUpdatedOn: string;
  /** Why the server disabled it ("failing": every delivery failed for 3 days), or null. */
  disabledReason: string | null;
  /** Since when its deliveries fail (no success since), or null. */
  failingSince: string | null;
}

export interface DeliveryAttempt {
  attempt: number;
  createdOn: string;
  durationMs: number;
  /** The receiver's HTTP status, or null when none came (refused, timed out, …). */
  statusCode: number | null;
  error: string | null;
  /** The start of the receiver's answer (up to RESPONSE_EXCERPT characters). */
  response: string | null;
}

/** One event to one webhook, with every attempt; its id is the event's (the `webhook-id` header). */
export interface Delivery {
  id: string;
  webhookId: string;
  eventId: string;
  eventType: string;
  status: DeliveryStatus;
  attemptCount: number;
  attempts: DeliveryAttempt[];
  nextAttemptOn: string | null;
  createdOn: string;
  finishedOn: string | null;
  lastStatusCode: number | null;
  lastError: string | null;
}

// ------------------------------------------------------------------------------------------
// Secrets and signatures (Standard Webhooks)

export const WEBHOOK_SECRET_PREFIX = 'whsec_';

/** `whsec_` + 32 random bytes in base64: the Standard Webhooks form (the key is the decoded bytes). */
export const generateWebhookSecret = (): string => WEBHOOK_SECRET_PREFIX + randomBytes(32).toString('base64');

/** Secrets decoded once each: a busy webhook signs thousands of deliveries with the same key. */
const keys = new Map<string, Buffer>();

/**
 * The `webhook-signature` header: `v1,` + base64 HMAC-SHA256 of `id.timestamp.body`, keyed with
 * the base64-decoded part of the secret after `whsec_`.
 */
export function signatureHeader(secret: string, id: string, timestampSeconds: number, body: string): string {
  let key = keys.get(secret);
  if (!key) {
    key = Buffer.from(secret.slice(WEBHOOK_SECRET_PREFIX.length), 'base64');
    if (keys.size > 10_000) keys.clear();
    keys.set(secret, key);
  }
  const mac = createHmac('sha256', key).update(`${id}.${timestampSeconds}.`).update(body).digest('base64');
  return `v1,${mac}`;
}

// ------------------------------------------------------------------------------------------
// When to try again

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** Waits after the 1st, 2nd, … failed attempt; the last one repeats (daily). */
export const RETRY_DELAYS_MS: readonly number[] = [5 * SECOND, 30 * SECOND, 2 * MINUTE, 10 * MINUTE, HOUR, 6 * HOUR, DAY];
/** How long a delivery is tried (from its creation, or a manual redelivery). */
export const RETRY_WINDOW_MS = 3 * DAY;
/** A webhook none of whose deliveries succeeded for this long is disabled (with an event). */
export const DISABLE_AFTER_MS = 3 * DAY;
/** Consecutive failures after which the endpoint is given a rest: its other deliveries wait. */
export const REST_AFTER_FAILURES = 5;
/** The longest rest. */
export const REST_MAX_MS = HOUR;
/** How much of a receiver's answer the delivery log keeps. */
export const RESPONSE_EXCERPT = 256;
/** Attempts the delivery log keeps per delivery (the newest). */
export const ATTEMPTS_KEPT = 50;

/** ±20 %: retries of many deliveries that failed together spread out instead of arriving together. */
const jitter = (ms: number, random: () => number) => Math.round(ms * (0.8 + 0.4 * random()));

/**
 * When to try a delivery again after its `attempts`-th attempt failed at `now`, or null when its
 * window is over (it has failed). The last retry falls at the window's end.
 */
export function nextRetryAt(
  attempts: number,
  now: number,
  retryUntil: number,
  random: () => number,
  delays: readonly number[] = RETRY_DELAYS_MS,
): number | null {
  if (now >= retryUntil) return null;
  const delay = delays[Math.min(attempts, delays.length) - 1] ?? delays[0] ?? 0;
  return Math.min(now + jitter(delay, random), retryUntil);
}

/**
 * After `failures` consecutive failures (the first at `failingSince`), until when the endpoint
 * rests: as long as it has been failing (at least the first retry delay, at most REST_MAX_MS),
 * so a short outage costs a short pause and a long one is probed rarely. Undefined: no rest.
 */
export function restUntil(
  failures: number,
  failingSince: number,
  now: number,
  random: () => number,
  delays: readonly number[] = RETRY_DELAYS_MS,
): number | undefined {
  if (failures < REST_AFTER_FAILURES) return undefined;
  const rest = Math.min(REST_MAX_MS, Math.max(delays[0] ?? 0, now - failingSince));
  return now + jitter(rest, random);
}

// ------------------------------------------------------------------------------------------
// Subscriptions

/** Checks a webhook's URL, events and description; collects every problem. */
export function checkWebhookInput(
  input: { url?: string | undefined; events?: readonly string[] | undefined },
  options: { allowPrivate: boolean },
  errors: FieldErrors,
): void {
  if (input.url !== undefined) {
    const problem = urlProblem(input.url, options);
    if (problem) errors.add('/body/url', problem);
  }
  if (input.events !== undefined) {
    if (input.events.length === 0) errors.add('/body/events', 'name at least one event type, or "*" for all');
    input.events.forEach((name, i) => {
      if (name !== ALL_EVENTS && !EVENT_TYPES.includes(name))
        errors.add(`/body/events/${i}`, `unknown event type "${name}"; known: ${EVENT_TYPES.join(', ')} or "*"`);
    });
  }
}

/**
 * Why a URL cannot be a webhook's, or undefined. Names are resolved only when sending (and
 * checked again then, as DNS answers change); an IP address or a name of this machine is
 * checked now.
 */
export function urlProblem(url: string, options: { allowPrivate: boolean }): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'is not an absolute URL';
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return 'must be an http: or https: URL';
  if (options.allowPrivate) return undefined;
  const address = hostAddress(parsed.hostname);
  const reason = address ? forbiddenAddress(address) : isLocalName(parsed.hostname) ? 'a name of this machine' : undefined;
  return reason ? `points to ${reason}; webhooks may not reach private networks unless the operator sets WEBHOOK_ALLOW_PRIVATE=1` : undefined;
}

/** Whether a webhook subscribed to these types receives an event of `type`. */
export const subscribesTo = (events: readonly string[], type: string): boolean => events.includes(ALL_EVENTS) || events.includes(type);

/** A URL shown in logs and messages without its credentials or query (which may hold tokens). */
export function displayUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}${parsed.pathname.length > 1 ? '/…' : '/'}`;
  } catch {
    return '(invalid URL)';
  }
}

// ------------------------------------------------------------------------------------------
// Bodies

export interface RenderContext {
  /** The web app's URL (PUBLIC_URL): links to tickets. */
  publicUrl: string;
  includePrivate: boolean;
}

/**
 * The request body of one delivery, in the webhook's format. `dataJson`, when the caller has it,
 * is `JSON.stringify(envelope.data)` (the write has just serialized it for the feed): a
 * `standard` body is then put together around it rather than serializing the data again.
 */
export function renderBody(format: WebhookFormat, envelope: EventEnvelope, context: RenderContext, dataJson?: string): string {
  const data = context.includePrivate ? envelope.data : withoutPrivateContent(envelope.data);
  const event = { type: envelope.type, timestamp: envelope.timestamp, data };
  if (format === 'teams') return JSON.stringify(teamsCard(event, context));
  if (format === 'slack') return JSON.stringify(slackMessage(event, context));
  if (dataJson !== undefined && data === envelope.data)
    return `{"type":${JSON.stringify(event.type)},"timestamp":${JSON.stringify(event.timestamp)},"data":${dataJson}}`;
  return JSON.stringify(event);
}

interface TicketData {
  id?: string;
  ticketId?: number;
  title?: string;
  status?: string;
  priority?: string;
  assignee?: IUser | null;
  requestor?: IUser | null;
}

const person = (user: unknown): string => (user && typeof user === 'object' ? String((user as IUser).name || (user as IUser).email || (user as IUser).id) : '');
const clip = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

/** What happened, in a line: the card's and the message's headline. */
export function headline(event: EventEnvelope): string {
  const d = event.data;
  const ticket = (d.ticket ?? {}) as TicketData;
  const n = ticket.ticketId !== undefined ? `#${ticket.ticketId}` : '';
  switch (event.type) {
    case 'ticket.created':
      return `New ticket ${n}`;
    case 'ticket.updated':
      return `Ticket ${n} updated${Array.isArray(d.changedFields) ? `: ${(d.changedFields as string[]).join(', ')}` : ''}`;
    case 'ticket.statusChanged':
      return `Ticket ${n}: ${String(d.from)} → ${String(d.to)}${d.resolution ? ` (${String(d.resolution)})` : ''}`;
    case 'ticket.commented':
      return `${d.isPrivate ? 'Private note' : 'New comment'} on ticket ${n}${d.user ? ` by ${person(d.user)}` : ''}`;
    case 'ticket.assigned':
      return d.assignee ? `Ticket ${n} assigned to ${person(d.assignee)}` : `Ticket ${n} unassigned`;
    case 'ticket.attachmentAdded':
      return `Attachment added to ticket ${n}${d.user ? ` by ${person(d.user)}` : ''}`;
    case 'sla.firstResponseBreached':
      return `First response overdue on ticket ${n}`;
    case 'sla.resolutionBreached':
      return `Resolution overdue on ticket ${n}`;
    case 'ticket.idle':
      return `Ticket ${n} is idle`;
    case 'ticket.dueSoon':
      return `Ticket ${n} is due soon`;
    case 'ticket.overdue':
      return `Ticket ${n} is overdue`;
    case 'webhook.disabled':
      return 'A webhook was disabled after failing for 3 days';
    case 'webhook.test':
      return 'Test delivery from Ticketing';
    default:
      return event.type;
  }
}

function ticketLink(ticket: TicketData, publicUrl: string): string | undefined {
  return ticket.ticketId === undefined ? undefined : `${publicUrl.replace(/\/+$/, '')}/tickets/${ticket.ticketId}`;
}

/** The facts a card shows about the ticket. */
function facts(ticket: TicketData): [string, string][] {
  if (ticket.ticketId === undefined) return [];
  return [
    ['Status', ticket.status ?? ''],
    ['Priority', ticket.priority ?? ''],
    ['Assignee', ticket.assignee ? person(ticket.assignee) : 'Unassigned'],
    ['Requestor', person(ticket.requestor)],
  ];
}

/** The text worth quoting: a comment, a status change's comment. */
function quote(data: Record<string, unknown>): string | undefined {
  return typeof data.comment === 'string' && data.comment.trim() ? clip(data.comment.trim(), 500) : undefined;
}

/**
 * A message with an Adaptive Card, as a Microsoft Teams channel's incoming webhook (Workflows:
 * "Post to a channel when a webhook request is received") takes it.
 */
export function teamsCard(event: EventEnvelope, context: RenderContext) {
  const ticket = (event.data.ticket ?? {}) as TicketData;
  const link = ticketLink(ticket, context.publicUrl);
  const text = quote(event.data);
  return {
    type: 'message',
    attachments: [
      {
        contentType: 'application/vnd.microsoft.card.adaptive',
        contentUrl: null,
        content: {
          $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
          type: 'AdaptiveCard',
          version: '1.4',
          msteams: { width: 'Full' },
          body: [
            { type: 'TextBlock', text: headline(event), weight: 'Bolder', size: 'Medium', wrap: true },
            ...(ticket.title ? [{ type: 'TextBlock', text: clip(ticket.title, 500), wrap: true }] : []),
            ...(facts(ticket).length > 0 ? [{ type: 'FactSet', facts: facts(ticket).map(([title, value]) => ({ title, value })) }] : []),
            ...(text ? [{ type: 'TextBlock', text, wrap: true, isSubtle: true }] : []),
          ],
          actions: link ? [{ type: 'Action.OpenUrl', title: 'Open ticket', url: link }] : [],
        },
      },
    ],
  };
}

/** Slack's mrkdwn needs &, < and > escaped. */
const slackEscape = (text: string) => text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');

/** A Slack message in Block Kit (incoming webhooks and chat.postMessage take it). */
export function slackMessage(event: EventEnvelope, context: RenderContext) {
  const ticket = (event.data.ticket ?? {}) as TicketData;
  const link = ticketLink(ticket, context.publicUrl);
  const title = ticket.title ? clip(ticket.title, 500) : '';
  const text = quote(event.data);
  const head = headline(event);
  const heading = link && title ? `*<${link}|${slackEscape(title)}>*\n${slackEscape(head)}` : `*${slackEscape(head)}*${title ? `\n${slackEscape(title)}` : ''}`;
  return {
    text: clip(`${head}${title ? `: ${title}` : ''}`, 3000),
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: heading } },
      ...(facts(ticket).length > 0
        ? [{ type: 'section', fields: facts(ticket).map(([name, value]) => ({ type: 'mrkdwn', text: `*${name}*\n${slackEscape(value) || '—'}` })) }]
        : []),
      ...(text ? [{ type: 'section', text: { type: 'mrkdwn', text: `>${slackEscape(text).replaceAll('\n', '\n>')}` } }] : []),
      ...(link ? [{ type: 'actions', elements: [{ type: 'button', text: { type: 'plain_text', text: 'Open ticket' }, url: link }] }] : []),
    ],
  };
}
