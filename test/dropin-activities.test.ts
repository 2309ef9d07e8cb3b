import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMMENT_MAX, DESCRIPTION_MAX, LIST_PAGE_BYTES } from '../src/domain/limits.js';
import { agent, createInstance, createTestApp, createTicket, DIALECTS, requestor, type Client, type Reply, type TestApp } from './helpers.js';

/*
 * Contract §10 for activities, comments and rich text (docs/api.md §5, §6), through HTTP on both
 * stores: the shapes the live product's clients read (ticketId is the ticket's UUID, a string),
 * paging with limit and continuationToken, include=, sanitising and the plain text <-> HTML
 * derivation both ways.
 */

const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/;

function expectProblem(response: Reply, status: number, path?: string) {
  expect(response.status, JSON.stringify(response.body)).toBe(status);
  expect(String(response.headers['content-type'])).toMatch(/^application\/problem\+json/);
  if (path) expect(response.body.errors?.map((e: { path: string }) => e.path)).toContain(path);
}

/** Every page of a ticket's activities, following continuationToken in the header. */
async function allPages(api: Client, ticketId: string, query: string) {
  const pages: { items: any[]; continuationToken: string | null; itemCount: number }[] = [];
  let token: string | null = null;
  do {
    const res: Reply = await api.get(`/tickets/${ticketId}/activities?${query}`, token ? { continuationToken: token } : {});
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    pages.push(res.body);
    token = res.body.continuationToken;
  } while (token && pages.length < 100);
  return pages;
}

const hostile = [
  '<p onclick="steal()" style="color:red" class="x" id="y">Hello <b>bold</b> <i>it</i> <u>u</u></p>',
  '<script>alert("s")</script><style>p{}</style>',
  '<img src="x" onerror="alert(1)">',
  '<ul><li>one</li><li>two</li></ul><ol><li>first</li></ol>',
  '<a href="javascript:alert(1)">js</a> <a href="JaVaScRiPt&#58;alert(2)">js2</a> <a href="data:text/html;base64,PHNjcmlwdD4=">data</a>',
  '<a href="https://example.com/docs" target="_self" rel="opener" onmouseover="x()">docs</a>',
  '<iframe src="https://evil.example"></iframe><svg onload="alert(3)"><text>svg</text></svg>',
].join('');

