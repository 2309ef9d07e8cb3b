import { createHash } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PNG, ZIP } from '../attachment-form.js';
import { postgresUrl } from '../helpers.js';
import {
  dotnetEncode5987,
  dotnetJson,
  dotnetMultipart,
  escapeDataString,
  getUrlAsDotnet,
  postMultipartAsDotnet,
  RawJson,
  readAs,
  sendAsDotnet,
  ShapeError,
  t,
  type DotnetPart,
  type Shape,
  type WireAnswer,
  type WireRequest,
} from './dotnet-client.js';
import { dropPostgresDatabase, freshPostgresDatabase, printedKeys, startServer, tempSqliteUrl, type ServerProcess } from './server-process.js';

/*
 * The real-client replay (issue 14, API-CONTRACT §10). A C# MCP server that agents use to work
 * tickets of the original product was pointed at this server; this file sends, request by
 * request, what it sends for each of its operations (paths as the reference writes them, `?key=`
 * first and then `&timezone=`, its parameters in its order, `Accept: application/json`, the
 * `continuationToken` request header, JSON bodies without null members, encoded as
 * System.Text.Json encodes them), and reads every answer as that client does: as typed models,
 * member names without case, a number where a string is expected a failure (dotnet-client.ts).
 * The shapes expected are the reference's, §10's and §11's (attachments).
 *
 * | #  | client operation (MCP tool)              | requests replayed |
 * | -- | ---------------------------------------- | ----------------- |
 * | 1  | get_instance                             | GET instance?key&timezone |
 * | 2  | list_tag_categories                      | GET tags?key |
 * | 3  | list_tickets, paged                      | GET tickets?key&timezone&limit, then the same with the continuationToken header to the end |
 * | 4  | list_tickets, search and select          | GET tickets?…&limit&search&select |
 * | 5  | list_tickets, filters and order          | GET tickets?…&limit&status&priority&tags&orderBy&order&select&createdAfter |
 * | 6  | list_tickets, statusId and isResolved    | GET tickets?…&limit&statusId / &isResolved=true / &isResolved=false |
 * | 7  | list_tickets, rich text                  | GET tickets?…&limit&include=description_HTML |
 * | 8  | get_ticket                               | GET tickets/{uuid}?key&timezone |
 * | 9  | get_ticket, rich text                    | GET tickets/{uuid}?key&timezone&include=description_HTML |
 * | 10 | find_ticket_by_number                    | GET tickets?…&limit=50&search={n}&select=id,ticketId, then GET tickets/{uuid} |
 * | 11 | find_similar_tickets                     | GET tickets?…&limit=25&search&isResolved=false&select |
 * | 12 | create_ticket                            | POST tickets?key&timezone { ticket, user } |
 * | 13 | create_ticket, fields set by name        | GET instance, GET tags, then POST tickets with custom fields found by title, option texts mapped to keys, people from the assignee list, an e-mail picker |
 * | 14 | create_ticket, rich text                 | POST tickets?key&timezone&include=description_HTML { ticket: { description_HTML } } |
 * | 15 | update_ticket                            | PUT tickets/{uuid}?key&timezone { ticket, user } (custom field cleared with null) |
 * | 16 | assign_ticket                            | GET instance (the assignee list), PUT tickets/{uuid} { ticket: { assignee } } |
 * | 17 | update_ticket_status                     | PUT tickets/{uuid}/status { status: "In Progress" }, then Resolved with resolution and comment |
 * | 18 | update_ticket_status, refused            | PUT tickets/{uuid}/status on a closed ticket: the error body { error, message, statusCode } |
 * | 19 | add_ticket_comment                       | POST tickets/{uuid}/activities?key { comment, isPrivate, user } |
 * | 20 | add_ticket_comment, rich text            | POST tickets/{uuid}/activities?key&include=comment_HTML { comment_HTML, isPrivate: true, user } |
 * | 21 | list_ticket_activities, paged            | GET tickets/{uuid}/activities?key&limit=2, then the continuationToken header to the end |
 * | 22 | list_ticket_activities, rich text        | GET tickets/{uuid}/activities?key&include=comment_HTML&limit |
 * | 23 | get_ticket_context                       | GET tickets/{uuid}, GET tickets/{uuid}/activities?key&limit=10 and GET tickets/{uuid}/attachments?key, together |
 * | 24 | list_my_tickets                          | GET tickets?…&limit=1000&isResolved=false&select=(summary fields) |
 * | 25 | list_sla_risk                            | GET tickets?…&limit=200&isResolved=false (whole tickets: breach flags) |
 * | 26 | count_tickets                            | GET tickets?…&limit=1000&isResolved=false&select=id,status,priority,assignee (itemCount as the total) |
 * | 27 | add_ticket_link_attachments              | POST tickets/{uuid}/attachments?key { attachments: [{ src, caption }], comment, isPrivate, user } |
 * | 28 | the file upload                          | POST tickets/{uuid}/attachments?key, multipart/form-data as MultipartFormDataContent writes it: `boundary="<guid>"`, `files` parts `name=files; filename=…; filename*=utf-8''…`, then text parts user (JSON), comment, isPrivate ("true"/"false") |
 * | 29 | list_ticket_attachments                  | GET tickets/{uuid}/attachments?key ({ items, itemCount }) |
 * | 30 | list_activity_attachments                | GET tickets/activity/{activityId}/attachments?key |
 * | 31 | get_ticket_context, with attachments     | the three requests of 23 on a ticket with links, files and a private note |
 * | 32 | a file through its signed src            | GET of the absolute `src` URL, no key: the bytes, Content-Type, Content-Disposition (filename*) |
 * | 33 | a file with the key                      | GET tickets/{uuid}/attachments/{attachmentId}/content?key: the same |
 */

/** The person the client acts as (its service account: an Entra object id). */
const actor = { id: '3fa85f64-5717-4562-b3fc-2c963f66afa6', name: 'Agent Smith', email: 'agent.smith@contoso.example' };
const ann = { id: '6f1c2b0e-9d7a-4c47-9a52-6f1d1f6f2a11', name: 'Ann Agent', email: 'ann@contoso.example' };
const ben = { id: 'b7d1e0c4-2f2e-4f5e-8a1b-0c3e2d6f9a22', name: 'Ben Builder', email: 'ben@contoso.example' };
const requestor = { id: 'e4b0a1c2-7d3f-4e8a-9b6c-5d2f1a0e3b33', name: 'Jason Doe', email: 'jason.doe@contoso.example' };

// ------------------------------------------------------------------ the models the client reads

const User = t.object({ id: t.string(), name: t.string(), email: t.string() });

