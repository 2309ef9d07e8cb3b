import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, client, createInstance, createTestApp, DIALECTS, PASSWORD, requestor, signInPerson, type TestApp } from './helpers.js';

/** People of an instance, who acts on what they write, and the userPermission rules (docs/api.md §14). */
for (const dialect of DIALECTS) {
  describe.skipIf(dialect.skip)(`people (${dialect.name})`, () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp(dialect.name);
    });
    afterAll(async () => t?.close());

    const operator = (method: 'POST' | 'GET', url: string, payload?: object) =>
      t.app.inject({ method, url: `/api/v1${url}`, headers: { authorization: `Bearer ${ADMIN_TOKEN}` }, ...(payload ? { payload } : {}) });

    it('adds, lists, reads, changes and removes people; e-mail addresses are unique per instance whatever their case', async () => {
      const { api } = await createInstance(t.app);
      const other = await createInstance(t.app);
      const added = await api.post('/instance/users', { id: 'ada-1', name: 'Ada Admin', email: 'Ada@Example.com', role: 'admin' });
      expect(added.status).toBe(201);
      expect(added.headers.location).toBe('/api/v1/instance/users/ada-1');
      expect(added.body.item).toEqual({
        id: 'ada-1',
        name: 'Ada Admin',
        email: 'Ada@Example.com',
        role: 'admin',
        disabled: false,
        hasPassword: false,
        hasOidc: false,
        createdOn: expect.any(String),
        lastSignInOn: null,
      });
      const vic = (await api.post('/instance/users', { name: 'Vic Viewer', email: 'vic@example.com', role: 'viewer', invite: false })).body;
      expect(vic.invitation).toBeUndefined();
      expect(vic.item.id).toMatch(/^[0-9a-f-]{36}$/);

      const duplicate = await api.post('/instance/users', { name: 'Ada again', email: 'ADA@example.com' });
      expect([duplicate.status, duplicate.body.code]).toEqual([409, 'conflict']);
      // Another instance may have the same address.
      expect((await other.api.post('/instance/users', { email: 'ada@example.com' })).status).toBe(201);

      expect((await api.get('/instance/users')).body.items.map((p: { name: string }) => p.name)).toEqual(['Ada Admin', 'Vic Viewer']);
      expect((await api.get('/instance/users/ada-1')).body.item.email).toBe('Ada@Example.com');
      const changed = await api.put(`/instance/users/${vic.item.id}`, { role: 'agent', name: 'Vic Agent', email: 'victor@example.com' });
      expect(changed.body.item).toMatchObject({ role: 'agent', name: 'Vic Agent', email: 'victor@example.com' });
      expect((await api.put(`/instance/users/${vic.item.id}`, { email: 'ada@EXAMPLE.com' })).status).toBe(409);
      expect((await api.put(`/instance/users/${vic.item.id}`, { role: 'owner' })).status).toBe(400);
      expect((await api.post('/instance/users', { email: 'not an address' })).status).toBe(400);

      // Another instance's person is not found, as any unknown id.
      expect((await other.api.get('/instance/users/ada-1')).status).toBe(404);
      expect((await other.api.put('/instance/users/ada-1', { role: 'viewer' })).status).toBe(404);
      expect((await other.api.delete('/instance/users/ada-1')).status).toBe(404);

      expect((await api.delete(`/instance/users/${vic.item.id}`)).status).toBe(204);
      expect((await api.get(`/instance/users/${vic.item.id}`)).status).toBe(404);
      // `me` is a person: an instance key is none.
      expect((await api.get('/instance/users/me')).status).toBe(404);
    });

    it("lets the operator name an instance's first admin, whose invitation link signs them in as admin", async () => {
      const created = await operator('POST', '/admin/instances', { name: 'With an admin', admin: { email: 'first@example.com', name: 'First Admin' } });
      expect(created.statusCode).toBe(201);
      const body = JSON.parse(created.body);
      expect(body.admin.item).toMatchObject({ name: 'First Admin', email: 'first@example.com', role: 'admin', hasPassword: false });
      expect(body.admin.invitation).toMatchObject({ purpose: 'invitation', url: expect.stringMatching(/\/invitation#tki_/) });
      const accepted = await t.app.inject({
        method: 'POST',
        url: '/api/v1/session/password',
        payload: { token: body.admin.invitation.token, password: PASSWORD },
      });
      expect(JSON.parse(accepted.body)).toMatchObject({ instance: { id: body.item.id }, role: 'admin', user: { email: 'first@example.com' } });

      // And later, for an instance nobody manages: an admin by default, another role if asked.
      const invited = await operator('POST', `/admin/instances/${body.item.id}/users`, { email: 'second@example.com', role: 'viewer' });
      expect(JSON.parse(invited.body)).toMatchObject({ item: { email: 'second@example.com', role: 'viewer' }, invitation: { purpose: 'invitation' } });
      expect((await operator('POST', `/admin/instances/00000000-0000-4000-8000-000000000000/users`, { email: 'x@example.com' })).statusCode).toBe(404);
      // `adminEmail`, as the CLI's --admin-email, says the same.
      const short = JSON.parse((await operator('POST', '/admin/instances', { name: 'Short form', adminEmail: 'third@example.com' })).body);
      expect(short.admin.item).toMatchObject({ email: 'third@example.com', name: 'third', role: 'admin' });
      // Without a name for the admin, no person is made.
      const plain = JSON.parse((await operator('POST', '/admin/instances', { name: 'Plain' })).body);
      expect(plain.admin).toBeUndefined();
      expect((await client(t.app, plain.primaryKey).get('/instance/users')).body.items).toEqual([]);
    });

    it('records the person on everything written through their session: createdBy, lastUpdatedBy, activities, comments', async () => {
      const { primaryKey, api } = await createInstance(t.app);
      const { person, web } = await signInPerson(t.app, primaryKey, { name: 'Ann Agent' });
      const me = { id: person.id, name: 'Ann Agent', email: person.email };
      const created = await web.post('/tickets', { ticket: { title: 'Mine', requestor } });
      expect(created.body.item).toMatchObject({ createdBy: me, lastUpdatedBy: me });
      const id = created.body.item.id;
      // The person's own user (by id, or by e-mail in another case) is accepted; it is the account that is recorded.
      expect((await web.put(`/tickets/${id}`, { updates: { priority: 'Urgent' }, user: { id: person.id, name: 'x', email: 'x@example.com' } })).status).toBe(
        200,
      );
      expect(
        (await web.post(`/tickets/${id}/comments`, { comment: 'Looking', user: { id: 'other-id', name: 'A', email: person.email.toUpperCase() } })).status,
      ).toBe(201);
      expect((await web.put(`/tickets/${id}/status`, { status: 'Started' })).status).toBe(200);
      const activities = (await api.get(`/tickets/${id}/activities`)).body.items;
      expect(activities.map((a: { type: string; user: unknown }) => [a.type, a.user])).toEqual([
        ['fieldChange', me],
        ['comment', me],
        ['statusChange', me],
      ]);
      expect((await api.get(`/tickets/${id}`)).body.item.lastUpdatedBy).toEqual(me);

      // Someone else as `user`: 400, nothing written.
      const impersonation = await web.post(`/tickets/${id}/comments`, { comment: 'As Jason', user: requestor });
      expect([impersonation.status, impersonation.body.errors]).toEqual([
        400,
        [{ path: '/body/user', message: 'must be the signed-in person (or be left out)' }],
      ]);
      expect((await web.post('/tickets', { ticket: { title: 'As Jason', requestor }, user: requestor })).status).toBe(400);
      expect((await api.get(`/tickets/${id}/activities`)).body.items).toHaveLength(3);
      // Instance keys still name their user, which stays required.
      expect((await api.post('/tickets', { ticket: { title: 'Key', requestor } })).status).toBe(400);
      expect((await api.post('/tickets', { ticket: { title: 'Key', requestor }, user: requestor })).body.item.createdBy).toEqual(requestor);
    });

    it('applies userPermission to people: an assignee or requestor may not change the fields marked so; admins and keys may', async () => {
      const { primaryKey, api } = await createInstance(t.app);
      const field = (await api.post('/instance/customFields', { name: 'Cost centre', type: 'textField' })).body.item;
      const rules = [
        { key: 'priority', selectedKey: '3_assigneeCannotEdit' },
        { key: field.id, selectedKey: '4_requestorCannotEdit' },
        { key: 'title', selectedKey: '1_allCanEdit' },
      ];
      expect((await api.put('/instance', { userPermission: rules })).body.item.userPermission).toEqual(rules);
      expect((await api.put('/instance', { userPermission: [{ key: 'title', selectedKey: '2_whoKnows' }] })).status).toBe(400);

      const assignee = await signInPerson(t.app, primaryKey, { name: 'Assigned Agent' });
      const requesting = await signInPerson(t.app, primaryKey, { name: 'Requesting Agent' });
      const bystander = await signInPerson(t.app, primaryKey, { name: 'Other Agent' });
      const admin = await signInPerson(t.app, primaryKey, { role: 'admin', name: 'Assigned Admin' });
      const asUser = (p: { person: { id: string; name: string; email: string } }) => ({ id: p.person.id, name: p.person.name, email: p.person.email });
      const ticket = (await api.post('/tickets', { ticket: { title: 'Rules', requestor: asUser(requesting), assignee: asUser(assignee) }, user: requestor }))
        .body.item;

      const refused = await assignee.web.put(`/tickets/${ticket.id}`, { updates: { priority: 'Urgent', title: 'Renamed' } });
      expect([refused.status, refused.body.code, refused.body.errors]).toEqual([
        403,
        'forbidden',
        [{ path: '/updates/priority', message: 'you may not change this field on this ticket' }],
      ]);
      expect((await api.get(`/tickets/${ticket.id}`)).body.item).toMatchObject({ priority: 'Medium', title: 'Rules' });
      expect((await assignee.web.put(`/tickets/${ticket.id}`, { updates: { title: 'Renamed', customFields: { [field.id]: 'CC-1' } } })).status).toBe(200);

      const byRequestor = await requesting.web.put(`/tickets/${ticket.id}`, { updates: { customFields: { [field.id]: 'CC-2' } } });
      expect([byRequestor.status, byRequestor.body.errors[0].path]).toEqual([403, `/updates/customFields/${field.id}`]);
      expect((await requesting.web.put(`/tickets/${ticket.id}`, { updates: { priority: 'Low' } })).status).toBe(200);
      // Setting a field to what it is already changes nothing, so nothing is refused.
      expect((await requesting.web.put(`/tickets/${ticket.id}`, { updates: { customFields: { [field.id]: 'CC-1' } } })).status).toBe(200);

      expect((await bystander.web.put(`/tickets/${ticket.id}`, { updates: { priority: 'Important', customFields: { [field.id]: 'CC-3' } } })).status).toBe(200);
      // Admins may always, assignee or not; so may keys (the reference's behaviour).
      await api.put(`/tickets/${ticket.id}`, { updates: { assignee: asUser(admin) }, user: requestor });
      expect((await admin.web.put(`/tickets/${ticket.id}`, { updates: { priority: 'Urgent' } })).status).toBe(200);
      await api.put(`/tickets/${ticket.id}`, { updates: { assignee: asUser(assignee) }, user: requestor });
      expect((await api.put(`/tickets/${ticket.id}`, { updates: { priority: 'Low' }, user: asUser(assignee) })).status).toBe(200);
    });

    it('lets every agent assign a ticket to themselves under a custom assignee list; a viewer is not assignable', async () => {
      const { primaryKey, api } = await createInstance(t.app);
      const listed = { id: 'listed-1', name: 'Listed Person', email: 'listed@example.com' };
      await api.put('/instance', { assignees: { type: 'customAssignee', peoples: [listed] } });
      const agent = await signInPerson(t.app, primaryKey, { name: 'Self Assigner' });
      const viewer = await signInPerson(t.app, primaryKey, { role: 'viewer', name: 'Just Looking' });
      const me = { id: agent.person.id, name: agent.person.name, email: agent.person.email };
      const ticket = (await agent.web.post('/tickets', { ticket: { title: 'Assign to me', requestor, assignee: me } })).body.item;
      expect(ticket.assignee).toEqual(me);
      expect((await agent.web.put(`/tickets/${ticket.id}`, { updates: { assignee: listed } })).status).toBe(200);
      const notAssignable = { id: viewer.person.id, name: viewer.person.name, email: viewer.person.email };
      expect((await agent.web.put(`/tickets/${ticket.id}`, { updates: { assignee: notAssignable } })).status).toBe(400);
      expect((await agent.web.put(`/tickets/${ticket.id}`, { updates: { assignee: { id: 'stranger', name: 'S', email: 's@example.com' } } })).status).toBe(400);
    });

    it('keeps an admin while the instance keys are off: the last enabled admin cannot be disabled, demoted or removed', async () => {
      const { primaryKey, api } = await createInstance(t.app);
      const ada = await signInPerson(t.app, primaryKey, { role: 'admin' });
      const bea = await signInPerson(t.app, primaryKey, { role: 'admin' });
      // With keys on, the key is a way back in: an admin may step down.
      expect((await api.put(`/instance/users/${bea.person.id}`, { role: 'agent' })).status).toBe(200);
      expect((await ada.web.put('/instance', { instanceKeysEnabled: false })).body.item.instanceKeysEnabled).toBe(false);
      for (const [method, body] of [
        ['put', { disabled: true }],
        ['put', { role: 'viewer' }],
        ['delete', undefined],
      ] as const) {
        const res = method === 'put' ? await ada.web.put(`/instance/users/${ada.person.id}`, body) : await ada.web.delete(`/instance/users/${ada.person.id}`);
        expect([res.status, res.body.code], `${method} ${JSON.stringify(body)}`).toEqual([409, 'conflict']);
      }
      expect((await ada.web.put(`/instance/users/${bea.person.id}`, { role: 'admin' })).status).toBe(200);
      expect((await ada.web.put(`/instance/users/${ada.person.id}`, { role: 'agent' })).status).toBe(200);
      expect((await bea.web.get('/instance/users/me')).body.item.role).toBe('admin');
    });
  });
}