for (const dialect of DIALECTS) {
  describe.skipIf(dialect.skip)(`drop-in activities and rich text (${dialect.name})`, () => {
    let t: TestApp;
    let api: Client;
    beforeAll(async () => {
      t = await createTestApp(dialect.name);
      api = (await createInstance(t.app)).api;
    });
    afterAll(() => t.close());

    describe('activities', () => {
      it('carry the ticket UUID as ticketId (a string), ticketNo, createdDateTime, createdBy, comment, isPrivate, attachments and changes', async () => {
        const field = (await api.post('/instance/customFields', { name: 'Area', type: 'textField' })).body.item;
        await api.post('/tags', { id: 'topic', text: 'Topic' });
        const ticket = await createTicket(api, { title: 'Printer', priority: 'Low', customFields: { [field.id]: 'north' } });
        await api.put(`/tickets/${ticket.id}`, {
          updates: {
            title: 'Printer jammed',
            priority: 'Urgent',
            assignee: agent,
            expectedDate: '2026-12-01T10:00:00Z',
            tags: [{ tagCategoryId: 'topic', text: 'paper' }],
            customFields: { [field.id]: 'south' },
          },
          user: agent,
        });
        await api.post(`/tickets/${ticket.id}/comments`, { comment: 'Looking', user: agent });
        await api.post(`/tickets/${ticket.id}/comments`, { comment: 'Internal', isPrivate: true, user: agent });
        await api.put(`/tickets/${ticket.id}/status`, { status: 'Resolved', resolution: 'fixed', comment: 'Done', user: agent });

        const res = await api.get(`/tickets/${ticket.ticketId}/activities`);
        expect(res.status).toBe(200);
        expect(Object.keys(res.body)).toEqual(['items', 'continuationToken', 'itemCount']);
        expect(res.body.continuationToken).toBeNull();
        const items = res.body.items as Record<string, any>[];
        expect(res.body.itemCount).toBe(items.length);
        expect(items.map((a) => a.type)).toEqual([...Array(6).fill('fieldChange'), 'comment', 'comment', 'statusChange']);
        for (const a of items) {
          expect(typeof a.id).toBe('string');
          expect(typeof a.ticketId).toBe('string');
          expect(a.ticketId).toBe(ticket.id);
          expect(typeof a.ticketNo).toBe('number');
          expect(a.ticketNo).toBe(ticket.ticketId);
          expect(a.createdOn).toMatch(ISO_UTC);
          expect(a.createdDateTime).toBe(a.createdOn);
          expect(a.createdBy).toEqual(a.user);
          expect(a.comment === null || typeof a.comment === 'string').toBe(true);
          expect(typeof a.isPrivate).toBe('boolean');
          expect(a.attachments).toEqual([]);
          expect(Array.isArray(a.changes)).toBe(true);
          for (const change of a.changes) {
            expect(Object.keys(change)).toEqual(['name', 'oldValue', 'newValue']);
            for (const value of [change.oldValue, change.newValue]) expect(value === null || typeof value === 'string').toBe(true);
          }
          expect(a).not.toHaveProperty('comment_HTML');
        }
        const byField = Object.fromEntries(items.filter((a) => a.type === 'fieldChange').map((a) => [a.field, a]));
        // The typed values stay in from/to; changes hold them as text.
        expect(byField.title).toMatchObject({
          from: 'Printer',
          to: 'Printer jammed',
          changes: [{ name: 'title', oldValue: 'Printer', newValue: 'Printer jammed' }],
        });
        expect(byField.priority.changes).toEqual([{ name: 'priority', oldValue: 'Low', newValue: 'Urgent' }]);
        expect(byField.assignee).toMatchObject({ from: null, to: agent });
        expect(byField.assignee.changes).toEqual([{ name: 'assignee', oldValue: null, newValue: `${agent.name} <${agent.email}>` }]);
        expect(byField.expectedDate.changes).toEqual([{ name: 'expectedDate', oldValue: null, newValue: '2026-12-01T10:00:00Z' }]);
        expect(byField.tags.changes).toEqual([{ name: 'tags', oldValue: null, newValue: 'paper' }]);
        expect(byField[`customFields.${field.id}`].changes).toEqual([{ name: `customFields.${field.id}`, oldValue: 'north', newValue: 'south' }]);

        const [comment, note, status] = items.slice(6) as [Record<string, any>, Record<string, any>, Record<string, any>];
        expect(comment).toMatchObject({ comment: 'Looking', isPrivate: false, changes: [] });
        expect(note).toMatchObject({ comment: 'Internal', isPrivate: true, changes: [] });
        expect(status).toMatchObject({ from: 'Open', to: 'Resolved', resolution: 'fixed', comment: 'Done', isPrivate: false });
        expect(status.changes).toEqual([
          { name: 'status', oldValue: 'Open', newValue: 'Resolved' },
          { name: 'resolution', oldValue: null, newValue: 'fixed' },
        ]);
        expect(byField.title.comment).toBeNull();
      });

      it('page with limit and continuationToken, in the header or the query, in either order; itemCount is the total', async () => {
        const ticket = await createTicket(api);
        const written: string[] = [];
        for (let i = 0; i < 25; i++) {
          const res = await api.post(`/tickets/${ticket.id}/comments`, { comment: `comment ${i}`, user: agent });
          written.push(res.body.item.id);
        }
        // Without limit: all of them, as before.
        const all = await api.get(`/tickets/${ticket.id}/activities`);
        expect(all.body.items.map((a: { id: string }) => a.id)).toEqual(written);
        expect(all.body).toMatchObject({ continuationToken: null, itemCount: 25 });

        const pages = await allPages(api, ticket.id, 'limit=10');
        expect(pages.map((p) => p.items.length)).toEqual([10, 10, 5]);
        expect(pages.map((p) => p.itemCount)).toEqual([25, 25, 25]);
        expect(pages.flatMap((p) => p.items.map((a) => a.id))).toEqual(written);
        expect(pages[2]!.continuationToken).toBeNull();

        // The token as a query parameter works the same.
        const first = await api.get(`/tickets/${ticket.id}/activities?limit=10`);
        const second = await api.get(`/tickets/${ticket.id}/activities?limit=10&continuationToken=${encodeURIComponent(first.body.continuationToken)}`);
        expect(second.body.items.map((a: { id: string }) => a.id)).toEqual(written.slice(10, 20));
        // A page exactly full at the end has no token.
        const exact = await api.get(`/tickets/${ticket.id}/activities?limit=5`, { continuationToken: second.body.continuationToken });
        expect(exact.body.items).toHaveLength(5);
        expect(exact.body.continuationToken).toBeNull();

        const newest = await allPages(api, ticket.id, 'limit=10&order=desc');
        expect(newest.flatMap((p) => p.items.map((a) => a.id))).toEqual([...written].reverse());
        const oldest = await api.get(`/tickets/${ticket.id}/activities?order=ASC&limit=3`);
        expect(oldest.body.items.map((a: { id: string }) => a.id)).toEqual(written.slice(0, 3));

        // Comments added while paging show up on a later page, none twice.
        const start = await api.get(`/tickets/${ticket.id}/activities?limit=20`);
        const late = await api.post(`/tickets/${ticket.id}/comments`, { comment: 'late', user: agent });
        const rest = await api.get(`/tickets/${ticket.id}/activities?limit=20`, { continuationToken: start.body.continuationToken });
        expect(rest.body.items.map((a: { id: string }) => a.id)).toEqual([...written.slice(20), late.body.item.id]);
        expect(rest.body.itemCount).toBe(26);
      });

      it('refuse bad limits, orders and tokens with 400, and tokens of another ticket or order', async () => {
        const ticket = await createTicket(api);
        const other = await createTicket(api);
        for (let i = 0; i < 3; i++) await api.post(`/tickets/${ticket.id}/comments`, { comment: `c${i}`, user: agent });
        await api.post(`/tickets/${other.id}/comments`, { comment: 'other', user: agent });
        for (const query of ['limit=0', 'limit=1001', 'limit=abc', 'limit=-1', 'limit=2.5', 'order=sideways', 'include=attachments']) {
          expectProblem(await api.get(`/tickets/${ticket.id}/activities?${query}`), 400, `/query/${query.split('=')[0]}`);
        }
        expect((await api.get(`/tickets/${ticket.id}/activities?limit=1000`)).status).toBe(200);
        const token = (await api.get(`/tickets/${ticket.id}/activities?limit=1`)).body.continuationToken as string;
        expectProblem(await api.get(`/tickets/${other.id}/activities?limit=1`, { continuationToken: token }), 400);
        expectProblem(await api.get(`/tickets/${ticket.id}/activities?limit=1&order=DESC`, { continuationToken: token }), 400);
        const [payload, signature] = token.split('.');
        expectProblem(
          await api.get(`/tickets/${ticket.id}/activities?limit=1`, {
            continuationToken: `${payload}.${signature!.replace(/^./, (c) => (c === 'A' ? 'B' : 'A'))}`,
          }),
          400,
        );
        expectProblem(await api.get(`/tickets/${ticket.id}/activities?limit=1`, { continuationToken: 'garbage' }), 400);
        // A ticket listing's token is not an activity token.
        const listToken = (await api.get('/tickets?limit=1')).body.continuationToken as string;
        expectProblem(await api.get(`/tickets/${ticket.id}/activities?limit=1`, { continuationToken: listToken }), 400);
        expect((await api.get(`/tickets/99999/activities?limit=1`)).status).toBe(404);
      });
    });

    describe('comments', () => {
      for (const route of ['comments', 'activities'] as const) {
        it(`POST /tickets/{id}/${route} answers activityId, ticketId (UUID), ticketNo, comment and comment_HTML, attachments`, async () => {
          const ticket = await createTicket(api);
          const res = await api.post(`/tickets/${ticket.ticketId}/${route}`, { comment: 'Line one\nline <two> & "three"', user: agent });
          expect(res.status, JSON.stringify(res.body)).toBe(201);
          const item = res.body.item;
          expect(item).toMatchObject({
            activityId: item.id,
            ticketId: ticket.id,
            ticketNo: ticket.ticketId,
            comment: 'Line one\nline <two> & "three"',
            comment_HTML: 'Line one<br>line &lt;two&gt; &amp; &quot;three&quot;',
            isPrivate: false,
            attachments: [],
            user: agent,
            createdBy: agent,
          });
          expect(typeof item.ticketId).toBe('string');
          expect(item.createdDateTime).toBe(item.createdOn);
          // The same comment in the history, with its HTML when asked for.
          const listed = (await api.get(`/tickets/${ticket.id}/activities?include=comment_HTML`)).body.items;
          expect(listed).toEqual([
            expect.objectContaining({ id: item.id, type: 'comment', comment: item.comment, comment_HTML: item.comment_HTML, ticketId: ticket.id }),
          ]);
        });
      }

      it('takes comment_HTML alone (the plain text is made from it), or with comment (both kept)', async () => {
        const ticket = await createTicket(api);
        const html =
          '<p>Restart the <b>spooler</b>:</p><ul><li>stop it</li><li>start it</li></ul><p>See <a href="https://example.com/kb/42">the article</a>.<br>Thanks &amp; bye</p>';
        const only = await api.post(`/tickets/${ticket.id}/comments`, { comment_HTML: html, user: agent });
        expect(only.status, JSON.stringify(only.body)).toBe(201);
        expect(only.body.item.comment).toBe('Restart the spooler:\n- stop it\n- start it\nSee the article (https://example.com/kb/42).\nThanks & bye');
        expect(only.body.item.comment_HTML).toBe(
          '<p>Restart the <b>spooler</b>:</p><ul><li>stop it</li><li>start it</li></ul><p>See <a href="https://example.com/kb/42" target="_blank" rel="noopener noreferrer">the article</a>.<br />Thanks &amp; bye</p>',
        );
        const both = await api.post(`/tickets/${ticket.id}/comments`, {
          comment: 'My own plain text',
          comment_HTML: '<i>Formatted</i>',
          isPrivate: true,
          user: agent,
        });
        expect(both.body.item).toMatchObject({ comment: 'My own plain text', comment_HTML: '<i>Formatted</i>', isPrivate: true });
        // Blank plain text beside HTML: the plain text is made from the HTML.
        const blank = await api.post(`/tickets/${ticket.id}/comments`, { comment: '', comment_HTML: '<b>bold</b> words', user: agent });
        expect(blank.body.item).toMatchObject({ comment: 'bold words', comment_HTML: '<b>bold</b> words' });
        // Null members are as good as absent.
        const nulls = await api.post(`/tickets/${ticket.id}/comments`, { comment: null, comment_HTML: '<p>x</p>', user: agent });
        expect(nulls.body.item).toMatchObject({ comment: 'x', comment_HTML: '<p>x</p>' });

        const listed = (await api.get(`/tickets/${ticket.id}/activities?include=comment_HTML,description_HTML`)).body.items;
        expect(listed.map((a: { comment: string; comment_HTML: string }) => [a.comment, a.comment_HTML])).toEqual([
          [only.body.item.comment, only.body.item.comment_HTML],
          ['My own plain text', '<i>Formatted</i>'],
          ['bold words', '<b>bold</b> words'],
          ['x', '<p>x</p>'],
        ]);
        // Search finds words of a comment given as HTML only.
        const found = await api.get('/tickets?search=spooler');
        expect(found.body.items.map((x: { id: string }) => x.id)).toEqual([ticket.id]);
      });

      it('sanitises comment_HTML: no script, event handlers, style, javascript: or data: links; allowed tags stay', async () => {
        const ticket = await createTicket(api);
        const res = await api.post(`/tickets/${ticket.id}/comments`, { comment_HTML: hostile, user: agent });
        expect(res.status, JSON.stringify(res.body)).toBe(201);
        const html: string = res.body.item.comment_HTML;
        expect(html).toBe(
          '<p>Hello <b>bold</b> <i>it</i> <u>u</u></p><ul><li>one</li><li>two</li></ul><ol><li>first</li></ol>' +
            '<a>js</a> <a>js2</a> <a>data</a>' +
            '<a href="https://example.com/docs" target="_blank" rel="noopener noreferrer">docs</a>',
        );
        for (const bad of [
          '<script',
          'onclick',
          'onerror',
          'onmouseover',
          'onload',
          'style',
          'javascript:',
          'data:',
          '<img',
          '<iframe',
          '<svg',
          'class=',
          'id=',
          'opener"',
        ]) {
          expect(html.toLowerCase()).not.toContain(bad.toLowerCase());
        }
        expect(res.body.item.comment).toBe('Hello bold it u\n- one\n- two\n1. first\njs js2 datadocs (https://example.com/docs)');
        // Stored as answered.
        const listed = (await api.get(`/tickets/${ticket.id}/activities?include=comment_HTML`)).body.items[0];
        expect(listed.comment_HTML).toBe(html);
      });

      it('answers 400, writing nothing, without text, with HTML that has none, or over the size limit', async () => {
        const ticket = await createTicket(api);
        for (const [body, path] of [
          [{ user: agent }, '/body/comment'],
          [{ comment: '  ', user: agent }, '/body/comment'],
          [{ comment: '', comment_HTML: '   ', user: agent }, '/body/comment'],
          [{ comment: null, comment_HTML: null, user: agent }, '/body/comment'],
          [{ comment_HTML: '<script>alert(1)</script><img src=x onerror=alert(1)>', user: agent }, '/body/comment_HTML'],
          [{ comment_HTML: '<p> &nbsp; </p>', user: agent }, '/body/comment_HTML'],
          [{ comment_HTML: 42, user: agent }, '/body/comment_HTML'],
          [{ comment_HTML: `<b>${'x'.repeat(COMMENT_MAX)}</b>`, user: agent }, '/body/comment_HTML'],
          // Within the limit as sent, over it once its link gains target and rel.
          [{ comment_HTML: `<a href="https://e.x/">${'x'.repeat(COMMENT_MAX - 40)}</a>`, user: agent }, '/body/comment_HTML'],
          [{ comment: 'x', comment_HTML: '<b>x</b>', isPrivate: 'yes', user: agent }, '/body/isPrivate'],
          [{ comment_HTML: '<b>x</b>' }, '/body/user'],
          [{ comment_HTML: '<b>x</b>', comment_Html: 'typo', user: agent }, '/body/comment_Html'],
        ] as const) {
          const res = await api.post(`/tickets/${ticket.id}/comments`, body);
          expectProblem(res, 400, path);
        }
        expect((await api.get(`/tickets/${ticket.id}/activities`)).body).toEqual({ items: [], continuationToken: null, itemCount: 0 });
        expect((await api.get(`/tickets/${ticket.id}`)).body.item.lastInteraction).toBe(ticket.lastInteraction);
      });
    });

    describe('description_HTML', () => {
      it('is taken on create alone (the description is made from it) and answered with include=description_HTML', async () => {
        const res = await api.post('/tickets?include=description_HTML', {
          ticket: {
            title: 'Rich',
            requestor,
            description_HTML:
              '<h2>Steps</h2><ol><li>Open the <em>tray</em></li><li>Pull</li></ol><p onclick="x()">Then <a href="mailto:help@example.com">mail us</a></p>',
          },
          user: requestor,
        });
        expect(res.status, JSON.stringify(res.body)).toBe(201);
        const item = res.body.item;
        expect(item.description).toBe('Steps\n1. Open the tray\n2. Pull\nThen mail us (mailto:help@example.com)');
        expect(item.description_HTML).toBe(
          '<h2>Steps</h2><ol><li>Open the <em>tray</em></li><li>Pull</li></ol><p>Then <a href="mailto:help@example.com" target="_blank" rel="noopener noreferrer">mail us</a></p>',
        );
        // Reads answer it only when asked.
        const plainRead = (await api.get(`/tickets/${item.id}`)).body.item;
        expect(plainRead).not.toHaveProperty('description_HTML');
        expect(plainRead.description).toBe(item.description);
        const read = (await api.get(`/tickets/${item.ticketId}?include=description_HTML`)).body.item;
        expect(read).toEqual(item);
        // Listings too, also with select, and the search finds the words of the HTML.
        const listed = await api.get('/tickets?search=tray&include=description_HTML');
        expect(listed.body.items).toEqual([item]);
        const selected = await api.get('/tickets?search=tray&select=ticketId,title&include=DESCRIPTION_html');
        expect(selected.body.items).toEqual([{ id: item.id, ticketId: item.ticketId, title: 'Rich', description_HTML: item.description_HTML }]);
        const unasked = await api.get('/tickets?search=tray');
        expect(unasked.body.items[0]).not.toHaveProperty('description_HTML');
        expectProblem(await api.get('/tickets?include=everything'), 400, '/query/include');
        expectProblem(await api.get(`/tickets/${item.id}?include=everything`), 400, '/query/include');
      });

      it('is made from a plain description (escaped, line breaks kept), for tickets from before too', async () => {
        const ticket = await createTicket(api, { description: 'Step 1 <do it>\nStep 2 & done' });
        const read = (await api.get(`/tickets/${ticket.id}?include=description_HTML`)).body.item;
        expect(read.description_HTML).toBe('Step 1 &lt;do it&gt;<br>Step 2 &amp; done');
        const empty = await createTicket(api);
        expect((await api.get(`/tickets/${empty.id}?include=description_HTML`)).body.item.description_HTML).toBe('');
      });

      it('is changed by an update; a plain description replaces the HTML; formatting alone is a change of description_HTML', async () => {
        const ticket = await createTicket(api, { description: 'plain' });
        let res = await api.put(`/tickets/${ticket.id}?include=description_HTML`, {
          updates: { description_HTML: '<p>new <b>words</b><script>x</script></p>' },
          user: agent,
        });
        expect(res.status, JSON.stringify(res.body)).toBe(200);
        expect(res.body.item).toMatchObject({ description: 'new words', description_HTML: '<p>new <b>words</b></p>' });
        res = await api.put(`/tickets/${ticket.id}?include=description_HTML`, { updates: { description_HTML: '<p>new <i>words</i></p>' }, user: agent });
        expect(res.body.item).toMatchObject({ description: 'new words', description_HTML: '<p>new <i>words</i></p>' });
        res = await api.put(`/tickets/${ticket.id}?include=description_HTML`, { ticket: { description: 'back to\nplain' }, user: agent });
        expect(res.body.item).toMatchObject({ description: 'back to\nplain', description_HTML: 'back to<br>plain' });
        res = await api.put(`/tickets/${ticket.id}`, { updates: { description: 'both', description_HTML: '<b>Both</b>' }, user: agent });
        expect(res.body.item).not.toHaveProperty('description_HTML');
        expect((await api.get(`/tickets/${ticket.id}?include=description_HTML`)).body.item).toMatchObject({
          description: 'both',
          description_HTML: '<b>Both</b>',
        });
        // The same HTML again changes nothing.
        const same = await api.put(`/tickets/${ticket.id}`, { updates: { description_HTML: '<b>Both</b>', description: 'both' }, user: agent });
        expect(same.body.item.lastUpdatedOn).toBe(res.body.item.lastUpdatedOn);

        const changes = (await api.get(`/tickets/${ticket.id}/activities`)).body.items.map((a: { field: string; from: string; to: string }) => [
          a.field,
          a.from,
          a.to,
        ]);
        expect(changes).toEqual([
          ['description', 'plain', 'new words'],
          ['description_HTML', '<p>new <b>words</b></p>', '<p>new <i>words</i></p>'],
          ['description', 'new words', 'back to\nplain'],
          ['description', 'back to\nplain', 'both'],
        ]);
        // The status route answers it when asked too.
        const status = await api.put(`/tickets/${ticket.id}/status?include=description_HTML`, { status: 'Started', user: agent });
        expect(status.body.item.description_HTML).toBe('<b>Both</b>');
      });

      it('counts in the 8 MiB page budget when included, also where only the HTML is long', async () => {
        // A short plain text, a long HTML: 1,000 of these are about 10 MB with their HTML.
        const { api: own } = await createInstance(t.app);
        const count = 1_000;
        const html = `<p>${'<b>x</b>'.repeat(1_100)}</p>`;
        for (let i = 0; i < count; i += 50) {
          await Promise.all(
            Array.from({ length: Math.min(50, count - i) }, (_, j) =>
              createTicket(own, { title: `t${i + j}`, description: `ticket ${i + j}`, description_HTML: html }),
            ),
          );
        }
        const seen = new Set<number>();
        let token: string | null = null;
        let pages = 0;
        do {
          const response = await t.app.inject({
            method: 'GET',
            url: `/api/v1/tickets?limit=1000&include=description_HTML&key=${own.key}`,
            headers: token ? { continuationToken: token } : {},
          });
          expect(response.statusCode).toBe(200);
          expect(response.rawPayload.length).toBeLessThanOrEqual(LIST_PAGE_BYTES);
          const body = JSON.parse(response.body) as { items: { ticketId: number; description_HTML: string }[]; continuationToken: string | null };
          for (const item of body.items) {
            expect(item.description_HTML).toBe(html);
            seen.add(item.ticketId);
          }
          token = body.continuationToken;
          pages++;
        } while (token);
        expect(pages).toBe(2);
        expect(seen.size).toBe(count);
        // Without include, one page holds them all.
        const plain = await own.get('/tickets?limit=1000');
        expect(plain.body.items).toHaveLength(count);
        expect(plain.body.continuationToken).toBeNull();
      });

      it('is sanitised, and refused over the size limit, writing nothing', async () => {
        const res = await api.post('/tickets?include=description_HTML', {
          ticket: { title: 'Hostile', requestor, description_HTML: hostile },
          user: requestor,
        });
        expect(res.status).toBe(201);
        expect(res.body.item.description_HTML).not.toMatch(/script|onclick|onerror|style|javascript:|data:|<img|<iframe|<svg/i);
        expect(res.body.item.description_HTML).toContain('<a href="https://example.com/docs" target="_blank" rel="noopener noreferrer">docs</a>');
        const count = async () => (await api.get('/tickets?limit=1000')).body.items.length;
        const before = await count();
        expectProblem(
          await api.post('/tickets', { ticket: { title: 'Huge', requestor, description_HTML: `<p>${'x'.repeat(DESCRIPTION_MAX)}</p>` }, user: requestor }),
          400,
          '/body/ticket/description_HTML',
        );
        expectProblem(await api.put(`/tickets/${res.body.item.id}`, { updates: { description_HTML: 7 }, user: agent }), 400, '/body/updates/description_HTML');
        expect(await count()).toBe(before);
        expect((await api.get('/tickets?search=huge')).body.items).toEqual([]);
      });
    });
  });
}