const ticketMembers = {
  id: t.string('uuid'),
  ticketId: t.int(),
  ticketNo: t.int(),
  title: t.string(),
  description: t.string(),
  status: t.string(),
  priority: t.string(),
  requestor: User,
  assignee: t.nullable(User),
  customFields: t.dictionary(),
  tags: t.array(t.object({ tagCategoryId: t.string(), text: t.string() })),
  expectedDate: t.nullable(t.string('date-time')),
  resolution: t.nullable(t.string()),
  lastResolutionComment: t.nullable(t.string()),
  firstResponseOn: t.nullable(t.string('date-time')),
  firstResolutionOn: t.nullable(t.string('date-time')),
  lastResolutionOn: t.nullable(t.string('date-time')),
  createdOn: t.string('date-time'),
  lastUpdatedOn: t.string('date-time'),
  createdBy: User,
  lastUpdatedBy: User,
  isFrtEscalated: t.bool(),
  isRtEscalated: t.bool(),
  isFrtBreached: t.bool(),
  isRtBreached: t.bool(),
  origin: t.string(),
  trackingId: t.string(),
};
const Ticket = t.object(ticketMembers);
const TicketWithHtml = t.object({ ...ticketMembers, description_HTML: t.string() });
/** A listed ticket with `select`: the selected members, and nothing else is needed. */
const selected = (names: string[]) =>
  t.object(Object.fromEntries(names.map((n) => [n, (ticketMembers as Record<string, Shape | ReturnType<typeof t.nullable>>)[n]!])));

const item = (shape: Shape) => t.object({ item: shape });
const list = (shape: Shape, itemCount: 'required' | 'optional' = 'required') =>
  t.object({
    items: t.array(shape),
    continuationToken: t.optional(t.nullable(t.string())),
    itemCount: itemCount === 'required' ? t.int() : t.optional(t.nullable(t.int())),
  });

const CustomField = t.object({
  id: t.string(),
  title: t.string(),
  type: t.object({ key: t.string(), text: t.string() }),
  isMandatory: t.bool(),
  isMultiple: t.bool(),
  status: t.string(),
  defaultValue: t.any(),
  options: t.array(t.object({ key: t.string(), text: t.string() })),
});
const Persona = t.object({ id: t.string(), name: t.string(), email: t.string(), text: t.string(), secondaryText: t.string() });
const Instance = t.object({
  id: t.string(),
  name: t.string(),
  instanceName: t.string(),
  displayName: t.string(),
  enabled: t.bool(),
  code: t.optional(t.nullable(t.string())),
  instanceType: t.optional(t.nullable(t.string())),
  customFields: t.array(CustomField),
  customFieldsLeft: t.array(CustomField),
  customFieldsRight: t.array(CustomField),
  optionalFieldsLeft: t.array(CustomField),
  optionalFieldsRight: t.array(CustomField),
  assignees: t.nullable(t.object({ type: t.string(), peoples: t.array(Persona) })),
  workflows: t.optional(t.any()),
  sla: t.any(),
  isAutomaticAssignTickets: t.bool(),
});
const TagCategory = t.object({
  id: t.string(),
  instanceId: t.string(),
  text: t.string(),
  color: t.string(),
  tags: t.array(t.object({ text: t.string(), deleted: t.bool() })),
  deleted: t.bool(),
});
/**
 * IAttachment as §11 lists it, the members the client reads. A byte count would be a C# `long`;
 * the files sent here are small, so the Int32 check stands in for it. Our `activityId` and
 * `isPrivate` (docs/api.md §12) are extra members, which System.Text.Json ignores.
 */
const Attachment = t.object({
  id: t.string(),
  filename: t.string(),
  caption: t.nullable(t.string()),
  src: t.string(),
  isHyperlink: t.bool(),
  isImage: t.bool(),
  isArchive: t.bool(),
  contentType: t.nullable(t.string()),
  size: t.nullable(t.int()),
  sha256: t.nullable(t.string()),
  createdDateTime: t.string('date-time'),
  createdBy: t.string(),
});
const activityMembers = {
  id: t.string(),
  type: t.string(),
  ticketId: t.string('uuid'),
  ticketNo: t.int(),
  createdDateTime: t.string('date-time'),
  createdOn: t.string('date-time'),
  createdBy: User,
  user: User,
  comment: t.nullable(t.string()),
  isPrivate: t.bool(),
  attachments: t.array(Attachment),
  changes: t.optional(t.nullable(t.array(t.object({ name: t.string(), oldValue: t.any(), newValue: t.any() })))),
};
const Activity = t.object(activityMembers);
const ActivityWithHtml = t.object({ ...activityMembers, comment_HTML: t.nullable(t.string()) });
const commentMembers = {
  activityId: t.string(),
  id: t.string(),
  ticketId: t.string('uuid'),
  ticketNo: t.int(),
  comment: t.nullable(t.string()),
  comment_HTML: t.optional(t.nullable(t.string())),
  isPrivate: t.bool(),
  attachments: t.array(Attachment),
  user: User,
  createdOn: t.string('date-time'),
};
const CommentActivity = t.object(commentMembers);
const CommentActivityWithHtml = t.object({ ...commentMembers, comment_HTML: t.nullable(t.string()) });
const ErrorResponse = t.object({ error: t.bool(), message: t.string(), statusCode: t.int() });

/** The client's select lists (LookupTools, WorkloadTools). */
const NUMBER_FIELDS = ['id', 'ticketId'];
const SIMILAR_FIELDS = ['id', 'ticketId', 'title', 'status', 'priority', 'assignee', 'createdOn'];
const SUMMARY_FIELDS = ['id', 'ticketId', 'title', 'status', 'priority', 'assignee', 'requestor', 'expectedDate', 'createdOn', 'lastUpdatedOn'];

/** GET /tickets parameters, in the order the client's ListTicketsAsync lists them. */
interface ListQuery {
  limit?: number;
  offset?: number;
  search?: string;
  title?: string;
  status?: string;
  statusId?: string;
  isResolved?: boolean;
  priority?: string;
  tags?: string;
  orderBy?: string;
  order?: string;
  select?: string[];
  createdAfter?: string;
  createdBefore?: string;
  expectedDateAfter?: string;
  expectedDateBefore?: string;
  lastUpdateAfter?: string;
  lastUpdateBefore?: string;
  includeHtml?: boolean;
}
const listQuery = (q: ListQuery): WireRequest['query'] => [
  ['limit', q.limit],
  ['offset', q.offset],
  ['search', q.search],
  ['title', q.title],
  ['status', q.status],
  ['statusId', q.statusId],
  ['isResolved', q.isResolved === undefined ? undefined : String(q.isResolved)],
  ['priority', q.priority],
  ['tags', q.tags],
  ['orderBy', q.orderBy],
  ['order', q.order],
  ['select', q.select?.join(',')],
  ['createdAfter', q.createdAfter],
  ['createdBefore', q.createdBefore],
  ['expectedDateAfter', q.expectedDateAfter],
  ['expectedDateBefore', q.expectedDateBefore],
  ['lastUpdateAfter', q.lastUpdateAfter],
  ['lastUpdateBefore', q.lastUpdateBefore],
  ['include', q.includeHtml ? 'description_HTML' : undefined],
];

/** The type key as the client reads it: without its number (`5_list` -> `list`). */
const typeKey = (field: { type: { key: string } }) => field.type.key.replace(/^\d+_/, '').toLowerCase();

const STORES = [
  { name: 'SQLite', skip: false },
  { name: 'PostgreSQL', skip: !postgresUrl },
];

