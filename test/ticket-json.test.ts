import Fastify, { type FastifyInstance } from 'fastify';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ORIGINS, PRIORITIES, RESOLUTIONS, STATUSES, type StoredTicket } from '../src/domain/ticket.js';
import { SHARED_SCHEMAS, TicketItem } from '../src/http/schemas.js';
import { present } from '../src/services/tickets.service.js';
import { htmlFromPlain, type Includable } from '../src/domain/rich-text.js';
import { openMigratedStore, type Store } from '../src/store/db.js';
import { ticketJson, WIRE_COLUMNS, wireRowToTicket } from '../src/store/ticket-json.js';
import { SQLITE_TICKET_JSON } from '../src/store/sqlite/read-plans.js';
import { toColumns } from '../src/store/tickets.repo.js';

/*
 * Ticket reads answer text written by src/store/ticket-json.ts instead of the response schema's
 * serialiser, and on SQLite pages of tickets are written by SQLite itself (SQLITE_TICKET_JSON).
 * Here they run on the same generated tickets (every field empty and full, odd characters, SLA
 * due dates present or not): the text must be the same, byte for byte.
 */

let schemaSerialiser: FastifyInstance;
beforeAll(async () => {
  schemaSerialiser = Fastify();
  for (const schema of SHARED_SCHEMAS) schemaSerialiser.addSchema(schema);
  schemaSerialiser.post('/', { schema: { response: { 200: TicketItem } } }, async (request) => request.body);
  await schemaSerialiser.ready();
});
afterAll(() => schemaSerialiser.close());

/** What the ITicket response schema makes of a stored ticket (the write routes answer this). */
async function throughSchema(ticket: StoredTicket, include: ReadonlySet<Includable> = new Set()): Promise<string> {
  const reply = await schemaSerialiser.inject({ method: 'POST', url: '/', payload: { item: present(ticket, include) } });
  expect(reply.statusCode).toBe(200);
  return reply.body;
}

const text = fc.string({ unit: 'binary', maxLength: 40 });
const instant = fc.date({ min: new Date('0001-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59Z'), noInvalidDate: true }).map((d) => d.toISOString());
const user = fc.record({ id: fc.string({ minLength: 1, maxLength: 20 }), name: text, email: text });
const nullable = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: null });
const customValue = fc.oneof(text, fc.boolean(), fc.array(fc.uuid()), fc.array(user, { maxLength: 2 }), instant);

const storedTicket: fc.Arbitrary<StoredTicket> = fc.record({
  id: fc.uuid(),
  ticketId: fc.integer({ min: 1, max: 2_000_000_000 }),
  title: text,
  description: text,
  status: fc.constantFrom(...STATUSES),
  priority: fc.constantFrom(...PRIORITIES),
  requestor: user,
  assignee: nullable(user),
  customFields: fc.dictionary(fc.uuid(), customValue, { maxKeys: 4 }),
  tags: fc.array(fc.record({ tagCategoryId: fc.uuid(), text: fc.string({ minLength: 1, maxLength: 12 }) }), { maxLength: 3 }),
  expectedDate: nullable(instant),
  resolution: nullable(fc.constantFrom(...RESOLUTIONS)),
  lastResolutionComment: nullable(text),
  firstResponseOn: nullable(instant),
  firstResolutionOn: nullable(instant),
  lastResolutionOn: nullable(instant),
  createdOn: instant,
  lastUpdatedOn: instant,
  lastInteraction: instant,
  isFrtEscalated: fc.boolean(),
  isRtEscalated: fc.boolean(),
  isFrtBreached: fc.boolean(),
  isRtBreached: fc.boolean(),
  origin: fc.constantFrom(...ORIGINS),
  createdBy: user,
  lastUpdatedBy: user,
  frtDueOn: nullable(instant),
  rtDueOn: nullable(instant),
  rtStartedOn: instant,
  descriptionHtml: nullable(text),
});

/** The row the store gives back for a ticket, in WIRE_COLUMNS order. */
const rowOf = (ticket: StoredTicket) => {
  const columns = toColumns('instance', ticket);
  return WIRE_COLUMNS.map((column) => columns[column]);
};

describe('ticket JSON written from stored rows', () => {
  it('is the text the ITicket response schema serialises, for any ticket', async () => {
    await fc.assert(
      fc.asyncProperty(storedTicket, async (ticket) => {
        expect(ticketJson(rowOf(ticket))).toBe(await throughSchema(ticket).then((body) => body.slice('{"item":'.length, -1)));
      }),
      { numRuns: 300 },
    );
  });

  it('is the text the schema serialises with include=description_HTML, the HTML stored or made from the description', async () => {
    await fc.assert(
      fc.asyncProperty(storedTicket, async (ticket) => {
        const html = ticketJson(rowOf(ticket), true);
        expect(html).toBe(await throughSchema(ticket, new Set(['description_HTML'])).then((body) => body.slice('{"item":'.length, -1)));
        expect(JSON.parse(html).description_HTML).toBe(ticket.descriptionHtml ?? htmlFromPlain(ticket.description));
      }),
      { numRuns: 300 },
    );
  });

  it('is the same text when SQLite writes it from the stored row', async () => {
    const store: Store = await openMigratedStore('sqlite::memory:');
    try {
      const at = new Date().toISOString();
      await store.db
        .insertInto('instances')
        .values({ id: 'instance', name: 'JSON', settings: '{}', last_ticket_number: 0, created_on: at, updated_on: at })
        .execute();
      let number = 0;
      await fc.assert(
        fc.asyncProperty(storedTicket, async (generated) => {
          const ticket = { ...generated, ticketId: ++number };
          await store.db.insertInto('tickets').values(toColumns('instance', ticket)).execute();
          const [row] = await store.readRows({ sql: `SELECT ${SQLITE_TICKET_JSON} FROM tickets t WHERE t.ticket_number = ?`, parameters: [number] });
          expect(row![0]).toBe(ticketJson(rowOf(ticket)));
        }),
        { numRuns: 300 },
      );
    } finally {
      await store.close();
    }
  });

  it('reads a row back into the ticket that was stored', () => {
    fc.assert(
      fc.property(storedTicket, (ticket) => {
        expect(wireRowToTicket(rowOf(ticket))).toEqual(ticket);
      }),
      { numRuns: 300 },
    );
  });
});
