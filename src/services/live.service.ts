import { CATCH_UP_LIMIT, eventForReader, isAfter, type Position, type Presence, type StreamReader } from '../domain/live.js';
import { onEventsCommitted } from '../store/commit-signal.js';
import type { Store } from '../store/db.js';
import type { Listener } from '../store/postgres/listener.js';
import type { EventsService, FeedItem, PositionedItem } from './events.service.js';

/*
 * Live streams (GET /events/stream, docs/api.md §13.1): this process's open streams, by
 * instance, and how they hear of new events. Nothing runs while no stream is open: no LISTEN
 * connection, no commit listener, no timer. docs/decisions/022-live-event-stream.md.
 *
 * When a transaction that wrote events commits, the store announces the instance (SQLite: to
 * this process; PostgreSQL: NOTIFY to every process, commit-signal.ts). The instance's channel
 * then reads the events after the last one it read from the events table, once for all its
 * streams, and hands each stream what its reader may see.
 */

/** One open stream, as the route writes it. */
export interface LiveSink {
  readonly reader: StreamReader;
  event(item: FeedItem): void;
  presence(presence: Presence): void;
  /** Events were missed that cannot be sent: the client reloads what it shows. */
  reset(reason: string): void;
  /** Ends the stream (the server closes). */
  end(): void;
}

interface Subscription {
  sink: LiveSink;
  /** While catching up: live events wait here; afterwards undefined. */
  held: PositionedItem[] | undefined;
  /** The last event sent (catching-up streams skip live events up to it). */
  sent: Position | undefined;
}

interface Channel {
  subscriptions: Set<Subscription>;
  /** Where the channel has read to; set once `ready` resolved. */
  position: Position | undefined;
  ready: Promise<void>;
  reading: Promise<void> | undefined;
  readAgain: boolean;
  poll: NodeJS.Timeout | undefined;
}

/** Events read from the table at a time. */
const READ_BATCH = 200;
/**
 * PostgreSQL: how often an instance with open streams is read without being told. An event
 * appears to readers only once older transactions have ended (the feed's horizon), so the
 * notification can come before the event is readable; and notifications sent while the LISTEN
 * connection was down are lost.
 */
const POLL_MS = 3_000;
/** How long the LISTEN connection stays after the last stream closed (browsers reconnect). */
const IDLE_CLOSE_MS = 10_000;
/** A person's name in a presence is cut to this (NOTIFY payloads are limited to 8,000 bytes). */
const NAME_MAX = 200;

