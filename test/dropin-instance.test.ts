import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agent, createInstance, createTestApp, createTicket, DIALECTS, requestor, type Client, type TestApp } from './helpers.js';

/*
 * API-CONTRACT §10, the instance's part: custom field definitions and people in the shapes the
 * original product's clients read (`title`, `type: { key, text }`, `isMandatory`, `isMultiple`,
 * `status`, `defaultValue`, options `{ key, text }`; personas with `text` / `secondaryText`;
 * `instanceName` / `displayName`), written under either product's names, and the e-mail picker.
 * Decision: docs/decisions/016-custom-field-shapes.md.
 */

const problemPaths = (body: { errors?: { path: string }[] }) => (body.errors ?? []).map((e) => e.path);

async function field(api: Client, body: Record<string, unknown>) {
  const response = await api.post('/instance/customFields', body);
  if (response.status !== 201) throw new Error(`custom field refused: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body.item;
}

for (const dialect of DIALECTS) {
  describe.skipIf(dialect.skip)(`drop-in instance shapes (${dialect.name})`, () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp(dialect.name);
    });
    afterAll(async () => t?.close());

    it('answers every custom field type with its key, its text and whether it holds several values', async () => {
      const { api } = await createInstance(t.app);
      const expected: [string, string, boolean][] = [
        ['textField', '1_text', false],
        ['textArea', '2_textarea', false],
        ['datePicker', '3_date', false],
        ['toggle', '4_toggle', false],
        ['singleItemPicker', '5_list', false],
        ['multipleItemsPicker', '5_list', true],
        ['peoplePicker', '6_peoplepicker', true],
        ['emailPicker', '7_emailpicker', true],
      ];
      for (const [typeName] of expected) {
        await field(api, {
          name: `F ${typeName}`,
          type: typeName,
          ...(typeName.endsWith('ItemPicker') || typeName.endsWith('ItemsPicker') ? { options: [{ text: 'A' }] } : {}),
        });
      }
      const instance = (await api.get('/instance?timezone=0')).body.item;
      expect(
        instance.customFields.map((f: { typeName: string; type: { key: string }; isMultiple: boolean }) => [f.typeName, f.type.key, f.isMultiple]),
      ).toEqual(expected);
      for (const f of instance.customFields) {
        expect(f.title).toBe(f.name);
        expect(typeof f.type.text).toBe('string');
        expect(f.type.text.length).toBeGreaterThan(0);
        expect(f).toMatchObject({ isMandatory: false, required: false, status: 'active', deleted: false, defaultValue: null });
        expect(Array.isArray(f.options)).toBe(true);
      }
      const list = instance.customFields.find((f: { typeName: string }) => f.typeName === 'singleItemPicker');
      expect(list.options).toEqual([{ key: list.options[0].id, id: list.options[0].id, text: 'A', deleted: false }]);
    });

    it('shows the same shape in the layout lists as in customFields', async () => {
      const { api } = await createInstance(t.app);
      const created = await field(api, { name: 'Site', type: 'singleItemPicker', required: true, options: [{ id: 'paris', text: 'Paris' }] });
      expect((await api.put('/instance', { customFieldsRight: [created.id], optionalFieldsLeft: [created.id] })).status).toBe(200);
      const instance = (await api.get('/instance')).body.item;
      expect(instance.customFieldsRight).toEqual([created]);
      expect(instance.optionalFieldsLeft).toEqual([created]);
      expect(instance.customFields).toEqual([created]);
      expect(created).toMatchObject({
        title: 'Site',
        isMandatory: true,
        type: { key: '5_list', text: 'Single item picker' },
        options: [{ key: 'paris', text: 'Paris' }],
      });
    });

    it("creates fields written in the original product's names: title, type keys, isMultiple, isMandatory, option keys", async () => {
      const { api } = await createInstance(t.app);
      const multi = await field(api, {
        title: 'Affected systems',
        type: { key: '5_list', text: 'List' },
        isMultiple: true,
        isMandatory: true,
        options: [
          { key: 'vpn', text: 'VPN' },
          { key: 'mail', text: 'Mail' },
        ],
      });
      expect(multi).toMatchObject({ name: 'Affected systems', title: 'Affected systems', typeName: 'multipleItemsPicker', required: true, isMultiple: true });
      expect(multi.options.map((o: { key: string; id: string }) => [o.key, o.id])).toEqual([
        ['vpn', 'vpn'],
        ['mail', 'mail'],
      ]);
      expect(await field(api, { title: 'Site', type: '5_list', options: [{ text: 'Paris' }] })).toMatchObject({
        typeName: 'singleItemPicker',
        isMultiple: false,
      });
      expect(await field(api, { title: 'Site 2', type: '5_list', isMultiple: false, options: [{ text: 'Paris' }] })).toMatchObject({
        typeName: 'singleItemPicker',
      });
      expect(await field(api, { title: 'Asset', type: '1_text' })).toMatchObject({ typeName: 'textField', type: { key: '1_text' } });
      expect(await field(api, { title: 'Steps', type: { key: '2_textarea' } })).toMatchObject({ typeName: 'textArea' });
      expect(await field(api, { title: 'Due', type: '3_date' })).toMatchObject({ typeName: 'datePicker' });
      expect(await field(api, { title: 'VIP', type: '4_toggle', isMultiple: false })).toMatchObject({ typeName: 'toggle' });
      expect(await field(api, { title: 'Watchers', type: '6_peoplepicker', isMultiple: true })).toMatchObject({ typeName: 'peoplePicker' });
      expect(await field(api, { title: 'Cc', type: '7_emailpicker', status: 'active', defaultValue: null })).toMatchObject({ typeName: 'emailPicker' });
      const both = await field(api, { name: 'Both names', title: 'Both names', required: true, isMandatory: true, type: 'toggle' });
      expect(both).toMatchObject({ name: 'Both names', required: true });

      // A created ticket takes option keys as the reference's option ids.
      const ticket = await createTicket(api, { customFields: { [multi.id]: ['vpn', 'mail'], [both.id]: false } });
      expect(ticket.customFields[multi.id]).toEqual(['vpn', 'mail']);
    });

    it('copies a field as GET /instance answers it into another instance', async () => {
      const a = await createInstance(t.app);
      const b = await createInstance(t.app);
      await field(a.api, { name: 'Region', type: 'multipleItemsPicker', required: true, options: [{ id: 'emea', text: 'EMEA' }, { text: 'APAC' }] });
      const [answered] = (await a.api.get('/instance')).body.item.customFields;
      const copied = await b.api.post('/instance/customFields', answered);
      expect(copied.status).toBe(201);
      expect(copied.body.item).toEqual(answered);
    });

    it('refuses contradictory or unknown names with 400 naming each field, and writes nothing', async () => {
      const { api } = await createInstance(t.app);
      const refused = async (body: Record<string, unknown>, paths: string[]) => {
        const response = await api.post('/instance/customFields', body);
        expect(response.status, JSON.stringify(body)).toBe(400);
        expect(response.headers['content-type']).toMatch(/application\/problem\+json/);
        for (const path of paths) expect(problemPaths(response.body), JSON.stringify(response.body)).toContain(path);
      };
      await refused({ name: 'A', title: 'B', type: 'toggle' }, ['/body/title']);
      await refused({ name: 'A', type: 'toggle', required: true, isMandatory: false }, ['/body/isMandatory']);
      await refused({ name: 'A', type: 'toggle', deleted: false, status: 'deleted' }, ['/body/status']);
      await refused({ name: 'A', type: '1_text', isMultiple: true }, ['/body/isMultiple']);
      await refused({ name: 'A', type: '6_peoplepicker', isMultiple: false }, ['/body/isMultiple']);
      await refused({ name: 'A', type: 'singleItemPicker', isMultiple: true, options: [{ text: 'x' }] }, ['/body/isMultiple']);
      await refused({ name: 'A', type: '1_text', typeName: 'toggle' }, ['/body/typeName']);
      await refused({ name: 'A', type: 'multipleItemsPicker', options: [{ id: 'a', key: 'b', text: 'x' }] }, ['/body/options/0/key']);
      await refused({ name: 'A', type: '8_rating' }, []);
      await refused({ name: 'A', type: { key: '5_list', text: 'List' }, isMultiple: true, options: [{ text: 'x' }], defaultValue: ['x'] }, []);
      await refused({ type: 'toggle' }, ['/body/name']);
      await refused({ name: 'A' }, ['/body/type']);
      await refused({ name: 'A', title: 'B', isMandatory: false, required: true, type: 'toggle' }, ['/body/title', '/body/isMandatory']);
      expect((await api.get('/instance')).body.item.customFields).toEqual([]);
    });

    it("updates fields in either product's names: status deletes and restores, a type key that names the field's own type is no change", async () => {
      const { api } = await createInstance(t.app);
      const multi = await field(api, { name: 'Systems', type: 'multipleItemsPicker', options: [{ id: 'vpn', text: 'VPN' }] });
      const put = (id: string, body: Record<string, unknown>) => api.put(`/instance/customFields/${id}`, body);

      const renamed = await put(multi.id, { title: 'Systems hit', isMandatory: true, type: '5_list', options: [{ key: 'vpn', text: 'VPN (remote)' }] });
      expect(renamed.status).toBe(200);
      expect(renamed.body.item).toMatchObject({
        name: 'Systems hit',
        required: true,
        typeName: 'multipleItemsPicker',
        options: [{ key: 'vpn', text: 'VPN (remote)' }],
      });
      expect((await put(multi.id, { type: { key: '5_list' }, isMultiple: true })).status).toBe(200);

      // A list's kind is its type, which cannot change.
      const single = await put(multi.id, { isMultiple: false });
      expect(single.status).toBe(400);
      expect((await put(multi.id, { type: '5_list', isMultiple: false })).status).toBe(400);
      expect((await put(multi.id, { type: '1_text' })).status).toBe(400);

      const deleted = await put(multi.id, { status: 'deleted' });
      expect(deleted.body.item).toMatchObject({ status: 'deleted', deleted: true });
      expect((await api.get('/instance')).body.item.customFields[0]).toMatchObject({ status: 'deleted' });
      expect((await put(multi.id, { status: 'active' })).body.item).toMatchObject({ status: 'active', deleted: false });
      expect((await api.delete(`/instance/customFields/${multi.id}`)).body.item).toMatchObject({ status: 'deleted', deleted: true });
    });

    it('takes e-mail picker values as addresses (or people, of whom the address is kept), trimmed, once each', async () => {
      const { api } = await createInstance(t.app);
      const cc = await field(api, { title: 'Cc', type: '7_emailpicker' });
      const ticket = await createTicket(api, {
        customFields: { [cc.id]: [' ann@example.com', { id: 'b-1', name: 'Ben', email: 'ben@example.org' }, 'ANN@example.com'] },
      });
      expect(ticket.customFields[cc.id]).toEqual(['ann@example.com', 'ben@example.org']);
      expect((await api.get(`/tickets/${ticket.id}`)).body.item.customFields[cc.id]).toEqual(['ann@example.com', 'ben@example.org']);

      const updated = await api.put(`/tickets/${ticket.id}`, { ticket: { customFields: { [cc.id]: ['cat@example.net'] } }, user: agent });
      expect(updated.status).toBe(200);
      expect(updated.body.item.customFields[cc.id]).toEqual(['cat@example.net']);
      const cleared = await api.put(`/tickets/${ticket.id}`, { updates: { customFields: { [cc.id]: null } }, user: agent });
      expect(cleared.body.item.customFields[cc.id]).toBeUndefined();
    });

    it('refuses e-mail picker values that are not lists of addresses with 400 at the bad entry, and stores nothing', async () => {
      const { api } = await createInstance(t.app);
      const cc = await field(api, { title: 'Cc', type: 'emailPicker', isMandatory: true });
      const create = (value: unknown) => api.post('/tickets', { ticket: { title: 'x', requestor, customFields: { [cc.id]: value } }, user: requestor });
      for (const [value, path] of [
        [['ann@example.com', 'not an address'], `/ticket/customFields/${cc.id}/1`],
        [['ann@@example.com'], `/ticket/customFields/${cc.id}/0`],
        [['ann@example.com', { id: 'x', name: 'X', email: 'x at example.com' }], `/ticket/customFields/${cc.id}/1`],
        [[42], `/ticket/customFields/${cc.id}/0`],
        [['a b@example.com'], `/ticket/customFields/${cc.id}/0`],
        [[`${'a'.repeat(65)}@example.com`], `/ticket/customFields/${cc.id}/0`],
        ['ann@example.com', `/ticket/customFields/${cc.id}`],
        [Array.from({ length: 101 }, (_, i) => `p${i}@example.com`), `/ticket/customFields/${cc.id}`],
        [[], `/ticket/customFields/${cc.id}`],
      ] as [unknown, string][]) {
        const response = await create(value);
        expect(response.status, JSON.stringify(value).slice(0, 80)).toBe(400);
        expect(problemPaths(response.body)).toContain(path);
      }
      expect((await api.get('/tickets?limit=5')).body.items).toEqual([]);
      expect((await create(Array.from({ length: 100 }, (_, i) => `p${i}@example.com`))).status).toBe(201);
    });

    it('lets assignment rules match an e-mail picker value, as they match other field values', async () => {
      const { api } = await createInstance(t.app);
      const cc = await field(api, { title: 'Cc', type: '7_emailpicker' });
      await api.put('/instance', {
        isAutomaticAssignTickets: true,
        assigneeRules: [{ name: 'VIP copies', conditions: { customFields: { [cc.id]: 'ceo@example.com' } }, assignees: [agent] }],
      });
      const matched = await createTicket(api, { customFields: { [cc.id]: ['team@example.com', 'CEO@example.com'] } });
      expect(matched.assignee).toEqual(agent);
      const other = await createTicket(api, { customFields: { [cc.id]: ['team@example.com'] } });
      expect(other.assignee).toBeNull();
    });

    it('answers assignee people and idle-ticket people as personas (text, secondaryText) and takes them written either way', async () => {
      const { api } = await createInstance(t.app);
      const ann = { id: 'ann-1', name: 'Ann Agent', email: 'ann@example.com' };
      const written = await api.put('/instance', {
        assignees: {
          type: 'customAssignee',
          peoples: [ann, { id: 'ben-1', text: 'Ben Agent', secondaryText: 'ben@example.com', imageUrl: 'https://x/b.png' }],
        },
        idleTicketAssignedTo: [{ ...ann, text: 'Ann Agent', secondaryText: 'ann@example.com' }],
      });
      expect(written.status).toBe(200);
      const expected = [
        { id: 'ann-1', name: 'Ann Agent', email: 'ann@example.com', text: 'Ann Agent', secondaryText: 'ann@example.com' },
        { id: 'ben-1', name: 'Ben Agent', email: 'ben@example.com', text: 'Ben Agent', secondaryText: 'ben@example.com' },
      ];
      expect(written.body.item.assignees).toEqual({ type: 'customAssignee', peoples: expected });
      expect(written.body.item.idleTicketAssignedTo).toEqual([expected[0]]);
      expect((await api.get('/instance')).body.item.assignees.peoples).toEqual(expected);

      // A persona-written person is assignable like any other (customAssignee: only these people).
      const ticket = await createTicket(api, { assignee: { id: 'ben-1', name: 'Ben Agent', email: 'ben@example.com' } });
      expect(ticket.assignee.id).toBe('ben-1');

      const contradicting = await api.put('/instance', { assignees: { type: 'customAssignee', peoples: [{ ...ann, text: 'Someone else' }] } });
      expect(contradicting.status).toBe(400);
      expect(problemPaths(contradicting.body)).toContain('/body/assignees/peoples/0/text');
      const nameless = await api.put('/instance', { idleTicketAssignedTo: [{ id: 'x-1', secondaryText: 'x@example.com' }] });
      expect(nameless.status).toBe(400);
      expect(problemPaths(nameless.body)).toContain('/body/idleTicketAssignedTo/0/name');
      expect((await api.get('/instance')).body.item.assignees.peoples).toEqual(expected);
    });

    it('answers instanceName and displayName as the name, and takes either as the name', async () => {
      const { api } = await createInstance(t.app, 'Help desk');
      expect((await api.get('/instance')).body.item).toMatchObject({ name: 'Help desk', instanceName: 'Help desk', displayName: 'Help desk' });
      expect((await api.put('/instance', { displayName: 'IT desk' })).body.item).toMatchObject({
        name: 'IT desk',
        instanceName: 'IT desk',
        displayName: 'IT desk',
      });
      expect((await api.put('/instance', { instanceName: 'IT', name: 'IT' })).body.item.name).toBe('IT');
      const contradicting = await api.put('/instance', { name: 'A', displayName: 'B' });
      expect(contradicting.status).toBe(400);
      expect(problemPaths(contradicting.body)).toContain('/body/displayName');
      expect((await api.get('/instance')).body.item.name).toBe('IT');
    });

    it('documents the shapes in the OpenAPI document', async () => {
      const doc = JSON.parse((await t.app.inject({ method: 'GET', url: '/api/v1/openapi.json' })).body);
      const schemas = doc.components.schemas;
      expect(schemas.ICustomField.properties.type.properties.key.enum).toEqual([
        '1_text',
        '2_textarea',
        '3_date',
        '4_toggle',
        '5_list',
        '6_peoplepicker',
        '7_emailpicker',
      ]);
      expect(schemas.ICustomField.required).toEqual(expect.arrayContaining(['title', 'isMandatory', 'isMultiple', 'status', 'defaultValue', 'options']));
      expect(schemas.IPersonaProps.required).toEqual(expect.arrayContaining(['id', 'name', 'email', 'text', 'secondaryText']));
      expect(schemas.IInstance.required).toEqual(expect.arrayContaining(['instanceName', 'displayName']));
    });
  });
}
