import type { FastifyInstance } from 'fastify';

/** One server-sent event as a stream sends it. */
export interface SentEvent {
  event: string;
  id: string | undefined;
  data: any;
}

/** Parses server-sent events out of text that arrives in chunks. */
export class EventParser {
  readonly events: SentEvent[] = [];
  private buffer = '';
  private waiters: { predicate: (e: SentEvent) => boolean; resolve: (e: SentEvent) => void }[] = [];
  push(chunk: string): void {
    this.buffer += chunk;
    let end: number;
    while ((end = this.buffer.indexOf('\n\n')) >= 0) {
      const block = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 2);
      let event = 'message';
      let id: string | undefined;
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('event: ')) event = line.slice(7);
        else if (line.startsWith('id: ')) id = line.slice(4);
        else if (line.startsWith('data: ')) data.push(line.slice(6));
      }
      if (data.length === 0) continue;
      const sent = { event, id, data: JSON.parse(data.join('\n')) };
      this.events.push(sent);
      for (const waiter of [...this.waiters]) {
        if (waiter.predicate(sent)) {
          this.waiters.splice(this.waiters.indexOf(waiter), 1);
          waiter.resolve(sent);
        }
      }
    }
  }
  /** The first event (already received or to come) that matches; fails after `timeoutMs`. */
  next(predicate: (e: SentEvent) => boolean, timeoutMs = 10_000): Promise<SentEvent> {
    const found = this.events.find(predicate);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no such event within ${timeoutMs} ms; got ${JSON.stringify(this.events.map((e) => e.event))}`)),
        timeoutMs,
      );
      this.waiters.push({
        predicate,
        resolve: (e) => {
          clearTimeout(timer);
          resolve(e);
        },
      });
    });
  }
}

/** Opens GET /events/stream on an app that is not listening (inject, streamed). */
export async function openStream(app: FastifyInstance, headers: Record<string, string>, query = '') {
  const controller = new AbortController();
  const response = await app.inject({ method: 'GET', url: `/api/v1/events/stream${query}`, headers, payloadAsStream: true, signal: controller.signal });
  const parser = new EventParser();
  const stream = response.stream();
  let text = '';
  stream.on('data', (chunk: Buffer) => {
    text += chunk.toString('utf8');
    parser.push(chunk.toString('utf8'));
  });
  stream.on('error', () => undefined);
  const ended = new Promise<void>((resolve) => {
    stream.on('end', resolve);
    stream.on('close', resolve);
  });
  const connected = new Promise<void>((resolve) => {
    const check = () => text.includes(': connected') && resolve();
    stream.on('data', check);
  });
  if (response.statusCode === 200) await connected;
  return {
    /** Resolves when the server ended the stream. */
    ended,
    status: response.statusCode,
    headers: response.headers,
    parser,
    text: () => text,
    close: () => {
      controller.abort();
      stream.destroy();
    },
  };
}

/**
 * GET /events/stream as a check of who may open it: the status and, unless it is 200 (then the
 * stream is closed at once), the problem body.
 */
export async function streamAnswer(app: FastifyInstance, headers: Record<string, string>): Promise<{ status: number; body: any }> {
  const stream = await openStream(app, headers);
  if (stream.status === 200) {
    stream.close();
    return { status: 200, body: undefined };
  }
  await stream.ended;
  return { status: stream.status, body: JSON.parse(stream.text()) };
}