export class LiveService {
  private readonly channels = new Map<string, Channel>();
  private listening: Promise<void> | undefined;
  private listener: Listener | undefined;
  private stopInProcess: (() => void) | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly deps: {
      store: Store;
      events: EventsService;
      log?: { warn(object: unknown, message: string): void };
    },
  ) {}

  /** Streams open on this process for the instance. */
  openStreams(instanceId: string): number {
    return this.channels.get(instanceId)?.subscriptions.size ?? 0;
  }

  /**
   * Makes ready to stream the instance (listening, the channel's starting point): a failure here
   * (the database is away) can still be answered as an error, before the stream starts.
   */
  async prepare(instanceId: string): Promise<void> {
    if (this.closed) throw new Error('The live service is closed');
    await this.listen();
    await this.channel(instanceId).ready;
  }

  /**
   * Opens a stream: events committed from now on, or, with `from` (the position of the last
   * event the client had), the ones it missed first (up to CATCH_UP_LIMIT; more: `reset`).
   * Answers the way to close it.
   */
  async subscribe(instanceId: string, sink: LiveSink, from: Position | undefined): Promise<() => void> {
    await this.prepare(instanceId);
    const channel = this.channel(instanceId);
    const subscription: Subscription = { sink, held: from ? [] : undefined, sent: undefined };
    channel.subscriptions.add(subscription);
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    const unsubscribe = () => {
      if (!channel.subscriptions.delete(subscription)) return;
      if (channel.subscriptions.size === 0) this.dropChannel(instanceId, channel);
    };
    if (from) {
      try {
        await this.catchUp(instanceId, subscription, from);
      } catch (error) {
        unsubscribe();
        throw error;
      }
    }
    return unsubscribe;
  }

  /** Tells every stream of the instance, on every process, of someone's presence on a ticket. */
  async announcePresence(instanceId: string, presence: Presence): Promise<void> {
    const cut = { ...presence, user: { ...presence.user, name: presence.user.name.slice(0, NAME_MAX) } };
    // Through the database when several processes share it (this one hears it back too).
    if (this.deps.store.notify) await this.deps.store.notify(`p:${JSON.stringify({ i: instanceId, p: cut })}`);
    else this.presenceHeard(instanceId, cut);
  }

  /** Ends every stream and stops listening (the server is closing). */
  async close(): Promise<void> {
    this.closed = true;
    for (const [instanceId, channel] of this.channels) {
      for (const subscription of [...channel.subscriptions]) subscription.sink.end();
      this.dropChannel(instanceId, channel);
    }
    await this.stopListening();
  }

  private channel(instanceId: string): Channel {
    let channel = this.channels.get(instanceId);
    if (!channel) {
      const created: Channel = {
        subscriptions: new Set(),
        position: undefined,
        ready: Promise.resolve(),
        reading: undefined,
        readAgain: false,
        poll: undefined,
      };
      created.ready = this.deps.events.latestPosition(instanceId).then((position) => {
        created.position = position;
      });
      // A failed start is not kept: the next stream tries again.
      created.ready.catch(() => {
        if (this.channels.get(instanceId) === created && created.subscriptions.size === 0) this.channels.delete(instanceId);
      });
      if (this.listener) {
        created.poll = setInterval(() => this.read(instanceId), POLL_MS);
        created.poll.unref();
      }
      this.channels.set(instanceId, (channel = created));
    }
    return channel;
  }

  private dropChannel(instanceId: string, channel: Channel): void {
    if (channel.poll) clearInterval(channel.poll);
    if (this.channels.get(instanceId) === channel) this.channels.delete(instanceId);
    if (this.channels.size === 0 && !this.closed && !this.idleTimer) {
      this.idleTimer = setTimeout(() => {
        this.idleTimer = undefined;
        if (this.channels.size === 0) void this.stopListening();
      }, IDLE_CLOSE_MS);
      this.idleTimer.unref();
    }
  }

  private listen(): Promise<void> {
    if (!this.listening) {
      const { store } = this.deps;
      if (store.listen) {
        this.listening = store
          .listen({
            onNotification: (payload) => this.heard(payload),
            onReconnected: () => {
              for (const instanceId of this.channels.keys()) this.read(instanceId);
            },
          })
          .then((listener) => {
            this.listener = listener;
            if (this.closed) void this.stopListening();
          });
        this.listening.catch(() => (this.listening = undefined));
      } else {
        this.stopInProcess = onEventsCommitted(store.db, (instanceIds) => {
          for (const instanceId of instanceIds) this.read(instanceId);
        });
        this.listening = Promise.resolve();
      }
    }
    return this.listening;
  }

  private async stopListening(): Promise<void> {
    this.listening = undefined;
    this.stopInProcess?.();
    this.stopInProcess = undefined;
    const listener = this.listener;
    this.listener = undefined;
    await listener?.close();
  }

  private heard(payload: string): void {
    if (payload.startsWith('e:')) this.read(payload.slice(2));
    else if (payload.startsWith('p:')) {
      try {
        const { i, p } = JSON.parse(payload.slice(2)) as { i: string; p: Presence };
        this.presenceHeard(i, p);
      } catch {
        // Not ours to read.
      }
    }
  }

  private presenceHeard(instanceId: string, presence: Presence): void {
    for (const subscription of this.channels.get(instanceId)?.subscriptions ?? []) subscription.sink.presence(presence);
  }

  /** Reads the instance's new events for its streams; one read at a time, again if asked meanwhile. */
  private read(instanceId: string): void {
    const channel = this.channels.get(instanceId);
    if (!channel) return;
    if (channel.reading) {
      channel.readAgain = true;
      return;
    }
    channel.reading = (async () => {
      await channel.ready;
      do {
        channel.readAgain = false;
        let more = true;
        while (more && this.channels.get(instanceId) === channel) {
          const page = await this.deps.events.readAfter(instanceId, channel.position, READ_BATCH);
          more = page.more;
          for (const positioned of page.events) {
            channel.position = positioned.position;
            for (const subscription of channel.subscriptions) {
              if (subscription.held) subscription.held.push(positioned);
              else send(subscription, positioned);
            }
          }
        }
      } while (channel.readAgain && this.channels.get(instanceId) === channel);
    })()
      .catch((error: unknown) => this.deps.log?.warn({ err: error, instanceId }, 'live events: reading new events failed; the next poll tries again'))
      .finally(() => {
        channel.reading = undefined;
      });
  }

  /** Sends a reconnected stream what it missed, then what came meanwhile, then goes live. */
  private async catchUp(instanceId: string, subscription: Subscription, from: Position): Promise<void> {
    let after: Position = from;
    let sent = 0;
    let overflow = false;
    for (;;) {
      // One more than may be sent: to tell "exactly the limit" from "more".
      const page = await this.deps.events.readAfter(instanceId, after, Math.min(READ_BATCH, CATCH_UP_LIMIT + 1 - sent));
      for (const positioned of page.events) {
        if (sent === CATCH_UP_LIMIT) {
          overflow = true;
          break;
        }
        send(subscription, positioned);
        after = positioned.position;
        sent++;
      }
      if (overflow || !page.more) break;
    }
    const held = subscription.held ?? [];
    subscription.held = undefined;
    if (overflow) {
      // The client reloads what it shows; from here on it gets what the channel reads.
      subscription.sink.reset(`more than ${CATCH_UP_LIMIT} events were missed`);
      subscription.sent = undefined;
    }
    for (const positioned of held) send(subscription, positioned);
  }
}

function send(subscription: Subscription, positioned: PositionedItem): void {
  // A reconnected stream may meet an event twice: in what it missed and in what the channel read.
  if (subscription.sent && !isAfter(positioned.position, subscription.sent)) return;
  subscription.sent = positioned.position;
  const visible = eventForReader(positioned.item, subscription.sink.reader);
  if (visible) subscription.sink.event(visible);
}