for (const store of STORES) {
  describe.skipIf(store.skip)(`the C# MCP client's requests, replayed (${store.name})`, () => {
    let server: ServerProcess;
    let databaseUrl: string;
    let key: string;
    let seed: Seed;

    /** Sends one request as the client does and checks its status. */
    const send = async (wire: WireRequest, status: number): Promise<WireAnswer> => {
      const answer = await sendAsDotnet(server.url, key, wire);
      expect(answer.status, `${wire.method} ${answer.url}: ${answer.text.slice(0, 500)}`).toBe(status);
      return answer;
    };
    /** Sends a request and reads its answer as the model the client deserialises it into. */
    const call = async <T = any>(wire: WireRequest, shape: Shape, status = 200): Promise<T> =>
      readAs<T>((await send(wire, status)).text, shape, `${wire.method} ${wire.path}`);

    /** Our own API, not replayed: seeding and the truth the answers are compared with. */
    const api = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
      const response = await fetch(`${server.url}/api/v1${path}`, {
        method,
        headers: { 'X-API-Key': key, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }), ...headers },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await response.text();
      if (!response.ok) throw new Error(`seeding ${method} ${path} failed: ${response.status} ${text}`);
      return { body: text ? JSON.parse(text) : undefined, headers: response.headers };
    };
    /** Every ticket id our listing gives for a query, following its tokens to the end. */
    const allIds = async (query: string): Promise<string[]> => {
      const ids: string[] = [];
      let token: string | null = null;
      do {
        const page: { body: { items: { id: string }[]; continuationToken?: string | null } } = await api(
          'GET',
          `/tickets?${query}&select=id&limit=1000`,
          undefined,
          token ? { continuationToken: token } : {},
        );
        ids.push(...page.body.items.map((i) => i.id));
        token = page.body.continuationToken ?? null;
      } while (token);
      return ids;
    };

    beforeAll(async () => {
      databaseUrl = store.name === 'SQLite' ? tempSqliteUrl() : await freshPostgresDatabase(postgresUrl!, 'ticketing_replay');
      // Files in a folder of this run's own, on both stores (the default would be the working directory's).
      const files = join(mkdtempSync(join(tmpdir(), 'ticketing-replay-files-')), 'files');
      server = await startServer({ DATABASE_URL: databaseUrl, RATE_LIMIT_MAX: '100000', STORAGE_URL: `file:${files}` });
      key = printedKeys(server.output()).primary;
      seed = await seedInstance(api);
    });
    afterAll(async () => {
      await server?.stop();
      if (store.name === 'PostgreSQL' && databaseUrl) await dropPostgresDatabase(databaseUrl);
    });

    it('1 get_instance: custom fields by title with type keys, options { key, text }, people as personas, instanceName and displayName', async () => {
      const { item: instance } = await call<{ item: any }>({ method: 'GET', path: 'instance', timezone: 0 }, item(Instance));
      expect(instance.instanceName).toBe('Default');
      expect(instance.displayName).toBe('Default');
      const byTitle = new Map<string, any>(instance.customFields.map((f: { title: string }) => [f.title, f]));
      expect([...byTitle.keys()].sort()).toEqual(['Affected systems', 'Asset tag', 'Cc', 'Due by', 'Site', 'VIP', 'Watchers']);
      expect(Object.fromEntries([...byTitle].map(([title, f]) => [title, [typeKey(f), f.isMultiple]]))).toEqual({
        'Asset tag': ['text', false],
        'Affected systems': ['list', true],
        Site: ['list', false],
        'Due by': ['date', false],
        VIP: ['toggle', false],
        Watchers: ['peoplepicker', true],
        Cc: ['emailpicker', true],
      });
      expect(byTitle.get('Site').options).toEqual([
        { key: seed.options.paris, text: 'Paris' },
        { key: seed.options.lyon, text: 'Lyon' },
      ]);
      expect(byTitle.get('Site').isMandatory).toBe(false);
      for (const f of instance.customFields) expect(f.status).toBe('active');
      // The layout lists repeat the same definitions; the client checks the copies agree.
      for (const f of [...instance.customFieldsLeft, ...instance.customFieldsRight, ...instance.optionalFieldsLeft]) expect(f).toEqual(byTitle.get(f.title));
      expect(instance.assignees.peoples).toContainEqual({ ...ann, text: ann.name, secondaryText: ann.email });
    });

    it('2 list_tag_categories: categories with their tags', async () => {
      const { items } = await call<{ items: any[] }>({ method: 'GET', path: 'tags' }, list(TagCategory, 'optional'));
      expect(items.map((c) => [c.text, c.tags.map((tag: { text: string }) => tag.text)])).toEqual([['Category', ['Network', 'Printing', 'Hardware']]]);
    });

    it('3 list_tickets, paged: itemCount is every ticket, the continuationToken header walks the pages to the end', async () => {
      const truth = await allIds('status=Open,Reopened,Started,Resolved,Closed');
      const seen: string[] = [];
      let token: string | undefined;
      let pages = 0;
      do {
        const page = await call<{ items: { id: string }[]; continuationToken?: string | null; itemCount: number }>(
          { method: 'GET', path: 'tickets', timezone: 0, query: listQuery({ limit: 20 }), ...(token ? { continuationToken: token } : {}) },
          list(Ticket),
        );
        expect(page.itemCount).toBe(truth.length);
        seen.push(...page.items.map((i) => i.id));
        token = page.continuationToken ?? undefined;
        pages++;
      } while (token && pages < 50);
      expect(pages).toBe(Math.ceil(truth.length / 20));
      expect(seen.sort()).toEqual([...truth].sort());
    });

    it('4 list_tickets, search and select: the selected members, the matches counted', async () => {
      const select = ['id', 'ticketId', 'title', 'status'];
      const page = await call<{ items: { title: string }[]; itemCount: number }>(
        { method: 'GET', path: 'tickets', timezone: 0, query: listQuery({ limit: 20, search: 'printer', select }) },
        list(selected(select)),
      );
      expect(page.items.length).toBeGreaterThanOrEqual(3);
      for (const ticket of page.items) expect(ticket.title.toLowerCase()).toContain('printer');
      expect(page.itemCount).toBe((await allIds('search=printer')).length);
    });

    it('5 list_tickets, filters and order: status, priority, tags, createdAfter (local day), priority order', async () => {
      const select = ['id', 'ticketId', 'title', 'status', 'priority', 'tags'];
      const tags = `${seed.categoryId}_Network`;
      const page = await call<{ items: { status: string; priority: string; tags: { text: string }[] }[]; itemCount: number }>(
        {
          method: 'GET',
          path: 'tickets',
          timezone: -5,
          query: listQuery({
            limit: 20,
            status: 'Open',
            priority: 'Urgent,Important',
            tags,
            orderBy: 'priority',
            order: 'DESC',
            select,
            createdAfter: '2020-01-01',
          }),
        },
        list(selected(select)),
      );
      expect(page.items.length).toBeGreaterThan(0);
      for (const ticket of page.items) {
        expect(ticket.status).toBe('Open');
        expect(['Urgent', 'Important']).toContain(ticket.priority);
        expect(ticket.tags.map((tag) => tag.text)).toContain('Network');
      }
      const order = page.items.map((i) => i.priority);
      expect(order).toEqual([...order].sort((a, b) => (a === b ? 0 : a === 'Urgent' ? -1 : 1)));
      expect(page.itemCount).toBe((await allIds(`status=Open&priority=Urgent,Important&tags=${tags}&createdAfter=2020-01-01&timezone=-5`)).length);
    });

    it('6 list_tickets, statusId and isResolved: a status by its id, resolved (Resolved, Closed) or not', async () => {
      const select = ['id', 'status'];
      const ask = (q: ListQuery) =>
        call<{ items: { id: string; status: string }[]; itemCount: number }>(
          { method: 'GET', path: 'tickets', timezone: 0, query: listQuery({ limit: 20, select, ...q }) },
          list(selected(select)),
        );
      const started = await ask({ statusId: 'Started' });
      expect(started.items.map((i) => i.status)).toEqual(started.items.map(() => 'Started'));
      expect(started.itemCount).toBe((await allIds('status=Started')).length);
      const resolved = await ask({ isResolved: true });
      for (const ticket of resolved.items) expect(['Resolved', 'Closed']).toContain(ticket.status);
      expect(resolved.itemCount).toBe((await allIds('status=Resolved,Closed')).length);
      const unresolved = await ask({ isResolved: false });
      for (const ticket of unresolved.items) expect(['Open', 'Reopened', 'Started']).toContain(ticket.status);
      expect(unresolved.itemCount).toBe((await allIds('status=Open,Reopened,Started')).length);
    });

    it('7 list_tickets, rich text: description_HTML on every listed ticket when asked for', async () => {
      const page = await call<{ items: { description_HTML: string }[] }>(
        { method: 'GET', path: 'tickets', timezone: 0, query: listQuery({ limit: 5, includeHtml: true }) },
        list(TicketWithHtml),
      );
      expect(page.items).toHaveLength(5);
    });

    it('8 get_ticket: the whole ticket by its UUID', async () => {
      const ticket = await call<{ item: any }>(
        { method: 'GET', path: `tickets/${seed.tickets[11]!.id}`, timezone: 0, query: [['include', undefined]] },
        item(Ticket),
      );
      expect(ticket.item).toMatchObject({ id: seed.tickets[11]!.id, ticketNo: seed.tickets[11]!.ticketId, ticketId: seed.tickets[11]!.ticketId });
      expect(ticket.item.origin).toBe('api');
    });

    it('9 get_ticket, rich text: description_HTML made from the plain description (escaped, line breaks kept)', async () => {
      const { item: ticket } = await call<{ item: any }>(
        { method: 'GET', path: `tickets/${seed.tickets[0]!.id}`, timezone: 0, query: [['include', 'description_HTML']] },
        item(TicketWithHtml),
      );
      expect(ticket.description).toBe('line 1\nline 2 <not a tag>');
      expect(ticket.description_HTML).toContain('line 1');
      expect(ticket.description_HTML).toContain('&lt;not a tag&gt;');
      expect(ticket.description_HTML).not.toContain('<not a tag>');
    });

    it('10 find_ticket_by_number: a search for the number, then the ticket by the UUID found', async () => {
      const wanted = seed.tickets[11]!;
      const found = await call<{ items: { id: string; ticketId: number }[] }>(
        { method: 'GET', path: 'tickets', timezone: 0, query: listQuery({ limit: 50, search: String(wanted.ticketId), select: NUMBER_FIELDS }) },
        list(selected(NUMBER_FIELDS)),
      );
      const hit = found.items.find((i) => i.ticketId === wanted.ticketId);
      expect(hit?.id).toBe(wanted.id);
      const { item: ticket } = await call<{ item: any }>({ method: 'GET', path: `tickets/${hit!.id}`, timezone: 0 }, item(Ticket));
      expect(ticket.ticketNo).toBe(wanted.ticketId);
    });

    it('11 find_similar_tickets: unresolved tickets matching a phrase, summary members', async () => {
      const page = await call<{ items: { status: string; title: string }[]; itemCount: number }>(
        { method: 'GET', path: 'tickets', timezone: 0, query: listQuery({ limit: 25, search: 'printer jam', isResolved: false, select: SIMILAR_FIELDS }) },
        list(selected(SIMILAR_FIELDS)),
      );
      expect(page.items.length).toBeGreaterThan(0);
      for (const ticket of page.items) expect(['Open', 'Reopened', 'Started']).toContain(ticket.status);
      expect(page.itemCount).toBe((await allIds(`search=${encodeURIComponent('printer jam')}&status=Open,Reopened,Started`)).length);
    });

    it('12 create_ticket: title, requestor, description and priority; the ticket comes back whole', async () => {
      const { item: ticket } = await call<{ item: any }>(
        {
          method: 'POST',
          path: 'tickets',
          timezone: 0,
          query: [['include', undefined]],
          body: {
            ticket: { title: 'Laptop will not boot', requestor, assignee: null, description: 'Black screen after the update', priority: 'Important' },
            user: actor,
          },
        },
        item(Ticket),
        201,
      );
      expect(ticket).toMatchObject({ title: 'Laptop will not boot', priority: 'Important', status: 'Open', requestor, createdBy: actor, origin: 'api' });
      expect(ticket.ticketNo).toBe(ticket.ticketId);
    });

    it('13 create_ticket, fields set by name: found by title in GET /instance, option texts mapped to keys, people and e-mail pickers from the assignee list', async () => {
      // What the client's InstanceLookup does with the answers of GET /instance and GET /tags.
      const timezone = 2;
      const { item: instance } = await call<{ item: any }>({ method: 'GET', path: 'instance', timezone }, item(Instance));
      const { items: categories } = await call<{ items: any[] }>({ method: 'GET', path: 'tags' }, list(TagCategory, 'optional'));
      const fields = new Map<string, any>();
      for (const f of [...instance.customFields, ...instance.customFieldsLeft, ...instance.customFieldsRight]) fields.set(f.id, f);
      const byTitle = (title: string) => [...fields.values()].find((f) => f.title.toLowerCase() === title.toLowerCase() && f.status === 'active');
      const person = (email: string) => {
        const p = instance.assignees.peoples.find((x: { email: string }) => x.email.toLowerCase() === email.toLowerCase());
        return { id: p.id, name: p.name, email: p.email };
      };
      const wanted: Record<string, unknown> = {
        'Asset tag': 'LAP-0042',
        'Affected systems': ['VPN', 'mail'],
        Site: ['Lyon'],
        'Due by': '2026-04-01',
        VIP: true,
        Watchers: [ann.email],
        Cc: [ben.email, ann.email],
      };
      const customFields: Record<string, unknown> = {};
      for (const [title, value] of Object.entries(wanted)) {
        const field = byTitle(title);
        expect(field, title).toBeDefined();
        switch (typeKey(field)) {
          case 'list':
            if (!field.isMultiple) expect((value as string[]).length).toBe(1);
            customFields[field.id] = (value as string[]).map(
              (text) => field.options.find((o: { key: string; text: string }) => o.key === text || o.text.toLowerCase() === text.toLowerCase()).key,
            );
            break;
          case 'peoplepicker':
          case 'emailpicker':
            customFields[field.id] = (value as string[]).map(person);
            break;
          default:
            customFields[field.id] = value;
        }
      }
      const category = categories.find((c) => c.text.toLowerCase() === 'category');
      const tagText = category.tags.find((tag: { text: string }) => tag.text.toLowerCase() === 'network').text;

      const { item: ticket } = await call<{ item: any }>(
        {
          method: 'POST',
          path: 'tickets',
          timezone,
          query: [['include', undefined]],
          body: {
            ticket: {
              title: 'VPN drops every hour',
              requestor: actor,
              description: 'Since Monday',
              expectedDate: '2026-04-15',
              tags: [{ tagCategoryId: category.id, text: tagText }],
              customFields: new RawJson(customFields),
            },
            user: actor,
          },
        },
        item(Ticket),
        201,
      );
      const value = (title: string) => ticket.customFields[byTitle(title).id];
      expect(value('Asset tag')).toBe('LAP-0042');
      expect(value('Affected systems')).toEqual([seed.options.vpn, seed.options.mail]);
      expect(value('Site')).toEqual([seed.options.lyon]);
      // timezone=2 keeps the reference's meaning: a date is that day's midnight at GMT+2.
      expect(value('Due by')).toBe('2026-03-31T22:00:00Z');
      expect(ticket.expectedDate).toBe('2026-04-14T22:00:00Z');
      expect(value('VIP')).toBe(true);
      expect(value('Watchers')).toEqual([ann]);
      expect(value('Cc')).toEqual([ben.email, ann.email]);
      expect(ticket.tags).toEqual([{ tagCategoryId: category.id, text: 'Network' }]);
    });

    it('14 create_ticket, rich text: description_HTML alone, sanitised, the plain description made from it', async () => {
      const { item: ticket } = await call<{ item: any }>(
        {
          method: 'POST',
          path: 'tickets',
          timezone: 0,
          query: [['include', 'description_HTML']],
          body: {
            ticket: { title: 'Printer on fire', requestor, description_HTML: '<p>The printer is <b>on fire</b><script>alert(1)</script></p>' },
            user: actor,
          },
        },
        item(TicketWithHtml),
        201,
      );
      expect(ticket.description_HTML).toContain('<b>on fire</b>');
      expect(ticket.description_HTML).not.toContain('script');
      expect(ticket.description).toContain('The printer is on fire');
    });

    it('15 update_ticket: { ticket, user } with the changed members only; a custom field cleared with null', async () => {
      const target = seed.tickets[20]!;
      const { item: ticket } = await call<{ item: any }>(
        {
          method: 'PUT',
          path: `tickets/${target.id}`,
          timezone: 0,
          query: [['include', undefined]],
          body: {
            ticket: {
              title: `${target.title} (updated)`,
              priority: 'Urgent',
              expectedDate: '2026-05-01',
              tags: [{ tagCategoryId: seed.categoryId, text: 'Hardware' }],
              customFields: new RawJson({ [seed.fields.assetTag]: 'LAP-7', [seed.fields.vip]: null }),
            },
            user: actor,
          },
        },
        item(Ticket),
      );
      expect(ticket).toMatchObject({ title: `${target.title} (updated)`, priority: 'Urgent', expectedDate: '2026-05-01T00:00:00Z', lastUpdatedBy: actor });
      expect(ticket.customFields[seed.fields.assetTag]).toBe('LAP-7');
      expect(ticket.customFields[seed.fields.vip]).toBeUndefined();
    });

    it('16 assign_ticket: the assignee found in the assignee list by e-mail, then the ticket updated', async () => {
      const { item: instance } = await call<{ item: any }>({ method: 'GET', path: 'instance', timezone: 0 }, item(Instance));
      const p = instance.assignees.peoples.find((x: { email: string }) => x.email === ben.email);
      const { item: ticket } = await call<{ item: any }>(
        {
          method: 'PUT',
          path: `tickets/${seed.tickets[21]!.id}`,
          timezone: 0,
          query: [['include', undefined]],
          body: { ticket: { assignee: { id: p.id, name: p.name, email: p.email } }, user: actor },
        },
        item(Ticket),
      );
      expect(ticket.assignee).toEqual(ben);
    });

    it('17 update_ticket_status: "In Progress", then Resolved with a resolution and a comment', async () => {
      const path = `tickets/${seed.tickets[22]!.id}/status`;
      const started = await call<{ item: any }>(
        { method: 'PUT', path, timezone: 0, body: { status: 'In Progress', resolution: null, comment: null, user: actor } },
        item(Ticket),
      );
      expect(started.item.status).toBe('Started');
      const resolved = await call<{ item: any }>(
        { method: 'PUT', path, timezone: 0, body: { status: 'Resolved', resolution: 'fixed', comment: 'Replaced the toner', user: actor } },
        item(Ticket),
      );
      expect(resolved.item).toMatchObject({ status: 'Resolved', resolution: 'fixed', lastResolutionComment: 'Replaced the toner' });
    });

    it('18 update_ticket_status, refused: the error body the client reads its message from', async () => {
      const answer = await send({ method: 'PUT', path: `tickets/${seed.closed.id}/status`, timezone: 0, body: { status: 'In Progress', user: actor } }, 409);
      const error = readAs<{ error: boolean; message: string; statusCode: number }>(answer.text, ErrorResponse);
      expect(error).toMatchObject({ error: true, statusCode: 409 });
      expect(error.message).toMatch(/Closed/);
    });

    it('19 add_ticket_comment: the new comment activity, its activityId and the ticket as UUID and number', async () => {
      const target = seed.tickets[23]!;
      const { item: comment } = await call<{ item: any }>(
        {
          method: 'POST',
          path: `tickets/${target.id}/activities`,
          query: [['include', undefined]],
          body: { comment: 'Looking into it', comment_HTML: null, isPrivate: false, user: actor },
        },
        item(CommentActivity),
        201,
      );
      expect(comment).toMatchObject({
        ticketId: target.id,
        ticketNo: target.ticketId,
        comment: 'Looking into it',
        isPrivate: false,
        user: actor,
        attachments: [],
      });
      expect(comment.activityId).toBe(comment.id);
    });

    it('20 add_ticket_comment, rich text: comment_HTML alone, private, sanitised, returned on request', async () => {
      const target = seed.tickets[23]!;
      const { item: comment } = await call<{ item: any }>(
        {
          method: 'POST',
          path: `tickets/${target.id}/activities`,
          query: [['include', 'comment_HTML']],
          body: { comment_HTML: '<p>Internal: <a href="javascript:alert(1)">this</a> <b>reset</b> the VPN &amp; retry</p>', isPrivate: true, user: actor },
        },
        item(CommentActivityWithHtml),
        201,
      );
      expect(comment.isPrivate).toBe(true);
      expect(comment.comment_HTML).toContain('<b>reset</b>');
      expect(comment.comment_HTML).not.toContain('javascript:');
      expect(comment.comment).toContain('reset the VPN & retry');
    });

    it('21 list_ticket_activities, paged: limit and the continuationToken header, every activity once, with the ticket as UUID', async () => {
      const target = seed.history;
      const seen: any[] = [];
      let token: string | undefined;
      let pages = 0;
      do {
        const page = await call<{ items: any[]; continuationToken?: string | null }>(
          {
            method: 'GET',
            path: `tickets/${target.id}/activities`,
            query: [
              ['include', undefined],
              ['limit', 2],
            ],
            ...(token ? { continuationToken: token } : {}),
          },
          list(Activity, 'optional'),
        );
        expect(page.items.length).toBeLessThanOrEqual(2);
        seen.push(...page.items);
        token = page.continuationToken ?? undefined;
        pages++;
      } while (token && pages < 20);
      expect(seen.map((a) => a.type).sort()).toEqual(['comment', 'comment', 'comment', 'fieldChange', 'statusChange']);
      expect(new Set(seen.map((a) => a.id)).size).toBe(seen.length);
      for (const activity of seen) {
        expect(activity).toMatchObject({ ticketId: target.id, ticketNo: target.ticketId });
        expect(activity.createdDateTime).toBe(activity.createdOn);
        expect(activity.createdBy).toEqual(activity.user);
      }
      const change = seen.find((a) => a.type === 'fieldChange');
      expect(change.changes).toContainEqual({ name: 'priority', oldValue: 'Medium', newValue: 'Urgent' });
    });

    it('22 list_ticket_activities, rich text: comment_HTML on each activity when asked for', async () => {
      const page = await call<{ items: any[] }>(
        {
          method: 'GET',
          path: `tickets/${seed.history.id}/activities`,
          query: [
            ['include', 'comment_HTML'],
            ['limit', 25],
          ],
        },
        list(ActivityWithHtml, 'optional'),
      );
      const comments = page.items.filter((a) => a.type === 'comment');
      expect(comments.length).toBe(3);
      for (const c of comments) expect(c.comment_HTML).toContain(c.comment.split('\n')[0]);
    });

    /** get_ticket_context: the ticket, its latest activities and its attachments, requested together. */
    const ticketContext = (id: string) =>
      Promise.all([
        call<{ item: any }>({ method: 'GET', path: `tickets/${id}`, timezone: 0, query: [['include', undefined]] }, item(Ticket)),
        call<{ items: any[] }>(
          {
            method: 'GET',
            path: `tickets/${id}/activities`,
            query: [
              ['include', undefined],
              ['limit', 10],
            ],
          },
          list(Activity, 'optional'),
        ),
        call<{ items: any[]; itemCount: number }>({ method: 'GET', path: `tickets/${id}/attachments` }, list(Attachment)),
      ]);

    it('23 get_ticket_context: the ticket, its latest activities and its attachments (none yet) together', async () => {
      const target = seed.history;
      const [ticket, history, attachments] = await ticketContext(target.id);
      expect(ticket.item.id).toBe(target.id);
      expect(history.items).toHaveLength(5);
      expect(attachments).toEqual({ items: [], itemCount: 0 });
    });

    it("24 list_my_tickets: unresolved tickets' summaries in one page of 1000, the caller's picked by assignee", async () => {
      const page = await call<{ items: any[]; itemCount: number }>(
        { method: 'GET', path: 'tickets', timezone: 0, query: listQuery({ limit: 1000, isResolved: false, select: SUMMARY_FIELDS }) },
        list(selected(SUMMARY_FIELDS)),
      );
      const mine = page.items.filter((t) => t.assignee?.id === actor.id || t.assignee?.email === actor.email).map((t) => t.id);
      expect(mine.sort()).toEqual((await allIds(`assignee=${actor.id}&status=Open,Reopened,Started`)).sort());
      expect(page.itemCount).toBe((await allIds('status=Open,Reopened,Started')).length);
    });

    it('25 list_sla_risk: whole unresolved tickets, read for their breach and escalation flags', async () => {
      const page = await call<{ items: any[]; itemCount: number }>(
        { method: 'GET', path: 'tickets', timezone: 0, query: listQuery({ limit: 200, isResolved: false }) },
        list(Ticket),
      );
      for (const ticket of page.items) expect(['Open', 'Reopened', 'Started']).toContain(ticket.status);
      expect(page.items.filter((t) => t.isFrtBreached || t.isRtBreached || t.isFrtEscalated || t.isRtEscalated)).toEqual([]);
    });

    it('26 count_tickets: itemCount as the total of unresolved tickets, grouped by status here', async () => {
      const select = ['id', 'status', 'priority', 'assignee'];
      const page = await call<{ items: { status: string }[]; itemCount: number }>(
        { method: 'GET', path: 'tickets', timezone: 0, query: listQuery({ limit: 1000, isResolved: false, select }) },
        list(selected(select)),
      );
      const truth = await allIds('status=Open,Reopened,Started');
      expect(page.itemCount).toBe(truth.length);
      expect(page.items).toHaveLength(truth.length);
      const started = page.items.filter((i) => i.status === 'Started').length;
      expect(started).toBe((await allIds('status=Started')).length);
    });

    // ---------------------------------------------------------------- attachments (§11)

    /** The ticket the attachment operations work on, and what they left, for the operations after them. */
    const attached = {
      links: undefined as any,
      upload: undefined as any,
      note: undefined as any,
    };
    const LOG = Buffer.from('2026-03-01 10:00:01 VPN handshake failed\r\n2026-03-01 10:00:05 retry\r\n', 'utf8');
    /** Names as an agent gives them: spaces, parentheses, accents, a typographic apostrophe. */
    const uploads = [
      { fileName: 'screenshot.png', data: PNG, mediaType: 'image/png' },
      { fileName: 'Journal d’erreurs été (VPN).log', data: LOG, mediaType: 'text/plain' },
      { fileName: 'logs(1).zip', data: ZIP, mediaType: 'application/zip' },
    ];
    const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

    it('27 add_ticket_link_attachments: links with captions and a comment, one comment activity holding them', async () => {
      const target = seed.tickets[24]!;
      const { item: comment } = await call<{ item: any }>(
        {
          method: 'POST',
          path: `tickets/${target.id}/attachments`,
          body: {
            attachments: [
              { src: 'https://contoso.example/kb/vpn-setup.pdf', caption: 'VPN setup guide' },
              // A null caption is left out of the body, as every null member is.
              { src: 'https://contoso.example/screens/error%20dialog.png', caption: null },
            ],
            comment: 'See the setup guide',
            isPrivate: false,
            user: actor,
          },
        },
        item(CommentActivity),
        201,
      );
      expect(comment).toMatchObject({ ticketId: target.id, ticketNo: target.ticketId, comment: 'See the setup guide', isPrivate: false, user: actor });
      expect(comment.activityId).toBe(comment.id);
      expect(comment.attachments).toMatchObject([
        {
          filename: 'vpn-setup.pdf',
          caption: 'VPN setup guide',
          src: 'https://contoso.example/kb/vpn-setup.pdf',
          isHyperlink: true,
          isImage: false,
          contentType: null,
          size: null,
          sha256: null,
          createdBy: actor.id,
        },
        { filename: 'error dialog.png', caption: null, src: 'https://contoso.example/screens/error%20dialog.png', isHyperlink: true, isImage: true },
      ]);
      attached.links = comment;
    });

    it("28 the file upload: MultipartFormDataContent's bytes (quoted boundary, unquoted names, filename*), files then the text parts", async () => {
      const target = seed.tickets[24]!;
      const parts: DotnetPart[] = [
        ...uploads.map((u) => ({ name: 'files', ...u })),
        { name: 'user', value: dotnetJson(actor) },
        { name: 'comment', value: 'Logs and a screenshot from the user’s laptop' },
        { name: 'isPrivate', value: 'false' },
      ];
      const answer = await postMultipartAsDotnet(server.url, key, { path: `tickets/${target.id}/attachments` }, parts);
      expect(answer.status, `POST ${answer.url}: ${answer.text.slice(0, 500)}`).toBe(201);
      const { item: comment } = readAs<{ item: any }>(answer.text, item(CommentActivity), 'POST attachments (multipart)');
      expect(comment).toMatchObject({
        ticketId: target.id,
        ticketNo: target.ticketId,
        comment: 'Logs and a screenshot from the user’s laptop',
        isPrivate: false,
        user: actor,
      });
      expect(comment.activityId).toBe(comment.id);
      expect(comment.attachments.map((a: any) => [a.filename, a.contentType, a.size, a.sha256, a.isImage, a.isArchive, a.isHyperlink, a.createdBy])).toEqual([
        ['screenshot.png', 'image/png', PNG.length, sha256(PNG), true, false, false, actor.id],
        ['Journal d’erreurs été (VPN).log', 'text/plain', LOG.length, sha256(LOG), false, false, false, actor.id],
        ['logs(1).zip', 'application/zip', ZIP.length, sha256(ZIP), false, true, false, actor.id],
      ]);
      for (const file of comment.attachments) expect(file.src.startsWith(`${server.url}/files/`), file.src).toBe(true);
      attached.upload = comment;

      // A private note: isPrivate "true", no comment part (the client sends none for an empty comment).
      const note = await postMultipartAsDotnet(server.url, key, { path: `tickets/${target.id}/attachments` }, [
        { name: 'files', fileName: 'notes.txt', data: Buffer.from('internal only\n'), mediaType: 'text/plain' },
        { name: 'user', value: dotnetJson(actor) },
        { name: 'isPrivate', value: 'true' },
      ]);
      expect(note.status, note.text.slice(0, 500)).toBe(201);
      attached.note = readAs<{ item: any }>(note.text, item(CommentActivity), 'POST attachments (private note)').item;
      expect(attached.note).toMatchObject({ isPrivate: true, attachments: [{ filename: 'notes.txt', contentType: 'text/plain' }] });
    });

    it('29 list_ticket_attachments: every attachment of the ticket, oldest first, itemCount as the number', async () => {
      const page = await call<{ items: any[]; itemCount: number }>({ method: 'GET', path: `tickets/${seed.tickets[24]!.id}/attachments` }, list(Attachment));
      const expected = [...attached.links.attachments, ...attached.upload.attachments, ...attached.note.attachments];
      expect(page.items.map((a) => a.id)).toEqual(expected.map((a: { id: string }) => a.id));
      expect(page.itemCount).toBe(6);
      // Links keep their src; files get a freshly signed one, to the same file.
      expect(page.items[0].src).toBe('https://contoso.example/kb/vpn-setup.pdf');
      expect(page.items[2].src.split('?')[0]).toBe(attached.upload.attachments[0].src.split('?')[0]);
    });

    it("30 list_activity_attachments: one activity's attachments, by the activityId the upload answered", async () => {
      const page = await call<{ items: any[]; itemCount: number }>(
        { method: 'GET', path: `tickets/activity/${attached.upload.activityId}/attachments` },
        list(Attachment),
      );
      expect(page.items.map((a) => a.filename)).toEqual(uploads.map((u) => u.fileName));
      expect(page.itemCount).toBe(3);
    });

    it("31 get_ticket_context, with attachments: the ticket, its activities with their attachments, and the ticket's attachments", async () => {
      const target = seed.tickets[24]!;
      const [ticket, history, attachments] = await ticketContext(target.id);
      expect(ticket.item.id).toBe(target.id);
      expect(attachments.itemCount).toBe(6);
      const byId = new Map(history.items.map((a) => [a.id, a]));
      expect(byId.get(attached.upload.activityId)?.attachments.map((a: { filename: string }) => a.filename)).toEqual(uploads.map((u) => u.fileName));
      expect(byId.get(attached.links.activityId)?.attachments).toHaveLength(2);
    });

    /** What the client reads of a download: the bytes, and the name from filename* (FileNameStar) else filename. */
    const checkDownload = (answer: WireAnswer, upload: { fileName: string; data: Buffer }, contentType: string) => {
      expect(answer.status, `GET ${answer.url}: ${answer.text.slice(0, 300)}`).toBe(200);
      expect(answer.bytes.equals(upload.data)).toBe(true);
      expect(answer.headers['content-type']).toBe(contentType);
      expect(answer.headers['x-content-type-options']).toBe('nosniff');
      const disposition = String(answer.headers['content-disposition']);
      expect(disposition.startsWith('attachment;'), disposition).toBe(true);
      const star = /filename\*=UTF-8''([^;]+)/i.exec(disposition)?.[1];
      expect(star && decodeURIComponent(star)).toBe(upload.fileName);
    };

    it('32 a file downloaded through its signed src: no key, the bytes as uploaded, the name and the type', async () => {
      const types = ['image/png', 'text/plain; charset=utf-8', 'application/zip'];
      for (const [i, file] of attached.upload.attachments.entries()) {
        expect(file.src).not.toContain(key);
        checkDownload(await getUrlAsDotnet(file.src), uploads[i]!, types[i]!);
      }
    });

    it('33 a file downloaded with the key: tickets/{uuid}/attachments/{id}/content, the bytes, the name and the type', async () => {
      const types = ['image/png', 'text/plain; charset=utf-8', 'application/zip'];
      for (const [i, file] of attached.upload.attachments.entries()) {
        const answer = await sendAsDotnet(server.url, key, { method: 'GET', path: `tickets/${seed.tickets[24]!.id}/attachments/${file.id}/content` });
        checkDownload(answer, uploads[i]!, types[i]!);
      }
    });
  });
}

