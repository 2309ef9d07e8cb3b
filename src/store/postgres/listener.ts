import { sql } from 'kysely';
import pg from 'pg';
import type { Db } from '../schema.js';

/*
 * A LISTEN connection of its own (a pooled one would be handed to other queries). It is opened
 * only while this process has live streams (services/live.service.ts) and comes back by itself
 * when the connection drops: `onReconnected` then tells the caller that notifications may have
 * been missed, so it reads what it missed from the events table.
 */

/** The application_name of LISTEN connections: how writers on other processes tell that someone listens. */
const LISTENER_NAME = 'ticketing-live';
/** How long a process trusts what it last learnt about other processes' listeners. */
const WATCH_MS = 2_000;

const watches = new WeakMap<Db, { listening: number; someone: boolean; checkedAt: number; checking: boolean }>();

function watchOf(db: Db) {
  let watch = watches.get(db);
  if (!watch) watches.set(db, (watch = { listening: 0, someone: false, checkedAt: 0, checking: false }));
  return watch;
}

/**
 * Whether some process (this one or another) has a LISTEN connection on this database, without
 * waiting: this process's own at once; others' as last learnt from pg_stat_activity, asked again
 * in the background when older than WATCH_MS, so a write never waits for it. A process that
 * starts listening may miss the NOTIFY of writes in the first seconds: its streams also read
 * every few seconds (live.service.ts), which covers them.
 */
export function someoneListens(db: Db): boolean {
  const watch = watchOf(db);
  if (!watch.checking && Date.now() - watch.checkedAt > WATCH_MS) {
    watch.checking = true;
    sql<{
      someone: boolean;
    }>`SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND application_name = ${LISTENER_NAME}) AS someone`
      .execute(db)
      .then(
        (result) => {
          watch.someone = result.rows[0]?.someone === true;
        },
        () => undefined,
      )
      .finally(() => {
        watch.checking = false;
        watch.checkedAt = Date.now();
      });
  }
  return watch.listening > 0 || watch.someone;
}

export interface Listener {
  close(): Promise<void>;
}

export interface ListenHandlers {
  onNotification(payload: string): void;
  /** The connection was lost and is back: notifications in between are lost. */
  onReconnected(): void;
}

/** Listens on `channel` until closed. Resolves once listening (or rejects when it cannot connect at first). */
export async function listen(db: Db, connectionString: string, channel: string, handlers: ListenHandlers): Promise<Listener> {
  const watch = watchOf(db);
  let closed = false;
  let client: pg.Client | undefined;
  let retry: NodeJS.Timeout | undefined;
  let delayMs = 250;

  const connect = async (): Promise<void> => {
    const next = new pg.Client({ connectionString, connectionTimeoutMillis: 5000, application_name: LISTENER_NAME });
    next.on('notification', (message) => {
      if (message.channel === channel && message.payload !== undefined) handlers.onNotification(message.payload);
    });
    next.on('error', () => undefined);
    next.on('end', () => {
      if (closed || client !== next) return;
      client = undefined;
      scheduleReconnect();
    });
    await next.connect();
    await next.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
    if (closed) {
      await next.end().catch(() => undefined);
      return;
    }
    client = next;
    delayMs = 250;
  };

  const scheduleReconnect = () => {
    if (closed || retry) return;
    retry = setTimeout(() => {
      retry = undefined;
      connect().then(
        () => {
          if (!closed) handlers.onReconnected();
        },
        () => {
          delayMs = Math.min(delayMs * 2, 5000);
          scheduleReconnect();
        },
      );
    }, delayMs);
    retry.unref();
  };

  await connect();
  watch.listening++;
  return {
    async close() {
      if (closed) return;
      closed = true;
      watch.listening--;
      if (retry) clearTimeout(retry);
      const current = client;
      client = undefined;
      await current?.end().catch(() => undefined);
    },
  };
}
