import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { streamAnswer } from './live-stream.js';
import { client, createInstance, createTestApp, DIALECTS, requestor, signInPerson, type webClient, type TestApp } from './helpers.js';

/*
 * Every instance route × every role (docs/api.md §14), through a web session and through a
 * personal access token: a role below the route's answers 403 `forbidden` (before the body is
 * even read); a role that may passes the role check. Routes come from the OpenAPI document, so
 * a new route must be classified here or this test fails.
 */
type Role = 'viewer' | 'agent' | 'admin';
const RANK: Record<Role, number> = { viewer: 0, agent: 1, admin: 2 };

/** `METHOD /path` (parameters written `{}`) → the least role. Includes the routes the contract plans (§11, §12) for when they land. */
const LEAST_ROLE: Record<string, Role> = {
  'GET /tickets': 'viewer',
  'GET /tickets/counts': 'viewer',
  'POST /tickets': 'agent',
  'POST /tickets/bulk': 'agent',
  'GET /tickets/{}': 'viewer',
  'PUT /tickets/{}': 'agent',
  'PUT /tickets/{}/status': 'agent',
  'POST /tickets/{}/status': 'agent',
  'GET /tickets/{}/activities': 'viewer',
  'POST /tickets/{}/activities': 'agent',
  'POST /tickets/{}/comments': 'agent',
  'GET /tickets/{}/attachments': 'viewer',
  'POST /tickets/{}/attachments': 'agent',
  'GET /tickets/{}/attachments/{}/content': 'viewer',
  'GET /tickets/activity/{}/attachments': 'viewer',
  'GET /instance': 'viewer',
  'PUT /instance': 'admin',
  'POST /instance/customFields': 'admin',
  'PUT /instance/customFields/{}': 'admin',
  'DELETE /instance/customFields/{}': 'admin',
  'POST /instance/keys/{}/regenerate': 'admin',
  'GET /instance/events': 'viewer',
  'GET /events/stream': 'viewer',
  'POST /tickets/{}/presence': 'agent',
  'GET /tags': 'viewer',
  'POST /tags': 'admin',
  'PUT /tags/{}': 'admin',
  'DELETE /tags/{}': 'admin',
  'GET /instance/users': 'viewer',
  'POST /instance/users': 'admin',
  'GET /instance/users/{}': 'viewer',
  'PUT /instance/users/{}': 'admin',
  'DELETE /instance/users/{}': 'admin',
  'POST /instance/users/{}/invitation': 'admin',
  'POST /instance/users/{}/password-reset': 'admin',
  // Another person's tokens: an admin's business (one's own: anyone's, checked below).
  'GET /instance/users/{}/tokens': 'admin',
  'POST /instance/users/{}/tokens': 'admin',
  'DELETE /instance/users/{}/tokens/{}': 'admin',
  'DELETE /instance/users/{}/sessions': 'admin',
  'GET /instance/sessions': 'admin',
  'DELETE /instance/sessions/{}': 'admin',
  'GET /instance/oidc': 'admin',
  'PUT /instance/oidc': 'admin',
  'DELETE /instance/oidc': 'admin',
  'GET /instance/canned-responses': 'agent',
  'POST /instance/canned-responses': 'admin',
  'GET /instance/canned-responses/{}': 'agent',
  'PUT /instance/canned-responses/{}': 'admin',
  'DELETE /instance/canned-responses/{}': 'admin',
  'POST /instance/canned-responses/{}/render': 'agent',
  // Everyone keeps their own views; shared ones are an admin's (checked in views.test.ts).
  'GET /instance/views': 'viewer',
  'POST /instance/views': 'viewer',
  'GET /instance/views/{}': 'viewer',
  'PUT /instance/views/{}': 'viewer',
  'DELETE /instance/views/{}': 'viewer',
  'GET /instance/webhooks': 'admin',
  'POST /instance/webhooks': 'admin',
  'GET /instance/webhooks/{}': 'admin',
  'PUT /instance/webhooks/{}': 'admin',
  'DELETE /instance/webhooks/{}': 'admin',
  'POST /instance/webhooks/{}/test': 'admin',
  'GET /instance/webhooks/{}/deliveries': 'admin',
  'POST /instance/webhooks/{}/deliveries/{}/redeliver': 'admin',
};

/** The live stream does not end by itself: it is opened, its status read, and closed. */
const LIVE_STREAM = '/events/stream';

/** Routes that are not the instance's: the operator's, and signing in. */
const OUTSIDE = (path: string) => path.startsWith('/admin') || path === '/session' || path.startsWith('/session/');

