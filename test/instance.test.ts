import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInstance, createTestApp, createTicket, DIALECTS, requestor, type TestApp } from './helpers.js';

/** docs/api.md §8: the instance, its custom fields and tag categories, through the API. */
const REFERENCE_FIELDS = [
  'id',
  'groupId',
  'name',
  'enabled',
  'tenantId',
  'teamId',
  'channelId',
  'subscriptionId',
  'mailAddress',
  'customFields',
  'customFieldsLeft',
  'customFieldsRight',
  'optionalFieldsLeft',
  'optionalFieldsRight',
  'assignees',
  'assigneeRules',
  'defaultRuleAssignee',
  'isAutomaticAssignTickets',
  'alertNotification',
  'isAutoAssignIdleTickets',
  'dayBeforeTicketsIdle',
  'idleTicketAssignedTo',
  'isNotifyIdleTicket',
];
const owner = { id: 'owner-1', name: 'Olga Owner', email: 'olga@example.com' };

for (const dialect of DIALECTS) {
  describe.skipIf(dialect.skip)(`instance settings (${dialect.name})`, () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp(dialect.name);
    });
    afterAll(async () => t?.close());

    it('answers GET /instance with every reference field present, plus keyAccess and rateLimit', async () => {
      const { api, id } = await createInstance(t.app, 'Helpdesk');
      const { status, body } = await api.get('/instance?timezone=0');
      expect(status).toBe(200);
      const item = body.item;
      for (const field of [...REFERENCE_FIELDS, 'keyAccess', 'rateLimit']) expect(item, field).toHaveProperty(field);
      expect(item).toMatchObject({
        id,
        name: 'Helpdesk',
        enabled: true,
        groupId: null,
        mailAddress: null,
        customFields: [],
        customFieldsLeft: [],
        assigneeRules: [],
        isAutomaticAssignTickets: false,
        dayBeforeTicketsIdle: null,
        keyAccess: { primary: 'readWrite', secondary: 'readWrite' },
        rateLimit: { max: 100, windowSeconds: 60 },
      });
    });

    it('edits settings partially with PUT /instance, with or without the acting user', async () => {
      const { api } = await createInstance(t.app);
      const changed = await api.put('/instance', { teamId: 'team-1', mailAddress: 'desk@example.com', user: owner });
      expect(changed.status).toBe(200);
      expect(changed.body.item).toMatchObject({ teamId: 'team-1', mailAddress: 'desk@example.com', channelId: null });
      const again = await api.put('/instance', { channelId: 'chan-9', dayBeforeTicketsIdle: 4, isNotifyIdleTicket: true });
      expect(again.body.item).toMatchObject({ teamId: 'team-1', channelId: 'chan-9', dayBeforeTicketsIdle: 4, isNotifyIdleTicket: true });
      expect((await api.put('/instance', { dayBeforeTicketsIdle: 0 })).status).toBe(400);
      expect((await api.put('/instance', { enabled: 'yes' })).status).toBe(400);
      expect((await api.put('/instance', { noSuchSetting: 1 })).status).toBe(400);
      expect((await api.put('/instance', { customFieldsLeft: ['not-a-field'] })).status).toBe(400);
    });

    it('creates, changes and soft-deletes custom fields, laid out by the layout lists', async () => {
      const { api } = await createInstance(t.app);
      const created = await api.post('/instance/customFields', {
        name: 'Site',
        type: 'singleItemPicker',
        required: true,
        options: [{ text: 'Paris' }, { id: 'opt-lyon', text: 'Lyon' }],
        user: owner,
      });
      expect(created.status).toBe(201);
      const field = created.body.item;
      // Our names and the original product's side by side (docs/decisions/016-custom-field-shapes.md).
      expect(Object.keys(field).sort()).toEqual([
        'defaultValue',
        'deleted',
        'id',
        'isMandatory',
        'isMultiple',
        'name',
        'options',
        'required',
        'status',
        'title',
        'type',
        'typeName',
      ]);
      expect(field).toMatchObject({ name: 'Site', typeName: 'singleItemPicker', type: { key: '5_list' }, required: true, deleted: false });
      expect(field.options.map((o: { text: string }) => o.text)).toEqual(['Paris', 'Lyon']);
      expect(field.options[1]).toEqual({ key: 'opt-lyon', id: 'opt-lyon', text: 'Lyon', deleted: false });

      const renamed = await api.put(`/instance/customFields/${field.id}`, { name: 'Office', required: false, options: [{ id: 'opt-lyon', text: 'Lyon 3e' }] });
      expect(renamed.status).toBe(200);
      expect(renamed.body.item).toMatchObject({ name: 'Office', required: false });
      // Options left out of an update stay, marked deleted, so old tickets remain readable.
      expect(renamed.body.item.options).toEqual([
        { key: 'opt-lyon', id: 'opt-lyon', text: 'Lyon 3e', deleted: false },
        { key: field.options[0].id, id: field.options[0].id, text: 'Paris', deleted: true },
      ]);
      expect((await api.put(`/instance/customFields/${field.id}`, { type: 'textField' })).status).toBe(400);

      await api.put('/instance', { customFieldsLeft: [field.id] });
      const instance = (await api.get('/instance')).body.item;
      expect(instance.customFieldsLeft.map((f: { id: string }) => f.id)).toEqual([field.id]);
      expect(instance.customFields.find((f: { id: string }) => f.id === field.id).name).toBe('Office');

      const ticket = await createTicket(api, { customFields: { [field.id]: ['opt-lyon'] } });
      const deleted = await api.delete(`/instance/customFields/${field.id}`);
      expect(deleted.status).toBe(200);
      expect(deleted.body.item.deleted).toBe(true);
      expect((await api.get('/instance')).body.item.customFields.find((f: { id: string }) => f.id === field.id).deleted).toBe(true);
      expect((await api.get(`/tickets/${ticket.id}`)).body.item.customFields[field.id]).toEqual(['opt-lyon']);
      expect((await api.post('/tickets', { ticket: { title: 'x', requestor, customFields: { [field.id]: ['opt-lyon'] } }, user: requestor })).status).toBe(400);
    });

    it('answers 409 conflict for a custom field or tag category id already used in the instance', async () => {
      const { api } = await createInstance(t.app);
      const id = '0d7f5c9e-1111-4222-8333-444455556666';
      expect((await api.post('/instance/customFields', { id, name: 'A', type: 'textField' })).status).toBe(201);
      const again = await api.post('/instance/customFields', { id, name: 'B', type: 'toggle' });
      expect(again.status).toBe(409);
      expect(again.body.code).toBe('conflict');
      expect((await api.post('/tags', { id, text: 'Cat' })).status).toBe(201);
      const tagAgain = await api.post('/tags', { id, text: 'Cat 2' });
      expect(tagAgain.status).toBe(409);
      expect(tagAgain.body.code).toBe('conflict');
      // The same id in another instance is fine: ids are unique per instance.
      const other = await createInstance(t.app);
      expect((await other.api.post('/instance/customFields', { id, name: 'A', type: 'textField' })).status).toBe(201);
    });

    it('keeps every new tag text when concurrent tickets add texts to one category', async () => {
      const { api } = await createInstance(t.app);
      const category = (await api.post('/tags', { text: 'Topics' })).body.item;
      const texts = Array.from({ length: 12 }, (_, i) => `topic-${i}`);
      const created = await Promise.all(
        texts.map((text) => api.post('/tickets', { ticket: { title: text, requestor, tags: [{ tagCategoryId: category.id, text }] }, user: requestor })),
      );
      expect(created.map((r) => r.status)).toEqual(texts.map(() => 201));
      const listed = (await api.get('/tags')).body.items[0].tags.map((tag: { text: string }) => tag.text);
      expect([...listed].sort()).toEqual([...texts].sort());
    });

    it('creates, changes and soft-deletes tag categories, answering ITagCategory exactly', async () => {
      const { api, id: instanceId } = await createInstance(t.app);
      const created = await api.post('/tags', { text: 'Hardware', color: '#ff0000', tags: [{ text: 'printer' }, { text: 'Printer' }, { text: 'screen' }] });
      expect(created.status).toBe(201);
      const category = created.body.item;
      expect(Object.keys(category).sort()).toEqual(['color', 'deleted', 'id', 'instanceId', 'tags', 'text']);
      expect(category).toMatchObject({ instanceId, text: 'Hardware', color: '#ff0000', deleted: false });
      expect(category.tags).toEqual([
        { text: 'printer', deleted: false },
        { text: 'screen', deleted: false },
      ]);
      expect((await api.post('/tags', { text: 'Bad colour', color: 'red' })).status).toBe(400);

      const changed = await api.put(`/tags/${category.id}`, {
        text: 'Devices',
        color: '#00aa00',
        tags: [{ text: 'printer' }, { text: 'screen', deleted: true }],
      });
      expect(changed.status).toBe(200);
      expect(changed.body.item).toMatchObject({
        text: 'Devices',
        color: '#00aa00',
        tags: [
          { text: 'printer', deleted: false },
          { text: 'screen', deleted: true },
        ],
      });

      const ticket = await createTicket(api, { tags: [{ tagCategoryId: category.id, text: 'printer' }] });
      const removed = await api.delete(`/tags/${category.id}`);
      expect(removed.status).toBe(200);
      expect(removed.body.item.deleted).toBe(true);
      const listed = (await api.get('/tags')).body.items;
      expect(listed).toHaveLength(1);
      expect(listed[0]).toMatchObject({ id: category.id, deleted: true });
      expect((await api.get(`/tickets/${ticket.id}`)).body.item.tags).toEqual([{ tagCategoryId: category.id, text: 'printer' }]);
      const refused = await api.post('/tickets', {
        ticket: { title: 'x', requestor, tags: [{ tagCategoryId: category.id, text: 'printer' }] },
        user: requestor,
      });
      expect(refused.status).toBe(400);
    });
  });
}
