import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInstance, createTestApp, createTicket, DIALECTS, type TestApp } from './helpers.js';

for (const dialect of DIALECTS) {
  describe.skipIf(dialect.skip)(`smoke (${dialect.name})`, () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp(dialect.name);
    });
    afterAll(async () => t?.close());

    it('creates and reads back a ticket', async () => {
      const { api } = await createInstance(t.app);
      const created = await createTicket(api, { title: 'Printer on fire' });
      expect(created.ticketId).toBe(1);
      const read = await api.get(`/tickets/${created.id}`);
      expect(read.status).toBe(200);
      expect(read.body.item.title).toBe('Printer on fire');
    });
  });
}