/** The replay is only as strict as its reader and as faithful as its writer: both, pinned. */
describe('the replay reads and writes as the .NET client does', () => {
  const Model = t.object({ id: t.string(), ticketNo: t.int(), isPrivate: t.bool(), assignee: t.nullable(User), note: t.optional(t.string()) });
  const read = (json: unknown) => readAs(JSON.stringify(json), Model);

  it('matches member names without case and ignores unknown members', () => {
    expect(read({ ID: 'a', TicketNo: 3, isprivate: false, assignee: null, extra: [1] })).toEqual({ id: 'a', ticketNo: 3, isPrivate: false, assignee: null });
  });

  it('refuses a number for a string, a string for a number or a boolean, a fraction for an int, null where not nullable, a missing member', () => {
    const base = { id: 'a', ticketNo: 3, isPrivate: false, assignee: null };
    for (const bad of [
      { ...base, id: 7 },
      { ...base, ticketNo: '3' },
      { ...base, ticketNo: 3.5 },
      { ...base, isPrivate: 'false' },
      { ...base, id: null },
      { ...base, assignee: { id: 'x', name: 'X' } },
      { ...base, note: 4 },
      { id: 'a', ticketNo: 3, assignee: null },
    ]) {
      expect(() => read(bad), JSON.stringify(bad)).toThrow(ShapeError);
    }
  });

  it('writes bodies without null members, escaping as System.Text.Json does, and queries as Uri.EscapeDataString does', () => {
    expect(dotnetJson({ comment: '<p>"Tom\'s" & co + café</p>', comment_HTML: null, isPrivate: false, customFields: new RawJson({ a: null }) })).toBe(
      '{"comment":"\\u003Cp\\u003E\\u0022Tom\\u0027s\\u0022 \\u0026 co \\u002B caf\\u00E9\\u003C/p\\u003E","isPrivate":false,"customFields":{"a":null}}',
    );
    expect(escapeDataString("id,ticketId 2026-04-01T10:00:00 (x)'*!")).toBe('id%2CticketId%202026-04-01T10%3A00%3A00%20%28x%29%27%2A%21');
  });

  it('writes a form as MultipartFormDataContent does: quoted boundary, Content-Type before Content-Disposition, unquoted tokens, filename* beside filename', () => {
    const boundary = '0b5d8b8e-7c1e-4a57-9d1e-2f3a4b5c6d7e';
    const { contentType, body } = dotnetMultipart(
      [
        { name: 'files', fileName: 'a.txt', data: Buffer.from('A'), mediaType: 'text/plain' },
        { name: 'files', fileName: 'été 1.txt', data: Buffer.from('B') },
        { name: 'files', fileName: 'report (1).pdf', data: Buffer.from('C'), mediaType: 'application/pdf' },
        { name: 'isPrivate', value: 'false' },
      ],
      boundary,
    );
    expect(contentType).toBe(`multipart/form-data; boundary="${boundary}"`);
    expect(body.toString('latin1')).toBe(
      [
        `--${boundary}`,
        'Content-Type: text/plain',
        "Content-Disposition: form-data; name=files; filename=a.txt; filename*=utf-8''a.txt",
        '',
        'A',
        `--${boundary}`,
        'Content-Disposition: form-data; name=files; filename="=?utf-8?B?w6l0w6kgMS50eHQ=?="; filename*=utf-8\'\'%C3%A9t%C3%A9%201.txt',
        '',
        'B',
        `--${boundary}`,
        'Content-Type: application/pdf',
        'Content-Disposition: form-data; name=files; filename="report (1).pdf"; filename*=utf-8\'\'report%20%281%29.pdf',
        '',
        'C',
        `--${boundary}`,
        'Content-Type: text/plain; charset=utf-8',
        'Content-Disposition: form-data; name=isPrivate',
        '',
        'false',
        `--${boundary}--`,
        '',
      ].join('\r\n'),
    );
    expect(dotnetEncode5987("it's 100%*.txt")).toBe("utf-8''it%27s%20100%25%2A.txt");
  });
});

