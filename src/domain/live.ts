import { withoutPrivateContent } from './events.js';

/*
 * Live updates (docs/api.md §13.1, docs/decisions/022-live-event-stream.md): what a stream
 * sends whom, presence, and the stream's limits. No HTTP and no SQL here.
 */

/** A comment line this often keeps proxies and browsers from dropping an idle stream. */
export const HEARTBEAT_MS = 25_000;
/**
 * A stream ends after this long; the browser's EventSource reconnects by itself (with
 * Last-Event-ID, so nothing is missed), and the reconnection is authenticated again: a person
 * signed out, disabled or demoted stops receiving within this time.
 */
export const STREAM_LIFETIME_MS = 5 * 60_000;
/** What an EventSource waits before reconnecting (the stream's `retry:` line). */
export const RECONNECT_MS = 3_000;
/** Open streams per instance and server process; one more is 429 (a browser tab holds one). */
export const STREAMS_PER_INSTANCE = 200;
/** Missed events a reconnecting stream is sent; with more missed it gets `reset` (reload everything). */
export const CATCH_UP_LIMIT = 1_000;
/**
 * A presence lasts this long unless refreshed. Clients refresh about every 25 s while the page is
 * visible: each refresh is a request that counts against the instance's rate limit (§2).
 */
export const PRESENCE_TTL_MS = 60_000;

export const PRESENCE_STATES = ['viewing', 'replying', 'left'] as const;
export type PresenceState = (typeof PRESENCE_STATES)[number];

/** Someone's presence on a ticket, as the `presence` event carries it. Never stored. */
export interface Presence {
  ticket: { id: string; ticketId: number };
  user: { id: string; name: string };
  state: PresenceState;
  /** When it lapses unless refreshed (state `left`: now). */
  expiresOn: string;
}

/** Who reads a stream, as far as what it may see goes. */
export interface StreamReader {
  /** The text and files of private notes (agents, admins, instance keys); else they are null, as for webhooks. */
  seesPrivateNotes: boolean;
  /** Events about webhooks (admins and read-write keys: who may read the webhooks). */
  seesWebhooks: boolean;
}

/** An event as the feed presents it (the fields what follows looks at). */
export interface StreamEvent {
  type: string;
  data: Record<string, unknown>;
  payload: Record<string, unknown>;
}

/** The event as this reader may see it, or undefined when it is not theirs to see. */
export function eventForReader<T extends StreamEvent>(event: T, reader: StreamReader): T | undefined {
  if (event.type.startsWith('webhook.') && !reader.seesWebhooks) return undefined;
  if (reader.seesPrivateNotes || event.data.isPrivate !== true) return event;
  const data = withoutPrivateContent(event.data);
  return { ...event, data, payload: data };
}

/** A position in the feed: (transaction, sequence), compared in that order. */
export type Position = readonly [number, number];

export const isAfter = (a: Position, b: Position | undefined): boolean => !b || a[0] > b[0] || (a[0] === b[0] && a[1] > b[1]);

/** One server-sent event: `id:` (when given), `event:` and one `data:` line of JSON. */
export function sseFrame(type: string, data: unknown, id?: string): string {
  return `${id ? `id: ${id}\n` : ''}event: ${type}\ndata: ${JSON.stringify(data)}\n\n`;
}
