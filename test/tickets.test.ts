import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agent, createInstance, createTestApp, createTicket, DIALECTS, requestor, type Client, type Reply, type TestApp } from './helpers.js';

/*
 * Tickets through HTTP (docs/api.md §3, §4, §5): the reference's own request examples,
 * create / read / update, server-owned fields, custom fields of every type, dates in the
 * caller's timezone, tags.
 */

/** The reference's examples are JSON with `// comments`; drop those to get the JSON it means. */
const stripComments = (text: string): unknown => JSON.parse(text.replace(/\s\/\/ [^\n]*$/gm, ''));

// POST /tickets, example 1 (sent with ?timezone=0).
const EXAMPLE_1 = String.raw`{ "ticket": { "title": "My first ticket", "requestor": { "id": "053660b7-xxxx-xxxx-xxxx-xxxxxxxxxxx", "name": "Jason Doe", "email": "john.doe@teamswork.app" } }, "user": { "id": "053660b7-xxxx-xxxx-xxxx-xxxxxxxxxxx", "name": "Jason Doe", "email": "jason.doe@teamswork.app" } }`;

// POST /tickets, example 2 (sent without a timezone).
const EXAMPLE_2 = String.raw`{ "ticket": { "title": "My first ticket", "requestor": { "id": "053660b7-xxxx-xxxx-xxxx-xxxxxxxxxxx", "name": "Jason Doe", "email": "john.doe@teamswork.app" }, "customFields": { "146db0c4-de24-4818-a131-a27161bb7ad0": [ // People picker
{ "id": "053660b7-xxxx-xxxx-xxxx-xxxxxxxxxxx", "name": "Allan Deyoung", "email": "AllanD@xxxxxxxx.com" } ], "fef751d6-067d-431b-8a6d-667056eff6ee": [ // Multiple Items Picker
"70d42d78-899a-4d5e-8cf0-79a0e4a6b0b1", "fe68df23-432e-4c0f-9841-a018b7f46d0b" ], "4aad4ef9-3242-4bb6-87f7-29428567429f": "long text area\nbla bla bla", // Text Area
"7670050a-cf1a-4d3d-8179-5eba888dea5f": "text in custom field", // Text Field
"862bd88d-f691-4a7b-a89a-f6f48550fc27": true, // Toggle
"5b9f56bc-ec6a-45a3-b7ce-c25e1d8cfd69": [ // Single Item picker
"f72541a9-c964-4c81-bc1a-4f1f2d948416" ], "7ee98e41-c4d0-4d4c-beb9-2b7f8f8c35c8": "2023-07-26T17:00:00Z" // Date Picker
}, "description": "ticket descriptionline 1line 2", "priority": "Urgent", "assignee": { "id": "708edddc-xxxx-xxxx-xxxx-xxxxxxxxxxx", "name": "Alex Wilber", "email": "AlexW@xxxxxxxx.com" }, "expectedDate": "2023-07-26T17:00:00Z", "tags": [ { "tagCategoryId": "2283653a-8d36-40eb-9a68-73eb3b331811", "text": "sdsad" }, { "tagCategoryId": "2283653a-8d36-40eb-9a68-73eb3b331811", "text": "my tag" } ] }, "user": { "id": "053660b7-xxxx-xxxx-xxxx-xxxxxxxxxxx", "name": "Jason Doe", "email": "jason.doe@xxxxxxxx.com" } }`;

// PUT /tickets/{ticket id}, the example (sent with ?timezone=0).
const PUT_EXAMPLE = String.raw`{ "updates": { "title": "My 2nd ticket", "requestor": { "id": "053660b7-xxxx-xxxx-xxxx-xxxxxxxxxxx", "name": "Jason Doe", "email": "john.doe@wwwwww.com" }, "customFields": { "dcd58c80-xxxx-xxxx-xxxx-xxxxxxxxxxxxxxx": [ { "id": "053660b7-xxxx-xxxx-xxxx-xxxxxxxxxx", "name": "Allan Deyoung", "email": "AllanD@xxxxxxxxxxx.com" } ] }, "priority": "Urgent", "assignee": { "id": "708edddc-xxxx-xxxx-xxxx-xxxxxxxxxx", "name": "Alex Wilber", "email": "AlexW@wwwwwww.com" } }, "user": { "id": "053660b7-xxxx-xxxx-xxxx-xxxxxxxxxxx", "name": "Jason Doe", "email": "jason.doe@wwwwwww.com" } }`;

const F = {
  people: '146db0c4-de24-4818-a131-a27161bb7ad0',
  multi: 'fef751d6-067d-431b-8a6d-667056eff6ee',
  textArea: '4aad4ef9-3242-4bb6-87f7-29428567429f',
  textField: '7670050a-cf1a-4d3d-8179-5eba888dea5f',
  toggle: '862bd88d-f691-4a7b-a89a-f6f48550fc27',
  single: '5b9f56bc-ec6a-45a3-b7ce-c25e1d8cfd69',
  date: '7ee98e41-c4d0-4d4c-beb9-2b7f8f8c35c8',
};
const OPT = {
  multiA: '70d42d78-899a-4d5e-8cf0-79a0e4a6b0b1',
  multiB: 'fe68df23-432e-4c0f-9841-a018b7f46d0b',
  multiC: '0b4a3c55-3f0f-4e43-9a56-6e3c0f1b7a01',
  singleA: 'f72541a9-c964-4c81-bc1a-4f1f2d948416',
  singleB: '9c1a7f0e-2d4b-4c8e-8f3a-5b6d7e8f9a02',
};
const TAG_CATEGORY = '2283653a-8d36-40eb-9a68-73eb3b331811';
const UNKNOWN_UUID = '11111111-2222-4333-8444-555555555555';

