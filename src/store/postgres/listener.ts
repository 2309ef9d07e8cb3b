import pg from 'pg';

/*
 * A LISTEN connection of its own (a pooled one would be handed to other queries). It is opened
 * only while this process has live streams (services/live.service.ts) and comes back by itself
 * when the connection drops: `onReconnected` then tells the caller that notifications may have
 * been missed, so it reads what it missed from the events table.
 */

export interface Listener {
  close(): Promise<void>;
}

export interface ListenHandlers {
  onNotification(payload: string): void;
  /** The connection was lost and is back: notifications in between are lost. */
  onReconnected(): void;
}

/** Listens on `channel` until closed. Resolves once listening (or rejects when it cannot connect at first). */
export async function listen(connectionString: string, channel: string, handlers: ListenHandlers): Promise<Listener> {
  let closed = false;
  let client: pg.Client | undefined;
  let retry: NodeJS.Timeout | undefined;
  let delayMs = 250;

  const connect = async (): Promise<void> => {
    const next = new pg.Client({ connectionString, connectionTimeoutMillis: 5000 });
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
  return {
    async close() {
      closed = true;
      if (retry) clearTimeout(retry);
      const current = client;
      client = undefined;
      await current?.end().catch(() => undefined);
    },
  };
}