// ------------------------------------------------------------------ the instance the client works on

interface SeededTicket {
  id: string;
  ticketId: number;
  title: string;
}
interface Seed {
  categoryId: string;
  fields: { assetTag: string; vip: string };
  options: { paris: string; lyon: string; vpn: string; mail: string };
  tickets: SeededTicket[];
  closed: SeededTicket;
  /** A ticket with three comments, a field change and a status change. */
  history: SeededTicket;
}

/**
 * The Default instance as an administrator would have set it up in our API's own names (this is
 * not part of the replay): seven custom fields, a tag category, an assignee list, 30 tickets.
 */
async function seedInstance(api: (method: string, path: string, body?: unknown) => Promise<{ body: any }>): Promise<Seed> {
  const field = async (body: Record<string, unknown>) => (await api('POST', '/instance/customFields', body)).body.item;
  const assetTag = await field({ name: 'Asset tag', type: 'textField' });
  const systems = await field({ name: 'Affected systems', type: 'multipleItemsPicker', options: [{ text: 'VPN' }, { text: 'Mail' }, { text: 'Printers' }] });
  const site = await field({ name: 'Site', type: 'singleItemPicker', options: [{ text: 'Paris' }, { text: 'Lyon' }] });
  const due = await field({ name: 'Due by', type: 'datePicker' });
  const vip = await field({ name: 'VIP', type: 'toggle' });
  const watchers = await field({ name: 'Watchers', type: 'peoplePicker' });
  const cc = await field({ name: 'Cc', type: 'emailPicker' });
  await api('PUT', '/instance', {
    customFieldsLeft: [assetTag.id, systems.id],
    customFieldsRight: [site.id, due.id],
    optionalFieldsLeft: [vip.id, watchers.id, cc.id],
    assignees: { type: 'customAssignee', peoples: [actor, ann, ben] },
  });
  const category = (await api('POST', '/tags', { text: 'Category', color: '#2563eb', tags: [{ text: 'Network' }, { text: 'Printing' }, { text: 'Hardware' }] }))
    .body.item;

  const tickets: SeededTicket[] = [];
  for (let i = 1; i <= 30; i++) {
    const printer = i % 4 === 0;
    const ticket = (
      await api('POST', '/tickets', {
        ticket: {
          title: printer ? `Printer jam on floor ${i}` : `Seed ticket ${i}`,
          description: i === 1 ? 'line 1\nline 2 <not a tag>' : `Seeded ticket number ${i}`,
          requestor,
          priority: i % 5 === 0 ? 'Urgent' : i % 5 === 1 ? 'Important' : 'Medium',
          ...(i % 3 === 0 ? { tags: [{ tagCategoryId: category.id, text: 'Network' }] } : {}),
          ...(i % 4 === 1 ? { assignee: actor } : i % 4 === 2 ? { assignee: ann } : {}),
        },
        user: requestor,
      })
    ).body.item;
    tickets.push({ id: ticket.id, ticketId: ticket.ticketId, title: ticket.title });
  }
  const status = (t: SeededTicket, body: Record<string, unknown>) => api('PUT', `/tickets/${t.id}/status`, { ...body, user: actor });
  for (const i of [1, 2, 9]) await status(tickets[i]!, { status: 'Started' });
  for (const i of [4, 5]) await status(tickets[i]!, { status: 'Resolved', resolution: 'fixed' });
  await status(tickets[6]!, { status: 'Closed' });

  const history = tickets[26]!;
  await api('POST', `/tickets/${history.id}/comments`, { comment: 'First look', user: actor });
  await api('PUT', `/tickets/${history.id}`, { updates: { priority: 'Urgent' }, user: actor });
  await api('POST', `/tickets/${history.id}/activities`, { comment: 'Waiting for the vendor\nline two', user: actor });
  await status(history, { status: 'Started', comment: 'On it' });
  await api('POST', `/tickets/${history.id}/activities`, { comment: 'Vendor answered', isPrivate: true, user: actor });

  const option = (f: { options: { id: string; text: string }[] }, text: string) => f.options.find((o) => o.text === text)!.id;
  return {
    categoryId: category.id,
    fields: { assetTag: assetTag.id, vip: vip.id },
    options: { paris: option(site, 'Paris'), lyon: option(site, 'Lyon'), vpn: option(systems, 'VPN'), mail: option(systems, 'Mail') },
    tickets,
    closed: tickets[6]!,
    history,
  };
}