for (const dialect of DIALECTS) {
  describe.skipIf(dialect.skip)(`roles on every route (${dialect.name})`, () => {
    let t: TestApp;
    let routes: { method: string; path: string }[];
    beforeAll(async () => {
      t = await createTestApp(dialect.name);
      const doc = JSON.parse((await t.app.inject({ method: 'GET', url: '/api/v1/openapi.json' })).body) as { paths: Record<string, Record<string, unknown>> };
      routes = Object.entries(doc.paths)
        .filter(([path]) => !OUTSIDE(path))
        .flatMap(([path, operations]) => Object.keys(operations).map((method) => ({ method: method.toUpperCase(), path })));
    });
    afterAll(async () => t?.close());

    const shape = (route: { method: string; path: string }) => `${route.method} ${route.path.replace(/\{[^}]+\}/g, '{}')}`;

    it('classifies every route of the API', () => {
      expect(routes.length).toBeGreaterThan(35);
      expect(routes.filter((route) => !(shape(route) in LEAST_ROLE)).map(shape)).toEqual([]);
    });

    for (const via of ['session', 'token'] as const) {
      it(`lets each role through ${via === 'session' ? 'a web session' : 'a personal access token'} do exactly what it may, on every route`, async () => {
        const { primaryKey, api } = await createInstance(t.app);
        const actors = {} as Record<Role, ReturnType<typeof webClient> | ReturnType<typeof client>>;
        for (const role of ['viewer', 'agent', 'admin'] as const) {
          const signedIn = await signInPerson(t.app, primaryKey, { role });
          if (via === 'session') actors[role] = signedIn.web;
          else actors[role] = client(t.app, (await api.post(`/instance/users/${signedIn.person.id}/tokens`, { name: role })).body.token);
        }
        // What the routes' parameters name: objects of this instance, and a person who is none of the actors.
        const target = await signInPerson(t.app, primaryKey, { role: 'agent' });
        const targetToken = (await api.post(`/instance/users/${target.person.id}/tokens`, {})).body.item.id;
        const targetSession = (await api.get('/instance/sessions')).body.items.find((s: { user: { id: string } }) => s.user.id === target.person.id).id;
        const ticket = (await api.post('/tickets', { ticket: { title: 'Roles', requestor }, user: requestor })).body.item;
        const field = (await api.post('/instance/customFields', { name: 'Roles field', type: 'textField' })).body.item;
        const tag = (await api.post('/tags', { text: 'Roles tags' })).body.item;
        const fill = (path: string) =>
          path
            .replace('{ticketId}', ticket.id)
            .replace(/^\/instance\/customFields\/\{id\}/, `/instance/customFields/${field.id}`)
            .replace(/^\/tags\/\{id\}/, `/tags/${tag.id}`)
            .replace(/^\/instance\/users\/\{id\}/, `/instance/users/${target.person.id}`)
            .replace(/^\/instance\/sessions\/\{id\}/, `/instance/sessions/${targetSession}`)
            .replace('{tokenId}', targetToken)
            .replace('{which}', 'secondary')
            .replace(/\{[^}]+\}/g, 'not-there');

        const checked: string[] = [];
        // Deletions last: what they remove, the other routes name.
        for (const route of [...routes].sort((a, b) => Number(a.method === 'DELETE') - Number(b.method === 'DELETE'))) {
          const least = LEAST_ROLE[shape(route)]!;
          for (const role of ['viewer', 'agent', 'admin'] as const) {
            const url = fill(route.path);
            const actor = actors[role] as ReturnType<typeof webClient>;
            const body = route.method === 'GET' || route.method === 'DELETE' ? undefined : {};
            const res =
              route.path === LIVE_STREAM
                ? await streamAnswer(t.app, 'cookie' in actor ? { cookie: actor.cookie } : { authorization: `Bearer ${(actor as { key: string }).key}` })
                : route.method === 'GET'
                  ? await actor.get(url)
                  : route.method === 'DELETE'
                    ? await actor.delete(url)
                    : await (route.method === 'PUT' ? actor.put(url, body) : actor.post(url, body));
            const label = `${role} ${route.method} ${url}`;
            if (RANK[role] < RANK[least]) {
              expect([res.status, res.body?.code], label).toEqual([403, 'forbidden']);
            } else {
              expect(res.status, `${label}: ${JSON.stringify(res.body)}`).not.toBe(403);
              expect(res.status, label).not.toBe(401);
              if (route.method === 'GET' && !url.includes('not-there')) expect(res.status, label).toBe(200);
            }
            checked.push(label);
          }
        }
        expect(checked.length).toBe(routes.length * 3);

        // Their own tokens, any role may manage.
        for (const role of ['viewer', 'agent', 'admin'] as const) {
          const actor = actors[role] as ReturnType<typeof webClient>;
          const made = await actor.post('/instance/users/me/tokens', { name: 'mine', access: 'readOnly' });
          expect(made.status, role).toBe(201);
          expect((await actor.get('/instance/users/me/tokens')).body.items.map((x: { id: string }) => x.id)).toContain(made.body.item.id);
          expect((await actor.delete(`/instance/users/me/tokens/${made.body.item.id}`)).status, role).toBe(204);
        }
      });
    }

    it('keeps the instance keys as the reference has them: a read-write key passes every role check', async () => {
      const { api } = await createInstance(t.app);
      for (const route of routes) {
        const url = route.path.replace(/\{which\}/, 'secondary').replace(/\{[^}]+\}/g, 'not-there');
        const body = route.method === 'GET' || route.method === 'DELETE' ? undefined : {};
        const res =
          route.path === LIVE_STREAM
            ? await streamAnswer(t.app, { 'x-api-key': api.key })
            : route.method === 'GET'
              ? await api.get(url)
              : route.method === 'DELETE'
                ? await api.delete(url)
                : await (api as any)[route.method.toLowerCase()](url, body);
        // Regenerating a key is the one route that would lock this test out; the secondary goes.
        expect(res.status, `${route.method} ${url}: ${JSON.stringify(res.body)}`).not.toBe(403);
      }
    });
  });
}
