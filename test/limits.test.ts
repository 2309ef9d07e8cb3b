import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { v7 as uuidv7 } from 'uuid';
import * as L from '../src/domain/limits.js';
import { agent, createInstance, createTestApp, createTicket, DIALECTS, requestor, type Client, type Reply, type TestApp } from './helpers.js';

/*
 * Issue 12, bounded inputs: every limit of src/domain/limits.ts at its boundary (the limit
 * itself accepted, one more refused with the field's path), on both stores, and the byte budget
 * of a page of GET /tickets.
 */

/** `n` characters of 4 UTF-8 bytes each that don't compress: the worst case for PostgreSQL's btree entries. */
const wide = (n: number) => Array.from({ length: n }, (_, i) => String.fromCodePoint(0x1f300 + ((i * 7919) % 700))).join('');

function expectRefused(reply: Reply, status: number, path: string) {
  expect(reply.status, JSON.stringify(reply.body).slice(0, 500)).toBe(status);
  expect(reply.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(reply.body.code).toBe(status === 409 ? 'conflict' : status === 413 ? 'payload_too_large' : 'validation_failed');
  expect((reply.body.errors as { path: string }[]).map((e) => e.path)).toContain(path);
}

async function customField(api: Client, type: string, extra: Record<string, unknown> = {}) {
  const created = await api.post('/instance/customFields', { name: `${type} field`, type, ...extra });
  expect(created.status).toBe(201);
  return created.body.item as { id: string; options: { id: string }[] };
}

for (const dialect of DIALECTS) {
  describe.skipIf(dialect.skip)(`limits (${dialect.name})`, () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp(dialect.name);
    });
    afterAll(async () => t?.close());

    it('the limits are the documented ones', () => {
      expect(L.LIST_PAGE_BYTES).toBe(8 * 1024 * 1024);
      expect([L.USER_NAME_MAX, L.USER_ID_MAX, L.EMAIL_MAX, L.TAG_TEXT_MAX, L.TITLE_MAX]).toEqual([200, 200, 254, 200, 500]);
      expect([L.DESCRIPTION_MAX, L.COMMENT_MAX, L.TEXT_FIELD_MAX, L.TEXT_AREA_MAX]).toEqual([100_000, 100_000, 10_000, 100_000]);
      expect([L.TAGS_PER_TICKET, L.TAGS_PER_CATEGORY, L.COMMENTS_PER_TICKET, L.OPTIONS_PER_FIELD]).toEqual([100, 1_000, 5_000, 500]);
      expect([L.CUSTOM_FIELDS_PER_INSTANCE, L.TAG_CATEGORIES_PER_INSTANCE]).toEqual([200, 100]);
    });

    it('a 5,000-character requestor name or tag is a 400 naming the field, not a 500', async () => {
      const { api } = await createInstance(t.app);
      const category = (await api.post('/tags', { text: 'Area' })).body.item;
      const name = await api.post('/tickets', { ticket: { title: 't', requestor: { ...requestor, name: wide(5_000) } }, user: requestor });
      expectRefused(name, 400, '/body/ticket/requestor/name');
      const tag = await api.post('/tickets', { ticket: { title: 't', requestor, tags: [{ tagCategoryId: category.id, text: wide(5_000) }] }, user: requestor });
      expectRefused(tag, 400, '/body/ticket/tags/0/text');
      expect((await api.get('/tickets')).body.items).toHaveLength(0);
      expect((await api.get('/tags')).body.items[0].tags).toHaveLength(0);
    });

    it('names, ids and e-mails of people: the limit is stored (and indexed), one more is refused', async () => {
      const { api } = await createInstance(t.app);
      const person = { id: wide(L.USER_ID_MAX), name: wide(L.USER_NAME_MAX), email: `${'e'.repeat(L.EMAIL_MAX - 12)}@example.com` };
      const ticket = await createTicket(api, { requestor: person, assignee: person }, person);
      expect(ticket.requestor).toEqual(person);
      expect((await api.get(`/tickets?requestor=${encodeURIComponent(person.id)}&orderBy=requestorName`)).body.items).toHaveLength(1);
      for (const [key, value] of [
        ['id', `${person.id}x`],
        ['name', `${person.name}x`],
        ['email', `x${person.email}`],
      ] as const) {
        const over = { ...person, [key]: value };
        expectRefused(await api.post('/tickets', { ticket: { title: 't', requestor: over }, user: requestor }), 400, `/body/ticket/requestor/${key}`);
        expectRefused(await api.put(`/tickets/${ticket.id}`, { updates: { assignee: over }, user: agent }), 400, `/body/updates/assignee/${key}`);
        expectRefused(await api.post(`/tickets/${ticket.id}/comments`, { comment: 'c', user: over }), 400, `/body/user/${key}`);
      }
    });

    it('title, description, comment and status comment at their limits', async () => {
      const { api } = await createInstance(t.app);
      const ticket = await createTicket(api, { title: wide(L.TITLE_MAX), description: wide(L.DESCRIPTION_MAX) });
      expect([...ticket.title]).toHaveLength(L.TITLE_MAX);
      expect((await api.get('/tickets?orderBy=title')).body.items).toHaveLength(1);
      expectRefused(await api.post('/tickets', { ticket: { title: wide(L.TITLE_MAX + 1), requestor }, user: requestor }), 400, '/body/ticket/title');
      expectRefused(
        await api.put(`/tickets/${ticket.id}`, { updates: { description: 'd'.repeat(L.DESCRIPTION_MAX + 1) }, user: agent }),
        400,
        '/body/updates/description',
      );
      expect((await api.post(`/tickets/${ticket.id}/comments`, { comment: 'c'.repeat(L.COMMENT_MAX), user: agent })).status).toBe(201);
      expectRefused(await api.post(`/tickets/${ticket.id}/comments`, { comment: 'c'.repeat(L.COMMENT_MAX + 1), user: agent }), 400, '/body/comment');
      const over = await api.put(`/tickets/${ticket.id}/status`, {
        status: 'Resolved',
        resolution: 'fixed',
        comment: 'r'.repeat(L.COMMENT_MAX + 1),
        user: agent,
      });
      expectRefused(over, 400, '/body/comment');
      const resolved = await api.put(`/tickets/${ticket.id}/status`, {
        status: 'Resolved',
        resolution: 'fixed',
        comment: 'r'.repeat(L.COMMENT_MAX),
        user: agent,
      });
      expect(resolved.status).toBe(200);
      expect(resolved.body.item.lastResolutionComment).toHaveLength(L.COMMENT_MAX);
    });

    it('tags: text length, tags per ticket, and a full category refuses new texts from ticket writes', async () => {
      const { api } = await createInstance(t.app);
      const category = (await api.post('/tags', { text: 'Area', tags: Array.from({ length: L.TAGS_PER_CATEGORY - 1 }, (_, i) => ({ text: `tag ${i}` })) })).body
        .item;
      expect(category.tags).toHaveLength(L.TAGS_PER_CATEGORY - 1);
      const tag = (text: string) => ({ tagCategoryId: category.id, text });
      // The last free place is taken by a new text of exactly TAG_TEXT_MAX characters.
      const last = wide(L.TAG_TEXT_MAX);
      const ticket = await createTicket(api, { tags: [tag(last)] });
      expect(ticket.tags).toEqual([tag(last)]);
      expectRefused(
        await api.post('/tickets', { ticket: { title: 't', requestor, tags: [tag(`${last}x`)] }, user: requestor }),
        400,
        '/body/ticket/tags/0/text',
      );
      // Full: a new text is refused, on create and update; texts it holds are still taken.
      const full = await api.post('/tickets', { ticket: { title: 't', requestor, tags: [tag('tag 1'), tag('brand new')] }, user: requestor });
      expectRefused(full, 400, '/ticket/tags/1/text');
      expectRefused(await api.put(`/tickets/${ticket.id}`, { updates: { tags: [tag('another')] }, user: agent }), 400, '/updates/tags/0/text');
      expect((await api.put(`/tickets/${ticket.id}`, { updates: { tags: [tag('TAG 7')] }, user: agent })).status).toBe(200);
      expect((await api.get('/tags')).body.items[0].tags).toHaveLength(L.TAGS_PER_CATEGORY);
      expect((await api.get('/tickets')).body.items).toHaveLength(1);
      const tooMany = Array.from({ length: L.TAGS_PER_CATEGORY + 1 }, (_, i) => ({ text: `t${i}` }));
      expectRefused(await api.put(`/tags/${category.id}`, { tags: tooMany }), 400, '/body/tags');
      // Tags per ticket.
      const hundred = Array.from({ length: L.TAGS_PER_TICKET }, (_, i) => tag(`tag ${i}`));
      expect((await createTicket(api, { tags: hundred })).tags).toHaveLength(L.TAGS_PER_TICKET);
      expectRefused(
        await api.post('/tickets', { ticket: { title: 't', requestor, tags: [...hundred, tag('tag 500')] }, user: requestor }),
        400,
        '/body/ticket/tags',
      );
    });

    it('custom-field values: textField, textArea, people, option and field ids, and all values of a ticket together', async () => {
      const { api } = await createInstance(t.app);
      const line = await customField(api, 'textField');
      const area = await customField(api, 'textArea');
      const area2 = await customField(api, 'textArea');
      const area3 = await customField(api, 'textArea');
      const people = await customField(api, 'peoplePicker');
      const list = await customField(api, 'multipleItemsPicker', { options: [{ text: 'a' }] });
      const path = (id: string) => `/ticket/customFields/${id}`;
      const create = (customFields: Record<string, unknown>) => api.post('/tickets', { ticket: { title: 't', requestor, customFields }, user: requestor });
      expect((await create({ [line.id]: wide(L.TEXT_FIELD_MAX), [area.id]: wide(L.TEXT_AREA_MAX) })).status).toBe(201);
      expectRefused(await create({ [line.id]: 'x'.repeat(L.TEXT_FIELD_MAX + 1) }), 400, path(line.id));
      expectRefused(await create({ [area.id]: 'x'.repeat(L.TEXT_AREA_MAX + 1) }), 400, path(area.id));
      const persons = Array.from({ length: L.PEOPLE_PER_VALUE }, (_, i) => ({ id: `p${i}`, name: wide(L.USER_NAME_MAX), email: `p${i}@example.com` }));
      expect((await create({ [people.id]: persons })).status).toBe(201);
      expectRefused(await create({ [people.id]: [...persons, { id: 'one more', name: 'x', email: 'x' }] }), 400, path(people.id));
      expectRefused(await create({ [people.id]: [{ id: 'p', name: wide(L.USER_NAME_MAX + 1), email: 'e' }] }), 400, `${path(people.id)}/0/name`);
      expectRefused(await create({ [list.id]: ['x'.repeat(5_000)] }), 400, path(list.id));
      expectRefused(await create({ [list.id]: Array.from({ length: L.OPTIONS_PER_FIELD + 1 }, () => list.options[0]!.id) }), 400, path(list.id));
      expectRefused(await create({ ['f'.repeat(L.ID_MAX + 1)]: 'x' }), 400, '/body/ticket/customFields');
      // Values merge key by key: the sum is bounded too, exactly at CUSTOM_FIELD_VALUES_MAX characters of JSON.
      const ticket = await createTicket(api, { customFields: { [area.id]: 'a'.repeat(L.TEXT_AREA_MAX) } });
      expect((await api.put(`/tickets/${ticket.id}`, { updates: { customFields: { [area2.id]: 'b'.repeat(L.TEXT_AREA_MAX) } }, user: agent })).status).toBe(
        200,
      );
      const used = JSON.stringify({ [area.id]: 'a'.repeat(L.TEXT_AREA_MAX), [area2.id]: 'b'.repeat(L.TEXT_AREA_MAX), [area3.id]: '' }).length;
      const rest = L.CUSTOM_FIELD_VALUES_MAX - used;
      const over = await api.put(`/tickets/${ticket.id}`, { updates: { customFields: { [area3.id]: 'c'.repeat(rest + 1) } }, user: agent });
      expectRefused(over, 400, '/updates/customFields');
      expect((await api.put(`/tickets/${ticket.id}`, { updates: { customFields: { [area3.id]: 'c'.repeat(rest) } }, user: agent })).status).toBe(200);
    });

    it(`a ticket takes ${L.COMMENTS_PER_TICKET} comments; the next is a 409 conflict`, async () => {
      const { api, id: instanceId } = await createInstance(t.app);
      const ticket = await createTicket(api);
      const { seq } = await t.store.db
        .selectFrom('tickets')
        .select('seq')
        .where('instance_id', '=', instanceId)
        .where('id', '=', ticket.id)
        .executeTakeFirstOrThrow();
      const rows = Array.from({ length: L.COMMENTS_PER_TICKET - 1 }, (_, i) => ({
        instance_id: instanceId,
        id: uuidv7(),
        ticket_seq: seq,
        ticket_number: ticket.ticketId,
        type: 'comment',
        user: JSON.stringify(agent),
        created_on: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString(),
        comment: null as string | null,
        is_private: 0,
        data: null,
      }));
      // Written without their texts, then given them at once: the full-text triggers re-index
      // the ticket's comments on each insert of a comment, which would make this quadratic.
      for (let i = 0; i < rows.length; i += 500)
        await t.store.db
          .insertInto('activities')
          .values(rows.slice(i, i + 500))
          .execute();
      await t.store.db
        .updateTable('activities')
        .set({ comment: 'an earlier comment' })
        .where('instance_id', '=', instanceId)
        .where('ticket_seq', '=', seq)
        .where('comment', 'is', null)
        .execute();
      // Other activities don't count.
      expect((await api.put(`/tickets/${ticket.id}/status`, { status: 'Started', comment: 'on it', user: agent })).status).toBe(200);
      expect((await api.post(`/tickets/${ticket.id}/comments`, { comment: 'the last one', user: agent })).status).toBe(201);
      expectRefused(await api.post(`/tickets/${ticket.id}/comments`, { comment: 'one too many', isPrivate: true, user: agent }), 409, '/body/comment');
      // More than a page of activities: the pages walk them all, each once.
      const comments = new Set<string>();
      let token: string | null = null;
      let pages = 0;
      do {
        const page: Reply = await api.get(`/tickets/${ticket.id}/activities`, token ? { continuationToken: token } : {});
        expect(page.body.itemCount).toBe(L.COMMENTS_PER_TICKET + 1);
        for (const a of page.body.items as { id: string; type: string }[]) if (a.type === 'comment') comments.add(a.id);
        token = page.body.continuationToken;
        pages++;
      } while (token);
      expect(pages).toBe(Math.ceil((L.COMMENTS_PER_TICKET + 1) / L.ACTIVITY_LIMIT_MAX));
      expect(comments.size).toBe(L.COMMENTS_PER_TICKET);
    });

    it('instance settings: custom fields, options, tag categories and the lists of PUT /instance are bounded', async () => {
      const { api } = await createInstance(t.app);
      for (let i = 0; i < L.CUSTOM_FIELDS_PER_INSTANCE; i++)
        expect((await api.post('/instance/customFields', { name: `f${i}`, type: 'toggle' })).status).toBe(201);
      expectRefused(await api.post('/instance/customFields', { name: 'one more', type: 'toggle' }), 409, '/body');
      for (let i = 0; i < L.TAG_CATEGORIES_PER_INSTANCE; i++) expect((await api.post('/tags', { text: `c${i}` })).status).toBe(201);
      expectRefused(await api.post('/tags', { text: 'one more' }), 409, '/body');
      const other = (await createInstance(t.app)).api;
      const options = (n: number) => Array.from({ length: n }, (_, i) => ({ text: `o${i}` }));
      expect((await other.post('/instance/customFields', { name: 'list', type: 'multipleItemsPicker', options: options(L.OPTIONS_PER_FIELD) })).status).toBe(
        201,
      );
      expectRefused(
        await other.post('/instance/customFields', { name: 'list', type: 'multipleItemsPicker', options: options(L.OPTIONS_PER_FIELD + 1) }),
        400,
        '/body/options',
      );

      const person = (i: number) => ({ id: `u${i}`, name: `User ${i}`, email: `u${i}@example.com` });
      const people = (n: number) => Array.from({ length: n }, (_, i) => person(i));
      const rules = (n: number) => Array.from({ length: n }, (_, i) => ({ name: `r${i}`, assignees: [person(i)] }));
      const accepted: Record<string, unknown>[] = [
        { assigneeRules: rules(L.ASSIGNEE_RULES_MAX) },
        { assignees: { type: 'customAssignee', peoples: people(L.PEOPLE_PER_LIST) } },
        { idleTicketAssignedTo: people(L.PEOPLE_PER_LIST) },
        {
          assigneeRules: [
            { assignees: people(L.PEOPLE_PER_LIST), conditions: { titleContains: Array.from({ length: L.RULE_CONDITION_VALUES_MAX }, (_, i) => `w${i}`) } },
          ],
        },
        { groupId: 'g'.repeat(L.SETTING_TEXT_MAX) },
      ];
      for (const body of accepted) expect((await other.put('/instance', body)).status, Object.keys(body)[0]).toBe(200);
      const refused: [Record<string, unknown>, string][] = [
        [{ assigneeRules: rules(L.ASSIGNEE_RULES_MAX + 1) }, '/body/assigneeRules'],
        [{ assignees: { type: 'customAssignee', peoples: people(L.PEOPLE_PER_LIST + 1) } }, '/body/assignees/peoples'],
        [{ idleTicketAssignedTo: people(L.PEOPLE_PER_LIST + 1) }, '/body/idleTicketAssignedTo'],
        [{ assigneeRules: [{ assignees: people(L.PEOPLE_PER_LIST + 1) }] }, '/body/assigneeRules/0/assignees'],
        [{ assigneeRules: [{ assignees: [{ ...person(0), name: wide(L.USER_NAME_MAX + 1) }] }] }, '/body/assigneeRules/0/assignees/0/name'],
        [
          {
            assigneeRules: [
              { assignees: [person(0)], conditions: { titleContains: Array.from({ length: L.RULE_CONDITION_VALUES_MAX + 1 }, (_, i) => `w${i}`) } },
            ],
          },
          '/body/assigneeRules/0/conditions/titleContains',
        ],
        [{ groupId: 'g'.repeat(L.SETTING_TEXT_MAX + 1) }, '/body/groupId'],
        [{ customFieldsLeft: Array.from({ length: L.CUSTOM_FIELDS_PER_INSTANCE + 1 }, (_, i) => `f${i}`) }, '/body/customFieldsLeft'],
        [
          {
            sla: {
              enabled: true,
              timeZone: 'UTC',
              workingDays: [1],
              workingHours: { start: '09:00', end: '17:00' },
              holidays: Array.from({ length: L.HOLIDAYS_MAX + 1 }, () => '2027-01-01'),
              targets: {},
              breachAssignees: [],
            },
          },
          '/body/sla/holidays',
        ],
      ];
      for (const [body, path] of refused) expectRefused(await other.put('/instance', body), 400, path);
    });

    it('a page of GET /tickets stops before its byte budget; its tokens walk every ticket once', async () => {
      const { api } = await createInstance(t.app);
      const area = await customField(api, 'textArea');
      const count = 170;
      const created: number[] = [];
      for (let i = 0; i < count; i++) {
        const ticket = await createTicket(api, {
          title: `big ${i}`,
          description: `ticket ${i} `.repeat(500),
          customFields: { [area.id]: `${i}`.padEnd(L.TEXT_AREA_MAX, '.') },
        });
        created.push(ticket.ticketId);
      }
      for (const query of [
        'limit=1000',
        'limit=1000&orderBy=title&order=ASC',
        'limit=1000&select=ticketId,title,customFields,requestorName',
        // The description twice (its HTML is made from it): still within the budget.
        'limit=1000&include=description_HTML',
      ]) {
        const seen: number[] = [];
        let token: string | null = null;
        let pages = 0;
        do {
          const response = await t.app.inject({
            method: 'GET',
            url: `/api/v1/tickets?${query}&key=${api.key}`,
            headers: token ? { continuationToken: token } : {},
          });
          expect(response.statusCode).toBe(200);
          expect(response.rawPayload.length, query).toBeLessThanOrEqual(L.LIST_PAGE_BYTES);
          const body = JSON.parse(response.body) as { items: { ticketId: number }[]; continuationToken: string | null };
          expect(body.items.length).toBeGreaterThan(0);
          if (pages === 0) {
            // Shorter than the limit and than the instance, with a token.
            expect(body.items.length).toBeLessThan(count);
            expect(body.continuationToken).not.toBeNull();
            expect(response.rawPayload.length).toBeGreaterThan(L.LIST_PAGE_BYTES * 0.9);
          }
          seen.push(...body.items.map((item) => item.ticketId));
          token = body.continuationToken;
          pages++;
        } while (token);
        expect(pages, query).toBeGreaterThanOrEqual(3);
        expect(
          [...seen].sort((a, b) => a - b),
          query,
        ).toEqual([...created].sort((a, b) => a - b));
      }
      // A small page is not cut.
      expect((await api.get('/tickets?limit=5')).body.items).toHaveLength(5);
    });
  });
}