const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const ITICKET_FIELDS = [
  'id',
  'ticketId',
  'title',
  'description',
  'status',
  'priority',
  'requestor',
  'assignee',
  'customFields',
  'tags',
  'expectedDate',
  'resolution',
  'lastResolutionComment',
  'firstResponseOn',
  'firstResolutionOn',
  'lastResolutionOn',
  'createdOn',
  'lastUpdatedOn',
  'lastInteraction',
  'isFrtEscalated',
  'isRtEscalated',
  'createdBy',
  'lastUpdatedBy',
  // API-CONTRACT §10: what the original product's clients read besides the reference's fields.
  'ticketNo',
  'trackingId',
  'origin',
  'isFrtBreached',
  'isRtBreached',
];

const SERVER_OWNED: Record<string, unknown> = {
  id: '3f2504e0-4f89-41d3-9a0c-0305e82c3301',
  ticketId: 42,
  createdOn: '2023-07-26T17:00:00Z',
  lastUpdatedOn: '2023-07-26T17:00:00Z',
  lastInteraction: '2023-07-26T17:00:00Z',
  firstResponseOn: '2023-07-26T17:00:00Z',
  firstResolutionOn: '2023-07-26T17:00:00Z',
  lastResolutionOn: '2023-07-26T17:00:00Z',
  isFrtEscalated: true,
  isRtEscalated: true,
  createdBy: agent,
  lastUpdatedBy: agent,
  resolution: 'fixed',
  lastResolutionComment: 'done',
};

/** Every error is an RFC 9457 problem with the reference-compatible extras (docs/api.md §3). */
function expectProblem(res: Reply, status: number, code: string) {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(String(res.headers['content-type'])).toMatch(/^application\/problem\+json/);
  const b = res.body;
  expect(typeof b.type).toBe('string');
  expect(b.type.length).toBeGreaterThan(0);
  expect(typeof b.title).toBe('string');
  expect(b.status).toBe(status);
  expect(typeof b.detail).toBe('string');
  expect(b.code).toBe(code);
  expect(b.error).toBe(true);
  expect(b.message).toBe(b.detail);
  expect(b.statusCode).toBe(status);
  if (b.errors !== undefined) {
    for (const e of b.errors) {
      expect(typeof e.path).toBe('string');
      expect(typeof e.message).toBe('string');
    }
  }
}

/** A 400 validation problem with an `errors` entry whose path names `segment`. */
function expectFieldError(res: Reply, segment: string, code = 'validation_failed') {
  expectProblem(res, 400, code);
  expect(Array.isArray(res.body.errors), JSON.stringify(res.body)).toBe(true);
  const paths: string[] = res.body.errors.map((e: { path: string }) => e.path);
  expect(
    paths.some((p) => p.split('/').includes(segment)),
    `paths ${JSON.stringify(paths)} should name ${segment}`,
  ).toBe(true);
}

async function ticketCount(api: Client): Promise<number> {
  const res = await api.get('/tickets?limit=1000');
  expect(res.status).toBe(200);
  return res.body.items.length;
}

async function createField(api: Client, field: Record<string, unknown>) {
  const res = await api.post('/instance/customFields', field);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.item as { id: string; options?: { id: string }[] };
}

