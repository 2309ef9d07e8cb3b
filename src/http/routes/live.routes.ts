import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { DomainError } from '../../domain/errors.js';
import {
  HEARTBEAT_MS,
  PRESENCE_STATES,
  PRESENCE_TTL_MS,
  RECONNECT_MS,
  sseFrame,
  STREAM_LIFETIME_MS,
  STREAMS_PER_INSTANCE,
  type Position,
} from '../../domain/live.js';
import type { EventsService } from '../../services/events.service.js';
import type { LiveService, LiveSink } from '../../services/live.service.js';
import type { IUser } from '../../domain/ticket.js';
import type { TicketsService } from '../../services/tickets.service.js';
import { actingUser, eventReaderOf } from '../auth.js';
import { errorResponses } from '../schema-helpers.js';

/*
 * Live updates (docs/api.md §13.1): the server-sent event stream of an instance's events, and
 * presence on a ticket ("Ben is viewing"). docs/decisions/022-live-event-stream.md.
 */

/** Bytes a stream may have waiting for a slow client; past them it is ended (the client reconnects and catches up). */
const MAX_UNSENT_BYTES = 1 << 20;

const StreamQuery = Type.Object(
  { lastEventId: Type.Optional(Type.String({ description: 'The id of the last event received (as the Last-Event-ID header; the header wins)' })) },
  { additionalProperties: true },
);

const PresenceBody = Type.Object(
  {
    state: Type.Union(
      PRESENCE_STATES.map((s) => Type.Literal(s)),
      { description: '`viewing` (the ticket is open), `replying` (a comment is being written) or `left`' },
    ),
    user: Type.Optional(
      Type.Unsafe<IUser>(Type.Ref('IUser', { description: 'Who is there: required with an instance key; a signed-in person is themselves' })),
    ),
  },
  { additionalProperties: false },
);

export const liveRoutes =
  (deps: { live: LiveService; events: EventsService; tickets: TicketsService }): FastifyPluginAsyncTypebox =>
  async (app) => {
    const { live, events, tickets } = deps;

    app.get(
      '/events/stream',
      {
        schema: {
          tags: ['events'],
          summary: "Live: the instance's events as server-sent events, with presence",
          description: `\`text/event-stream\`. Each event of the feed (GET /instance/events) as \`id:\` (the event id), \`event:\` (its type) and \`data:\` (the feed's item as JSON), as the caller may see it: private notes' text is null for viewers, webhook events go to admins and read-write keys. \`presence\` events (no id) say who is viewing or replying on a ticket. \`Last-Event-ID\` (or \`?lastEventId=\`) sends the events missed since (up to 1,000; more, or an unknown id, sends \`reset\`: reload). A comment line every ${HEARTBEAT_MS / 1000} s; the stream ends after ${STREAM_LIFETIME_MS / 60_000} minutes (browsers reconnect by themselves). ${STREAMS_PER_INSTANCE} streams per instance and server process, then 429. docs/api.md §13.1.`,
          querystring: StreamQuery,
          headers: Type.Object({ 'last-event-id': Type.Optional(Type.String()) }),
          response: {
            200: { description: 'The stream', content: { 'text/event-stream': { schema: Type.String() } } },
            ...errorResponses(401, 403, 429, 503),
          },
        },
      },
      async (request, reply) => {
        const { instanceId } = request.auth;
        if (live.openStreams(instanceId) >= STREAMS_PER_INSTANCE) {
          throw new DomainError('rate_limited', `This instance has ${STREAMS_PER_INSTANCE} live streams open on this server: close one (or another tab) first`);
        }
        const header = request.headers['last-event-id'];
        const lastEventId = ((typeof header === 'string' ? header : undefined) ?? request.query.lastEventId)?.trim();
        let from: Position | undefined;
        let unknownLastEvent = false;
        if (lastEventId) {
          from = await events.findPosition(instanceId, lastEventId);
          unknownLastEvent = !from;
        }
        // Before the stream starts, so that a database that is away is still a 503.
        await live.prepare(instanceId);

        reply.hijack();
        const raw = reply.raw;
        raw.writeHead(200, {
          ...(reply.getHeaders() as Record<string, string>),
          'content-type': 'text/event-stream; charset=utf-8',
          'cache-control': 'no-store',
          // Proxies (nginx) would otherwise hold events back to fill a buffer.
          'x-accel-buffering': 'no',
        });
        let ended = false;
        let unsubscribe: (() => void) | undefined;
        const end = () => {
          if (ended) return;
          ended = true;
          clearInterval(heartbeat);
          clearTimeout(lifetime);
          unsubscribe?.();
          raw.end();
        };
        const write = (text: string) => {
          if (ended) return;
          raw.write(text);
          if (raw.writableLength > MAX_UNSENT_BYTES) end();
        };
        const heartbeat = setInterval(() => write(': heartbeat\n\n'), HEARTBEAT_MS);
        const lifetime = setTimeout(end, STREAM_LIFETIME_MS);
        raw.on('close', end);
        write(`retry: ${RECONNECT_MS}\n\n`);
        if (unknownLastEvent) write(sseFrame('reset', { reason: 'Last-Event-ID names no event of this instance' }));

        const sink: LiveSink = {
          reader: eventReaderOf(request.auth),
          event: (item) => write(sseFrame(item.type, item, item.id)),
          presence: (presence) => write(sseFrame('presence', presence)),
          reset: (reason) => write(sseFrame('reset', { reason })),
          end,
        };
        try {
          const stop = await live.subscribe(instanceId, sink, from);
          if (ended) stop();
          else unsubscribe = stop;
          // From here on every committed event reaches this stream.
          write(': connected\n\n');
        } catch (error) {
          request.log.warn({ err: error }, 'live stream: could not start; the client reconnects');
          end();
        }
      },
    );

    app.post(
      '/tickets/:ticketId/presence',
      {
        schema: {
          tags: ['events'],
          summary: 'Say you are viewing or replying on a ticket (presence, shown live to others)',
          description: `Sends a \`presence\` event to the instance's live streams (GET /events/stream): \`{ ticket: { id, ticketId }, user: { id, name }, state, expiresOn }\`. It lasts ${PRESENCE_TTL_MS / 1000} s unless sent again; \`left\` ends it. Nothing is stored. docs/api.md §13.1.`,
          params: Type.Object({ ticketId: Type.String({ description: 'The ticket UUID `id` or its number `ticketId`' }) }),
          body: PresenceBody,
          response: { 204: Type.Null(), ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request, reply) => {
        const { instanceId } = request.auth;
        const user = actingUser(request, request.body.user);
        const ticket = await tickets.identify(instanceId, request.params.ticketId);
        const now = Date.now();
        await live.announcePresence(instanceId, {
          ticket,
          user: { id: user.id, name: user.name || user.email },
          state: request.body.state,
          expiresOn: new Date(request.body.state === 'left' ? now : now + PRESENCE_TTL_MS).toISOString(),
        });
        return reply.code(204).send(null);
      },
    );
  };