/** The custom fields and the tag category reference example 2 names, with its ids. */
async function setupExample2(api: Client) {
  await createField(api, { id: F.people, name: 'People', type: 'peoplePicker' });
  await createField(api, {
    id: F.multi,
    name: 'Multi',
    type: 'multipleItemsPicker',
    options: [
      { id: OPT.multiA, text: 'A' },
      { id: OPT.multiB, text: 'B' },
      { id: OPT.multiC, text: 'C' },
    ],
  });
  await createField(api, { id: F.textArea, name: 'Notes', type: 'textArea' });
  await createField(api, { id: F.textField, name: 'Text', type: 'textField' });
  await createField(api, { id: F.toggle, name: 'Toggle', type: 'toggle' });
  await createField(api, {
    id: F.single,
    name: 'Single',
    type: 'singleItemPicker',
    options: [
      { id: OPT.singleA, text: 'One' },
      { id: OPT.singleB, text: 'Two' },
    ],
  });
  await createField(api, { id: F.date, name: 'Due', type: 'datePicker' });
  const tags = await api.post('/tags', { id: TAG_CATEGORY, text: 'Topics', tags: [{ text: 'my tag' }] });
  expect(tags.status, JSON.stringify(tags.body)).toBe(201);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

for (const dialect of DIALECTS) {
  describe.skipIf(dialect.skip)(`tickets (${dialect.name})`, () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp(dialect.name);
    });
    afterAll(async () => t?.close());

    describe('reference examples, verbatim', () => {
      it('POST /tickets example 1 creates an Open, Medium ticket', async () => {
        const { api } = await createInstance(t.app);
        const body = stripComments(EXAMPLE_1) as any;
        const res = await api.post('/tickets?timezone=0', body);
        expect(res.status, JSON.stringify(res.body)).toBe(201);
        const item = res.body.item;
        expect(item.title).toBe('My first ticket');
        expect(item.requestor).toEqual(body.ticket.requestor);
        expect(item.createdBy).toEqual(body.user);
        expect(item.lastUpdatedBy).toEqual(body.user);
        expect(item.status).toBe('Open');
        expect(item.priority).toBe('Medium');
        expect(item.ticketId).toBe(1);
      });

      it('accepts the reference examples as written: `// comments` and unquoted keys (JSON5)', async () => {
        const { api, primaryKey } = await createInstance(t.app);
        await setupExample2(api);
        const raw = (url: string, payload: string) =>
          t.app.inject({
            method: 'POST',
            url: `/api/v1${url}${url.includes('?') ? '&' : '?'}key=${primaryKey}`,
            headers: { 'content-type': 'application/json' },
            payload,
          });
        const created = await raw('/tickets', EXAMPLE_2);
        expect(created.statusCode, created.body).toBe(201);
        const ticket = JSON.parse(created.body).item;
        expect(Object.keys(ticket.customFields)).toHaveLength(7);
        // POST /tickets/{id}/status, the reference's example body exactly (unquoted keys).
        const status = await raw(
          `/tickets/${ticket.id}/status`,
          '{ status : "Resolved", resolution: "fixed", comment: "Great job!" , "user": { "id": "23424-xxxx-xxxx-xxxx-xxxxxxxxxxx", "name": "Jason Doe", "email": "jason.doe@wwww.com" } }',
        );
        expect(status.statusCode, status.body).toBe(200);
        expect(JSON.parse(status.body).item).toMatchObject({ status: 'Resolved', resolution: 'fixed', lastResolutionComment: 'Great job!' });
        // Still not JSON at all: 400.
        expect((await raw('/tickets', '{ "ticket": ')).statusCode).toBe(400);
        expect((await raw('/tickets', '{ "__proto__": { "polluted": true }, "ticket": {} }')).statusCode).toBe(400);
      });

      it('POST /tickets example 2 succeeds once the instance has its custom fields and tag category', async () => {
        const { api } = await createInstance(t.app);
        await setupExample2(api);
        const body = stripComments(EXAMPLE_2) as any;
        const res = await api.post('/tickets', body);
        expect(res.status, JSON.stringify(res.body)).toBe(201);
        const item = res.body.item;
        expect(item.title).toBe('My first ticket');
        expect(item.description).toBe('ticket descriptionline 1line 2');
        expect(item.priority).toBe('Urgent');
        expect(item.assignee).toEqual(body.ticket.assignee);
        expect(new Date(item.expectedDate).toISOString()).toBe('2023-07-26T17:00:00.000Z');
        expect(item.tags).toEqual([
          { tagCategoryId: TAG_CATEGORY, text: 'sdsad' },
          { tagCategoryId: TAG_CATEGORY, text: 'my tag' },
        ]);
        const cf = item.customFields;
        expect(cf[F.people]).toEqual(body.ticket.customFields[F.people]);
        expect([...cf[F.multi]].sort()).toEqual([OPT.multiA, OPT.multiB].sort());
        expect(cf[F.textArea]).toBe('long text area\nbla bla bla');
        expect(cf[F.textField]).toBe('text in custom field');
        expect(cf[F.toggle]).toBe(true);
        expect(cf[F.single]).toEqual([OPT.singleA]);
        expect(new Date(cf[F.date]).toISOString()).toBe('2023-07-26T17:00:00.000Z');

        // Read back: the same values are stored.
        const read = await api.get(`/tickets/${item.id}`);
        expect(read.status).toBe(200);
        expect(read.body.item).toEqual(item);

        // The new tag text joined its category; the existing one was not duplicated.
        const tags = await api.get('/tags');
        const category = tags.body.items.find((c: { id: string }) => c.id === TAG_CATEGORY);
        const texts = category.tags.map((x: { text: string }) => x.text);
        expect(texts).toContain('sdsad');
        expect(texts.filter((x: string) => x.toLowerCase() === 'my tag')).toHaveLength(1);
      });

      it('PUT example verbatim succeeds once the instance has the people picker field it names', async () => {
        const { api } = await createInstance(t.app);
        const body = stripComments(PUT_EXAMPLE) as any;
        const fieldId = Object.keys(body.updates.customFields)[0]!;
        // Ids given on create may be any letters, digits and dashes, like the example's own.
        const field = await api.post('/instance/customFields', { id: fieldId, name: 'People', type: 'peoplePicker' });
        expect(field.status, JSON.stringify(field.body)).toBe(201);

        const ticket = await createTicket(api, { title: 'Original' });
        const res = await api.put(`/tickets/${ticket.id}?timezone=0`, body);
        expect(res.status, JSON.stringify(res.body)).toBe(200);
        expect(res.body.item.title).toBe('My 2nd ticket');
        expect(res.body.item.priority).toBe('Urgent');
        expect(res.body.item.assignee).toEqual(body.updates.assignee);
        expect(res.body.item.customFields[fieldId]).toEqual(body.updates.customFields[fieldId]);
      });

      it('PUT example shape with a real people picker field updates every given field', async () => {
        const { api } = await createInstance(t.app);
        const people = await createField(api, { name: 'People', type: 'peoplePicker' });
        const body = JSON.parse(PUT_EXAMPLE.replace('dcd58c80-xxxx-xxxx-xxxx-xxxxxxxxxxxxxxx', people.id));
        const ticket = await createTicket(api, { title: 'Original', description: 'keep me' });
        const res = await api.put(`/tickets/${ticket.ticketId}?timezone=0`, body);
        expect(res.status, JSON.stringify(res.body)).toBe(200);
        const item = res.body.item;
        expect(item.id).toBe(ticket.id);
        expect(item.title).toBe('My 2nd ticket');
        expect(item.requestor).toEqual(body.updates.requestor);
        expect(item.priority).toBe('Urgent');
        expect(item.assignee).toEqual(body.updates.assignee);
        expect(item.customFields[people.id]).toEqual(body.updates.customFields[people.id]);
        expect(item.description).toBe('keep me');
        expect(item.status).toBe('Open');
        expect(item.lastUpdatedBy).toEqual(body.user);
        const read = await api.get(`/tickets/${ticket.id}`);
        expect(read.body.item).toEqual(item);
      });
    });

    describe('create and read', () => {
      it('answers 201 with a Location header and every ITicket field', async () => {
        const { api, primaryKey } = await createInstance(t.app);
        const res = await api.post('/tickets', { ticket: { title: 'Printer on fire', requestor }, user: agent });
        expect(res.status).toBe(201);
        const item = res.body.item;
        expect(Object.keys(item).sort()).toEqual([...ITICKET_FIELDS].sort());
        expect(item.id).toMatch(UUID);
        expect(item.ticketId).toBe(1);
        expect(item.title).toBe('Printer on fire');
        expect(item.description).toBe('');
        expect(item.status).toBe('Open');
        expect(item.priority).toBe('Medium');
        expect(item.requestor).toEqual(requestor);
        expect(item.assignee).toBeNull();
        expect(item.customFields).toEqual({});
        expect(item.tags).toEqual([]);
        expect(item.expectedDate).toBeNull();
        expect(item.resolution).toBeNull();
        expect(item.lastResolutionComment).toBeNull();
        expect(item.firstResponseOn).toBeNull();
        expect(item.firstResolutionOn).toBeNull();
        expect(item.lastResolutionOn).toBeNull();
        for (const f of ['createdOn', 'lastUpdatedOn', 'lastInteraction']) expect(item[f]).toMatch(ISO_UTC);
        expect(item.isFrtEscalated).toBe(false);
        expect(item.isRtEscalated).toBe(false);
        expect(item.createdBy).toEqual(agent);
        expect(item.lastUpdatedBy).toEqual(agent);

        const location = res.headers.location as string;
        expect(location).toBe(`/api/v1/tickets/${item.id}`);
        const followed = await t.app.inject({ method: 'GET', url: `${location}?key=${encodeURIComponent(primaryKey)}` });
        expect(followed.statusCode).toBe(200);
        expect(JSON.parse(followed.body).item).toEqual(item);
      });

      it('numbers tickets 1, 2, 3 per instance and reads them by UUID or number', async () => {
        const a = await createInstance(t.app, 'A');
        const b = await createInstance(t.app, 'B');
        const a1 = await createTicket(a.api, { title: 'a1' });
        const a2 = await createTicket(a.api, { title: 'a2' });
        const b1 = await createTicket(b.api, { title: 'b1' });
        const a3 = await createTicket(a.api, { title: 'a3' });
        expect([a1.ticketId, a2.ticketId, a3.ticketId]).toEqual([1, 2, 3]);
        expect(b1.ticketId).toBe(1);

        const byNumber = await a.api.get('/tickets/2');
        expect(byNumber.status).toBe(200);
        expect(byNumber.body.item).toEqual(a2);
        const byUuid = await a.api.get(`/tickets/${a2.id}`);
        expect(byUuid.status).toBe(200);
        expect(byUuid.body.item).toEqual(a2);
        expect((await b.api.get('/tickets/1')).body.item.title).toBe('b1');

        // Another instance's ticket, and a number never allocated, are not found.
        expectProblem(await b.api.get(`/tickets/${a2.id}`), 404, 'not_found');
        expectProblem(await b.api.get('/tickets/2'), 404, 'not_found');
        expectProblem(await a.api.get(`/tickets/${UNKNOWN_UUID}`), 404, 'not_found');
      });

      it('takes the optional fields given on create', async () => {
        const { api } = await createInstance(t.app);
        const res = await api.post('/tickets', {
          ticket: {
            title: 'Full',
            requestor,
            description: 'details',
            priority: 'Important',
            assignee: agent,
            expectedDate: '2024-01-15T10:30:00+02:00',
            status: 'Open',
          },
          user: requestor,
        });
        expect(res.status, JSON.stringify(res.body)).toBe(201);
        expect(res.body.item).toMatchObject({ description: 'details', priority: 'Important', assignee: agent, status: 'Open' });
        expect(res.body.item.expectedDate).toMatch(ISO_UTC);
        expect(new Date(res.body.item.expectedDate).toISOString()).toBe('2024-01-15T08:30:00.000Z');
      });

      it('rejects each server-owned field with 400 validation_failed naming it, and stores nothing', async () => {
        const { api } = await createInstance(t.app);
        for (const [field, value] of Object.entries(SERVER_OWNED)) {
          const res = await api.post('/tickets', { ticket: { title: 'Sneaky', requestor, [field]: value }, user: requestor });
          expectFieldError(res, field);
        }
        expect(await ticketCount(api)).toBe(0);
        // The next ticket still gets number 1: nothing was allocated by the rejected ones.
        expect((await createTicket(api)).ticketId).toBe(1);
      });

      it('accepts status Open on create and rejects any other status', async () => {
        const { api } = await createInstance(t.app);
        for (const status of ['Started', 'Resolved', 'Closed', 'Reopened', 'In Progress', 42]) {
          const res = await api.post('/tickets', { ticket: { title: 'x', requestor, status }, user: requestor });
          expectFieldError(res, 'status');
        }
        expect(await ticketCount(api)).toBe(0);
        const ok = await api.post('/tickets', { ticket: { title: 'x', requestor, status: 'Open' }, user: requestor });
        expect(ok.status).toBe(201);
        expect(ok.body.item.status).toBe('Open');
      });

      it('requires title, requestor and user', async () => {
        const { api } = await createInstance(t.app);
        expectFieldError(await api.post('/tickets', { ticket: { requestor }, user: requestor }), 'title');
        expectFieldError(await api.post('/tickets', { ticket: { title: '   ', requestor }, user: requestor }), 'title');
        expectFieldError(await api.post('/tickets', { ticket: { title: 'x' }, user: requestor }), 'requestor');
        expectFieldError(await api.post('/tickets', { ticket: { title: 'x', requestor: { ...requestor, id: '' } }, user: requestor }), 'id');
        expectFieldError(await api.post('/tickets', { ticket: { title: 'x', requestor } }), 'user');
        expectFieldError(await api.post('/tickets', { user: requestor }), 'ticket');
        expectFieldError(await api.post('/tickets', { ticket: { title: 'x', requestor, priority: 'Critical' }, user: requestor }), 'priority');
        expect(await ticketCount(api)).toBe(0);
      });
    });

    describe('update', () => {
      it('takes { updates, user }: a partial update that records who and when', async () => {
        const { api } = await createInstance(t.app);
        const text = await createField(api, { name: 'Text', type: 'textField' });
        await api.post('/tags', { id: TAG_CATEGORY, text: 'Topics' });
        const ticket = await createTicket(api, {
          title: 'Before',
          description: 'desc',
          priority: 'Low',
          assignee: agent,
          customFields: { [text.id]: 'hello' },
          tags: [{ tagCategoryId: TAG_CATEGORY, text: 'one' }],
          expectedDate: '2024-01-01T00:00:00Z',
        });
        await sleep(5);
        const editor = { id: 'editor-9', name: 'Eddie', email: 'eddie@example.com' };
        const res = await api.put(`/tickets/${ticket.id}`, { updates: { title: 'After' }, user: editor });
        expect(res.status, JSON.stringify(res.body)).toBe(200);
        const item = res.body.item;
        expect(item.title).toBe('After');
        const { title: _a, lastUpdatedOn: _b, lastUpdatedBy: _c, lastInteraction: _d, ...rest } = item;
        const { title: _e, lastUpdatedOn: _f, lastUpdatedBy: _g, lastInteraction: _h, ...restBefore } = ticket;
        expect(rest).toEqual(restBefore);
        expect(item.lastUpdatedBy).toEqual(editor);
        expect(item.createdBy).toEqual(requestor);
        expect(item.lastUpdatedOn).toMatch(ISO_UTC);
        expect(Date.parse(item.lastUpdatedOn)).toBeGreaterThan(Date.parse(ticket.lastUpdatedOn));
        expect((await api.get(`/tickets/${ticket.ticketId}`)).body.item).toEqual(item);

        const activities = await api.get(`/tickets/${ticket.id}/activities`);
        expect(activities.status).toBe(200);
        const changes = activities.body.items.filter((a: { type: string }) => a.type === 'fieldChange');
        expect(changes).toHaveLength(1);
        expect(changes[0]).toMatchObject({ field: 'title', from: 'Before', to: 'After', user: editor });
        expect(typeof changes[0].id).toBe('string');
        expect(changes[0].createdOn).toMatch(ISO_UTC);
      });

      it('takes { ticket, user } (the reference schema) the same way', async () => {
        const { api } = await createInstance(t.app);
        const ticket = await createTicket(api, { title: 'Before', priority: 'Low' });
        const res = await api.put(`/tickets/${ticket.ticketId}`, { ticket: { priority: 'Urgent', assignee: agent }, user: agent });
        expect(res.status, JSON.stringify(res.body)).toBe(200);
        expect(res.body.item).toMatchObject({ title: 'Before', priority: 'Urgent', assignee: agent, lastUpdatedBy: agent });
        const activities = (await api.get(`/tickets/${ticket.id}/activities`)).body.items;
        const fields = activities.filter((a: { type: string }) => a.type === 'fieldChange').map((a: { field: string }) => a.field);
        expect(fields.sort()).toEqual(['assignee', 'priority']);
        const priority = activities.find((a: { field?: string }) => a.field === 'priority');
        expect(priority).toMatchObject({ from: 'Low', to: 'Urgent' });
        // assignee: null clears it.
        const cleared = await api.put(`/tickets/${ticket.id}`, { ticket: { assignee: null }, user: agent });
        expect(cleared.status).toBe(200);
        expect(cleared.body.item.assignee).toBeNull();
      });

      it('rejects a body without changes, without user, or with server-owned fields', async () => {
        const { api } = await createInstance(t.app);
        const ticket = await createTicket(api, { title: 'Same' });
        expectProblem(await api.put(`/tickets/${ticket.id}`, { user: agent }), 400, 'validation_failed');
        expectFieldError(await api.put(`/tickets/${ticket.id}`, { updates: { title: 'x' } }), 'user');
        for (const field of ['id', 'ticketId', 'createdOn', 'createdBy', 'isFrtEscalated', 'firstResponseOn']) {
          expectFieldError(await api.put(`/tickets/${ticket.id}`, { updates: { title: 'x', [field]: SERVER_OWNED[field] }, user: agent }), field);
        }
        const read = (await api.get(`/tickets/${ticket.id}`)).body.item;
        expect(read).toEqual(ticket);
        expectProblem(await api.put(`/tickets/${UNKNOWN_UUID}`, { updates: { title: 'x' }, user: agent }), 404, 'not_found');
        expectProblem(await api.put('/tickets/999', { updates: { title: 'x' }, user: agent }), 404, 'not_found');
      });

      it('answers 400 to status in updates, pointing at the status route', async () => {
        const { api } = await createInstance(t.app);
        const ticket = await createTicket(api);
        for (const body of [
          { updates: { status: 'Started' }, user: agent },
          { ticket: { status: 'Closed', title: 'x' }, user: agent },
        ]) {
          const res = await api.put(`/tickets/${ticket.id}`, body);
          expectFieldError(res, 'status');
          expect(JSON.stringify(res.body)).toContain('/status');
        }
        const read = (await api.get(`/tickets/${ticket.id}`)).body.item;
        expect(read.status).toBe('Open');
        expect(read.title).toBe(ticket.title);
      });

      it('merges customFields key by key; null clears a key', async () => {
        const { api } = await createInstance(t.app);
        const a = await createField(api, { name: 'A', type: 'textField' });
        const b = await createField(api, { name: 'B', type: 'toggle' });
        const c = await createField(api, { name: 'C', type: 'textArea' });
        const ticket = await createTicket(api, { customFields: { [a.id]: 'first', [b.id]: true } });
        expect(ticket.customFields).toEqual({ [a.id]: 'first', [b.id]: true });

        let res = await api.put(`/tickets/${ticket.id}`, { updates: { customFields: { [a.id]: 'second', [c.id]: 'added' } }, user: agent });
        expect(res.status, JSON.stringify(res.body)).toBe(200);
        expect(res.body.item.customFields).toEqual({ [a.id]: 'second', [b.id]: true, [c.id]: 'added' });

        res = await api.put(`/tickets/${ticket.id}`, { updates: { customFields: { [b.id]: null } }, user: agent });
        expect(res.status, JSON.stringify(res.body)).toBe(200);
        expect(res.body.item.customFields[b.id] ?? null).toBeNull();
        expect(res.body.item.customFields[a.id]).toBe('second');
        expect(res.body.item.customFields[c.id]).toBe('added');
        const read = (await api.get(`/tickets/${ticket.id}`)).body.item;
        expect(read.customFields).toEqual(res.body.item.customFields);

        const change = (await api.get(`/tickets/${ticket.id}/activities`)).body.items.find(
          (x: { field?: string }) => x.field !== undefined && x.field.includes(a.id),
        );
        expect(change).toMatchObject({ type: 'fieldChange', from: 'first', to: 'second' });
      });

      it('replaces the tag list', async () => {
        const { api } = await createInstance(t.app);
        await api.post('/tags', { id: TAG_CATEGORY, text: 'Topics', tags: [{ text: 'one' }, { text: 'two' }] });
        const ticket = await createTicket(api, {
          tags: [
            { tagCategoryId: TAG_CATEGORY, text: 'one' },
            { tagCategoryId: TAG_CATEGORY, text: 'two' },
          ],
        });
        expect(ticket.tags).toHaveLength(2);
        let res = await api.put(`/tickets/${ticket.id}`, { updates: { tags: [{ tagCategoryId: TAG_CATEGORY, text: 'three' }] }, user: agent });
        expect(res.status, JSON.stringify(res.body)).toBe(200);
        expect(res.body.item.tags).toEqual([{ tagCategoryId: TAG_CATEGORY, text: 'three' }]);
        res = await api.put(`/tickets/${ticket.id}`, { updates: { tags: [] }, user: agent });
        expect(res.body.item.tags).toEqual([]);
        expect((await api.get(`/tickets/${ticket.id}`)).body.item.tags).toEqual([]);
      });
    });

    describe('custom fields', () => {
      async function sevenFields(api: Client) {
        const people = await createField(api, { name: 'People', type: 'peoplePicker' });
        const multi = await createField(api, {
          name: 'Multi',
          type: 'multipleItemsPicker',
          options: [
            { id: OPT.multiA, text: 'A' },
            { id: OPT.multiB, text: 'B' },
          ],
        });
        const single = await createField(api, {
          name: 'Single',
          type: 'singleItemPicker',
          options: [
            { id: OPT.singleA, text: 'One' },
            { id: OPT.singleB, text: 'Two' },
          ],
        });
        const textField = await createField(api, { name: 'Text', type: 'textField' });
        const textArea = await createField(api, { name: 'Area', type: 'textArea' });
        const toggle = await createField(api, { name: 'Toggle', type: 'toggle' });
        const date = await createField(api, { name: 'Date', type: 'datePicker' });
        return { people, multi, single, textField, textArea, toggle, date };
      }

      it('stores and returns valid values of all seven types', async () => {
        const { api } = await createInstance(t.app);
        const f = await sevenFields(api);
        const values = {
          [f.people.id]: [agent, requestor],
          [f.multi.id]: [OPT.multiB, OPT.multiA],
          [f.single.id]: [OPT.singleB],
          [f.textField.id]: 'short',
          [f.textArea.id]: 'line 1\nline 2',
          [f.toggle.id]: false,
          [f.date.id]: '2023-07-26T17:00:00Z',
        };
        const created = await createTicket(api, { customFields: values });
        const read = (await api.get(`/tickets/${created.id}`)).body.item;
        for (const item of [created, read]) {
          const cf = item.customFields;
          expect(cf[f.people.id]).toEqual([agent, requestor]);
          expect([...cf[f.multi.id]].sort()).toEqual([OPT.multiA, OPT.multiB].sort());
          expect(cf[f.single.id]).toEqual([OPT.singleB]);
          expect(cf[f.textField.id]).toBe('short');
          expect(cf[f.textArea.id]).toBe('line 1\nline 2');
          expect(cf[f.toggle.id]).toBe(false);
          expect(cf[f.date.id]).toMatch(ISO_UTC);
          expect(new Date(cf[f.date.id]).toISOString()).toBe('2023-07-26T17:00:00.000Z');
        }
        // A date-time with an offset is stored as the same instant in UTC.
        const offset = await createTicket(api, { customFields: { [f.date.id]: '2023-07-27T00:00:00+07:00' } });
        expect(new Date(offset.customFields[f.date.id]).toISOString()).toBe('2023-07-26T17:00:00.000Z');
        expect(offset.customFields[f.date.id]).toMatch(ISO_UTC);
      });

      it('rejects unknown field ids, wrong types and foreign option ids (400, nothing stored)', async () => {
        const { api } = await createInstance(t.app);
        const f = await sevenFields(api);
        const invalid: [string, unknown][] = [
          [UNKNOWN_UUID, 'x'],
          ['not-a-field', 'x'],
          [f.people.id, 'Allan Deyoung'],
          [f.people.id, [{ name: 'no id', email: 'a@b.c' }]],
          [f.people.id, agent],
          [f.multi.id, [123]],
          [f.multi.id, [OPT.singleA]], // an option of another field
          [f.multi.id, [UNKNOWN_UUID]],
          [f.single.id, [OPT.multiA]], // an option of another field
          [f.single.id, [OPT.singleA, OPT.singleB]],
          [f.single.id, true],
          [f.textField.id, 5],
          [f.textField.id, ['a']],
          [f.textArea.id, true],
          [f.toggle.id, 'true'],
          [f.toggle.id, 1],
          [f.date.id, 'not a date'],
          [f.date.id, '2023-02-30'],
          [f.date.id, 1690390800000],
        ];
        for (const [id, value] of invalid) {
          const res = await api.post('/tickets', { ticket: { title: 'x', requestor, customFields: { [id]: value } }, user: requestor });
          expectFieldError(res, id);
        }
        expect(await ticketCount(api)).toBe(0);

        // The same checks hold on update; the ticket keeps its values.
        const ticket = await createTicket(api, { customFields: { [f.textField.id]: 'kept' } });
        for (const [id, value] of invalid) {
          const res = await api.put(`/tickets/${ticket.id}`, { updates: { customFields: { [id]: value } }, user: agent });
          expectFieldError(res, id);
        }
        expect((await api.get(`/tickets/${ticket.id}`)).body.item.customFields).toEqual({ [f.textField.id]: 'kept' });
      });

      it('requires required fields on create and refuses to clear them', async () => {
        const { api } = await createInstance(t.app);
        const req = await createField(api, { name: 'Department', type: 'textField', required: true });
        const pick = await createField(api, {
          name: 'Impact',
          type: 'singleItemPicker',
          required: true,
          options: [{ id: OPT.singleA, text: 'High' }],
        });
        const other = await createField(api, { name: 'Other', type: 'textField' });

        expectFieldError(await api.post('/tickets', { ticket: { title: 'x', requestor }, user: requestor }), req.id);
        expectFieldError(await api.post('/tickets', { ticket: { title: 'x', requestor, customFields: { [req.id]: 'IT' } }, user: requestor }), pick.id);
        expectFieldError(
          await api.post('/tickets', { ticket: { title: 'x', requestor, customFields: { [req.id]: '', [pick.id]: [OPT.singleA] } }, user: requestor }),
          req.id,
        );
        expect(await ticketCount(api)).toBe(0);

        const ticket = await createTicket(api, { customFields: { [req.id]: 'IT', [pick.id]: [OPT.singleA] } });
        for (const value of [null, '']) {
          expectFieldError(await api.put(`/tickets/${ticket.id}`, { updates: { customFields: { [req.id]: value } }, user: agent }), req.id);
        }
        for (const value of [null, []]) {
          expectFieldError(await api.put(`/tickets/${ticket.id}`, { updates: { customFields: { [pick.id]: value } }, user: agent }), pick.id);
        }
        expect((await api.get(`/tickets/${ticket.id}`)).body.item.customFields).toEqual({ [req.id]: 'IT', [pick.id]: [OPT.singleA] });

        // Updating other fields does not need the required ones to be sent again.
        const res = await api.put(`/tickets/${ticket.id}`, { updates: { customFields: { [other.id]: 'x' } }, user: agent });
        expect(res.status, JSON.stringify(res.body)).toBe(200);
        expect(res.body.item.customFields).toEqual({ [req.id]: 'IT', [pick.id]: [OPT.singleA], [other.id]: 'x' });
      });

      it('a deleted field takes no new values; old tickets keep theirs, readable', async () => {
        const { api } = await createInstance(t.app);
        const field = await createField(api, { name: 'Legacy', type: 'textField', required: true });
        const old = await createTicket(api, { customFields: { [field.id]: 'old value' } });

        const del = await api.delete(`/instance/customFields/${field.id}`);
        expect(del.status).toBe(200);
        expect(del.body.item.deleted).toBe(true);

        expectFieldError(await api.post('/tickets', { ticket: { title: 'x', requestor, customFields: { [field.id]: 'new' } }, user: requestor }), field.id);
        expectFieldError(await api.put(`/tickets/${old.id}`, { updates: { customFields: { [field.id]: 'new' } }, user: agent }), field.id);

        // Old values stay readable; a deleted required field is no longer required.
        expect((await api.get(`/tickets/${old.id}`)).body.item.customFields[field.id]).toBe('old value');
        const fresh = await createTicket(api, { title: 'without the deleted field' });
        expect(fresh.customFields).toEqual({});
        const upd = await api.put(`/tickets/${old.id}`, { updates: { title: 'still works' }, user: agent });
        expect(upd.status, JSON.stringify(upd.body)).toBe(200);
        expect(upd.body.item.customFields[field.id]).toBe('old value');

        // Once deleted, the field is no longer required: its old value can be cleared.
        const cleared = await api.put(`/tickets/${old.id}`, { updates: { customFields: { [field.id]: null } }, user: agent });
        expect(cleared.status, JSON.stringify(cleared.body)).toBe(200);
        expect(cleared.body.item.customFields).toEqual({});
      });
    });

    describe('dates and timezone', () => {
      it('reads a date-only value as local midnight in the caller timezone', async () => {
        const { api } = await createInstance(t.app);
        const date = await createField(api, { name: 'Due', type: 'datePicker' });
        const res = await api.post('/tickets?timezone=7', {
          ticket: { title: 'x', requestor, expectedDate: '2023-07-27', customFields: { [date.id]: '2023-07-27' } },
          user: requestor,
        });
        expect(res.status, JSON.stringify(res.body)).toBe(201);
        const item = res.body.item;
        expect(item.expectedDate).toMatch(ISO_UTC);
        expect(new Date(item.expectedDate).toISOString()).toBe('2023-07-26T17:00:00.000Z');
        expect(item.customFields[date.id]).toMatch(ISO_UTC);
        expect(new Date(item.customFields[date.id]).toISOString()).toBe('2023-07-26T17:00:00.000Z');
        const read = (await api.get(`/tickets/${item.id}`)).body.item;
        expect(new Date(read.expectedDate).toISOString()).toBe('2023-07-26T17:00:00.000Z');

        // Without a timezone: UTC midnight. With a quarter-hour offset: that offset.
        const utc = await createTicket(api, { expectedDate: '2023-07-27' });
        expect(new Date(utc.expectedDate).toISOString()).toBe('2023-07-27T00:00:00.000Z');
        const upd = await api.put(`/tickets/${utc.id}?timezone=5.75`, {
          updates: { expectedDate: '2023-07-27', customFields: { [date.id]: '2023-07-27' } },
          user: agent,
        });
        expect(upd.status, JSON.stringify(upd.body)).toBe(200);
        expect(new Date(upd.body.item.expectedDate).toISOString()).toBe('2023-07-26T18:15:00.000Z');
        expect(new Date(upd.body.item.customFields[date.id]).toISOString()).toBe('2023-07-26T18:15:00.000Z');
        const neg = await api.put(`/tickets/${utc.id}?timezone=-12`, { updates: { expectedDate: '2023-07-27' }, user: agent });
        expect(new Date(neg.body.item.expectedDate).toISOString()).toBe('2023-07-27T12:00:00.000Z');
      });

      it('rejects an invalid expectedDate', async () => {
        const { api } = await createInstance(t.app);
        expectFieldError(await api.post('/tickets', { ticket: { title: 'x', requestor, expectedDate: 'tomorrow' }, user: requestor }), 'expectedDate');
        expectFieldError(await api.post('/tickets', { ticket: { title: 'x', requestor, expectedDate: '2023-13-01' }, user: requestor }), 'expectedDate');
        expect(await ticketCount(api)).toBe(0);
      });

      it('answers 400 to a timezone that is not an offset from -12 to 14 in quarter hours', async () => {
        const { api } = await createInstance(t.app);
        const ticket = await createTicket(api);
        for (const tz of ['15', '0.3', 'abc', '-13', '14.25']) {
          const body = { ticket: { title: 'x', requestor, expectedDate: '2023-07-27' }, user: requestor };
          expectProblem(await api.post(`/tickets?timezone=${tz}`, body), 400, 'invalid_request');
          expectProblem(
            await api.put(`/tickets/${ticket.id}?timezone=${tz}`, { updates: { expectedDate: '2023-07-27' }, user: agent }),
            400,
            'invalid_request',
          );
          expectProblem(await api.get(`/tickets/${ticket.id}?timezone=${tz}`), 400, 'invalid_request');
        }
        expect(await ticketCount(api)).toBe(1);
        expect((await api.get(`/tickets/${ticket.id}`)).body.item.expectedDate).toBeNull();
        expect((await api.post('/tickets?timezone=14', { ticket: { title: 'x', requestor }, user: requestor })).status).toBe(201);
      });
    });

    describe('tags', () => {
      it('needs an existing, non-deleted category', async () => {
        const { api } = await createInstance(t.app);
        expectFieldError(
          await api.post('/tickets', { ticket: { title: 'x', requestor, tags: [{ tagCategoryId: TAG_CATEGORY, text: 'a' }] }, user: requestor }),
          'tagCategoryId',
        );
        expect(await ticketCount(api)).toBe(0);

        const cat = await api.post('/tags', { id: TAG_CATEGORY, text: 'Topics' });
        expect(cat.status).toBe(201);
        const ticket = await createTicket(api, { tags: [{ tagCategoryId: TAG_CATEGORY, text: 'a' }] });
        expectFieldError(
          await api.put(`/tickets/${ticket.id}`, { updates: { tags: [{ tagCategoryId: UNKNOWN_UUID, text: 'a' }] }, user: agent }),
          'tagCategoryId',
        );

        expect((await api.delete(`/tags/${TAG_CATEGORY}`)).status).toBe(200);
        expectFieldError(
          await api.post('/tickets', { ticket: { title: 'x', requestor, tags: [{ tagCategoryId: TAG_CATEGORY, text: 'b' }] }, user: requestor }),
          'tagCategoryId',
        );
        // The old ticket keeps its tag.
        expect((await api.get(`/tickets/${ticket.id}`)).body.item.tags).toEqual([{ tagCategoryId: TAG_CATEGORY, text: 'a' }]);
        expect(await ticketCount(api)).toBe(1);
      });

      it('adds a new text to its existing category', async () => {
        const { api } = await createInstance(t.app);
        await api.post('/tags', { id: TAG_CATEGORY, text: 'Topics', color: '#ff0000', tags: [{ text: 'printer' }] });
        await createTicket(api, { tags: [{ tagCategoryId: TAG_CATEGORY, text: 'network' }] });
        const ticket = await createTicket(api);
        await api.put(`/tickets/${ticket.id}`, { updates: { tags: [{ tagCategoryId: TAG_CATEGORY, text: 'vpn' }] }, user: agent });

        const res = await api.get('/tags');
        expect(res.status).toBe(200);
        const category = res.body.items.find((c: { id: string }) => c.id === TAG_CATEGORY);
        expect(category).toMatchObject({ text: 'Topics', color: '#ff0000', deleted: false });
        const texts = category.tags.filter((x: { deleted: boolean }) => !x.deleted).map((x: { text: string }) => x.text);
        expect(texts.sort()).toEqual(['network', 'printer', 'vpn']);
      });
    });
  });
}
