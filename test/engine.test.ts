import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Scheduler } from '../src/jobs/scheduler.js';
import { openMigratedStore } from '../src/store/db.js';
import { createInstance, createTestApp, createTicket, DIALECTS, FakeClock, requestor, type Client, type TestApp } from './helpers.js';

/*
 * The help-desk engine through the API, with a fake clock: SLA escalation, automatic and idle
 * assignment, due-date alerts, all on both stores.
 */
const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const agentA = { id: 'agent-a', name: 'Ann Agent', email: 'ann@example.com' };
const agentB = { id: 'agent-b', name: 'Ben Agent', email: 'ben@example.com' };
const agentC = { id: 'agent-c', name: 'Cat Agent', email: 'cat@example.com' };
const lead = { id: 'lead', name: 'Lea Lead', email: 'lea@example.com' };

const parisSla = {
  enabled: true,
  timeZone: 'Europe/Paris',
  workingDays: [1, 2, 3, 4, 5],
  workingHours: { start: '09:00', end: '17:00' },
  holidays: ['2026-12-25'],
  targets: { Urgent: { firstResponseMinutes: 60, resolutionMinutes: 240 }, Low: { resolutionMinutes: 2400 } },
  breachAssignees: [],
};

async function activities(api: Client, id: string) {
  return (await api.get(`/tickets/${id}/activities`)).body.items as { type: string; user: { id: string }; field?: string; to?: { id: string } }[];
}
/** The engine's alert events, newest first (the feed also holds every ticket change, docs/api.md §13). */
const ALERTS = 'sla.firstResponseBreached,sla.resolutionBreached,ticket.idle,ticket.dueSoon,ticket.overdue';
async function events(api: Client) {
  return (await api.get(`/instance/events?order=DESC&type=${ALERTS}`)).body.items as { type: string; ticketId: number; payload: Record<string, unknown> }[];
}

for (const dialect of DIALECTS) {
  describe.skipIf(dialect.skip)(`help-desk engine (${dialect.name})`, () => {
    const clock = new FakeClock();
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp(dialect.name, { clock });
    });
    afterAll(async () => t?.close());

    describe('SLA', () => {
      it("isEscalated lists the tickets with either escalation, or neither, with exact counts (the desk's Escalated queue)", async () => {
        clock.set('2026-11-23T08:00:00.000Z'); // Monday 09:00 in Paris
        const { api } = await createInstance(t.app);
        expect((await api.put('/instance', { sla: parisSla })).status).toBe(200);
        const both = await createTicket(api, { priority: 'Urgent', assignee: agentA });
        const answered = await createTicket(api, { priority: 'Urgent' });
        const calm = await createTicket(api, { priority: 'Low', assignee: agentA });
        // An agent's reply before the first-response target: only the resolution can escalate.
        expect((await api.post(`/tickets/${answered.id}/activities`, { comment: 'Looking into it', user: agentB })).status).toBe(201);
        clock.set('2026-11-23T12:00:00.000Z');
        await t.scheduler.runDue();
        const numbers = async (query: string) => {
          const res = await api.get(`/tickets?${query}&select=ticketId&orderBy=ticketId`);
          expect(res.status, JSON.stringify(res.body)).toBe(200);
          const counted = await api.get(`/tickets/counts?${query}`);
          expect(counted.body.itemCount).toBe(res.body.itemCount);
          return { items: res.body.items.map((i: { ticketId: number }) => i.ticketId), itemCount: res.body.itemCount };
        };
        expect((await api.get(`/tickets/${answered.id}`)).body.item).toMatchObject({ isFrtEscalated: false, isRtEscalated: true });
        expect(await numbers('isEscalated=true')).toEqual({ items: [both.ticketId, answered.ticketId], itemCount: 2 });
        expect(await numbers('isEscalated=false')).toEqual({ items: [calm.ticketId], itemCount: 1 });
        expect(await numbers(`isEscalated=true&assignee=${agentA.id}`)).toEqual({ items: [both.ticketId], itemCount: 1 });
        expect(await numbers('isEscalated=true&unassigned=true')).toEqual({ items: [answered.ticketId], itemCount: 1 });
        expect(await numbers('isEscalated=true&title=zzz')).toEqual({ items: [], itemCount: 0 });
        const bad = await api.get('/tickets?isEscalated=yes');
        expect(bad.status).toBe(400);
        expect(bad.body.errors).toEqual([expect.objectContaining({ path: '/query/isEscalated' })]);
      });

      it('shows due dates in working time and escalates a missed first response once', async () => {
        clock.set('2026-11-23T08:00:00.000Z'); // Monday 09:00 in Paris
        const { api } = await createInstance(t.app);
        expect((await api.put('/instance', { sla: parisSla })).status).toBe(200);
        const ticket = await createTicket(api, { priority: 'Urgent' });
        expect(ticket.frtDueOn).toBe('2026-11-23T09:00:00.000Z');
        expect(ticket.rtDueOn).toBe('2026-11-23T12:00:00.000Z');

        clock.set('2026-11-23T08:59:00.000Z');
        await t.scheduler.runDue();
        expect((await api.get(`/tickets/${ticket.id}`)).body.item.isFrtEscalated).toBe(false);

        clock.set('2026-11-23T09:00:00.000Z');
        await t.scheduler.runDue();
        const escalated = (await api.get(`/tickets/${ticket.id}`)).body.item;
        expect(escalated.isFrtEscalated).toBe(true);
        expect(escalated.isRtEscalated).toBe(false);
        const history = await activities(api, ticket.id);
        expect(history.filter((a) => a.type === 'escalation')).toHaveLength(1);
        expect(history.find((a) => a.type === 'escalation')).toMatchObject({
          escalation: 'firstResponse',
          dueOn: '2026-11-23T09:00:00.000Z',
          user: { id: 'system:sla' },
        });
        expect((await events(api)).map((e) => e.type)).toEqual(['sla.firstResponseBreached']);

        // Running again, later, does not fire the same breach twice.
        clock.set('2026-11-23T10:00:00.000Z');
        await t.scheduler.runDue();
        expect((await events(api)).filter((e) => e.type === 'sla.firstResponseBreached')).toHaveLength(1);

        const listed = await api.get('/tickets?isFrtEscalated=true&select=ticketId');
        expect(listed.body.items.map((i: { ticketId: number }) => i.ticketId)).toEqual([ticket.ticketId]);
        expect((await api.get('/tickets?isFrtEscalated=false')).body.items).toHaveLength(0);

        clock.set('2026-11-23T12:00:00.000Z');
        await t.scheduler.runDue();
        expect((await api.get(`/tickets/${ticket.id}`)).body.item.isRtEscalated).toBe(true);
        expect((await events(api)).map((e) => e.type).sort()).toEqual(['sla.firstResponseBreached', 'sla.resolutionBreached']);
      });

      it('does not escalate a ticket answered in time, and counts only working time', async () => {
        clock.set('2026-11-27T15:30:00.000Z'); // Friday 16:30 in Paris: 30 minutes left this week
        const { api } = await createInstance(t.app);
        await api.put('/instance', { sla: parisSla });
        const answered = await createTicket(api, { priority: 'Urgent' });
        const ignored = await createTicket(api, { priority: 'Urgent' });
        expect(ignored.frtDueOn).toBe('2026-11-30T08:30:00.000Z'); // Monday 09:30 Paris

        clock.set('2026-11-30T08:00:00.000Z');
        expect((await api.post(`/tickets/${answered.id}/comments`, { comment: 'On it', user: agentA })).status).toBe(201);
        clock.set('2026-11-30T08:30:00.000Z');
        await t.scheduler.runDue();
        expect((await api.get(`/tickets/${answered.id}`)).body.item.isFrtEscalated).toBe(false);
        expect((await api.get(`/tickets/${answered.id}`)).body.item.frtDueOn).toBeUndefined();
        expect((await api.get(`/tickets/${ignored.id}`)).body.item.isFrtEscalated).toBe(true);
      });

      it('reassigns a breached ticket to the breach assignees in turn', async () => {
        clock.set('2026-11-23T08:00:00.000Z');
        const { api } = await createInstance(t.app);
        await api.put('/instance', { sla: { ...parisSla, breachAssignees: [lead, agentC] } });
        const first = await createTicket(api, { priority: 'Urgent', assignee: agentA });
        const second = await createTicket(api, { priority: 'Urgent', assignee: agentA });
        clock.set('2026-11-23T09:00:00.000Z');
        await t.scheduler.runDue();
        const assignees = [first, second].map(async (x) => (await api.get(`/tickets/${x.id}`)).body.item.assignee.id);
        expect((await Promise.all(assignees)).sort()).toEqual(['agent-c', 'lead']);
        const breach = (await events(api)).find((e) => e.ticketId === first.ticketId)!;
        expect(breach.payload.reassignedTo).toBeDefined();
      });

      it('stops the resolution clock on resolve and restarts it on reopen', async () => {
        clock.set('2026-11-23T08:00:00.000Z');
        const { api } = await createInstance(t.app);
        await api.put('/instance', { sla: parisSla });
        const ticket = await createTicket(api, { priority: 'Urgent' });
        clock.set('2026-11-23T10:00:00.000Z');
        const resolved = await api.put(`/tickets/${ticket.id}/status`, { status: 'Resolved', resolution: 'fixed', user: agentA });
        expect(resolved.body.item.rtDueOn).toBeUndefined();
        clock.set('2026-11-24T08:00:00.000Z'); // Tuesday 09:00 Paris
        const reopened = await api.put(`/tickets/${ticket.id}/status`, { status: 'Reopened', user: requestor });
        expect(reopened.body.item.rtDueOn).toBe('2026-11-24T12:00:00.000Z');
        clock.set('2026-11-24T11:59:00.000Z');
        await t.scheduler.runDue();
        expect((await api.get(`/tickets/${ticket.id}`)).body.item.isRtEscalated).toBe(false);
        clock.set('2026-11-24T12:00:00.000Z');
        await t.scheduler.runDue();
        expect((await api.get(`/tickets/${ticket.id}`)).body.item.isRtEscalated).toBe(true);
      });

      it('applies a new policy to tickets that already exist', async () => {
        clock.set('2026-11-23T08:00:00.000Z');
        const { api } = await createInstance(t.app);
        const ticket = await createTicket(api, { priority: 'Urgent' });
        expect(ticket.frtDueOn).toBeUndefined();
        await api.put('/instance', { sla: parisSla });
        await t.scheduler.runDue();
        expect((await api.get(`/tickets/${ticket.id}`)).body.item.frtDueOn).toBe('2026-11-23T09:00:00.000Z');
      });

      it('applies a changed policy to new tickets only when asked, and to every open ticket by default', async () => {
        clock.set('2026-11-23T08:00:00.000Z'); // Monday 09:00 in Paris
        const { api } = await createInstance(t.app);
        await api.put('/instance', { sla: parisSla });
        const old = await createTicket(api, { priority: 'Urgent' });
        expect(old.frtDueOn).toBe('2026-11-23T09:00:00.000Z');

        clock.set('2026-11-23T08:10:00.000Z');
        const slower = { ...parisSla, targets: { Urgent: { firstResponseMinutes: 120, resolutionMinutes: 480 } } };
        const saved = await api.put('/instance', { sla: slower, slaAppliesTo: 'newTickets' });
        expect(saved.status).toBe(200);
        expect(saved.body.item.sla.targets.Urgent.firstResponseMinutes).toBe(120);
        expect(saved.body.item).not.toHaveProperty('slaAppliesTo');
        await t.scheduler.runDue();
        expect((await api.get(`/tickets/${old.id}`)).body.item.frtDueOn).toBe('2026-11-23T09:00:00.000Z');
        const fresh = await createTicket(api, { priority: 'Urgent' });
        expect(fresh.frtDueOn).toBe('2026-11-23T10:10:00.000Z');

        // A later change of the old ticket keeps it on the policy it follows.
        clock.set('2026-11-23T08:20:00.000Z');
        expect((await api.put(`/tickets/${old.id}`, { ticket: { priority: 'Low' }, user: agentA })).status).toBe(200);
        expect((await api.put(`/tickets/${old.id}`, { ticket: { priority: 'Urgent' }, user: agentA })).status).toBe(200);
        expect((await api.get(`/tickets/${old.id}`)).body.item.frtDueOn).toBe('2026-11-23T09:00:00.000Z');
        // and it escalates on the old target.
        clock.set('2026-11-23T09:00:00.000Z');
        await t.scheduler.runDue();
        expect((await api.get(`/tickets/${old.id}`)).body.item.isFrtEscalated).toBe(true);
        expect((await api.get(`/tickets/${fresh.id}`)).body.item.isFrtEscalated).toBe(false);

        // Saved for every open ticket (the default), the policy reaches the ones left on an earlier one.
        const another = await createTicket(api, { priority: 'Low' });
        expect(another.rtDueOn).toBeUndefined(); // the slower policy has no target for Low
        const faster = { ...parisSla, targets: { Low: { resolutionMinutes: 60 } } };
        expect((await api.put('/instance', { sla: faster })).status).toBe(200);
        await t.scheduler.runDue();
        expect((await api.get(`/tickets/${another.id}`)).body.item.rtDueOn).toBe('2026-11-23T10:00:00.000Z');
        expect((await api.get(`/tickets/${fresh.id}`)).body.item.frtDueOn).toBeUndefined();

        expect((await api.put('/instance', { sla: parisSla, slaAppliesTo: 'someTickets' })).status).toBe(400);
      });

      it('rejects an unusable policy', async () => {
        const { api } = await createInstance(t.app);
        expect((await api.put('/instance', { sla: { ...parisSla, timeZone: 'Mars/Olympus' } })).status).toBe(400);
        expect((await api.put('/instance', { sla: { ...parisSla, workingHours: { start: '18:00', end: '09:00' } } })).status).toBe(400);
        expect((await api.put('/instance', { sla: { ...parisSla, targets: { Urgent: { firstResponseMinutes: -5 } } } })).status).toBe(400);
        expect((await api.get('/instance')).body.item.sla).toBeNull();
      });
    });

    describe('assignment', () => {
      it('assigns new tickets by the first matching rule, else the default, as an automatic activity', async () => {
        const { api } = await createInstance(t.app);
        await api.put('/instance', {
          isAutomaticAssignTickets: true,
          assigneeRules: [
            { name: 'Network', conditions: { titleContains: ['vpn', 'wifi'] }, assignees: [agentA] },
            { name: 'Urgent', conditions: { priority: ['Urgent'] }, assignees: [agentB] },
          ],
          defaultRuleAssignee: [{ assignees: [agentC] }],
        });
        const vpn = await createTicket(api, { title: 'VPN down', priority: 'Urgent' });
        const urgent = await createTicket(api, { title: 'Printer jam', priority: 'Urgent' });
        const other = await createTicket(api, { title: 'Printer jam' });
        const chosen = await createTicket(api, { title: 'VPN down', assignee: agentB });
        expect([vpn, urgent, other, chosen].map((x) => x.assignee.id)).toEqual(['agent-a', 'agent-b', 'agent-c', 'agent-b']);
        const history = await activities(api, vpn.id);
        expect(history).toHaveLength(1);
        expect(history[0]).toMatchObject({
          type: 'fieldChange',
          field: 'assignee',
          user: { id: 'system:auto-assign' },
          to: { id: 'agent-a' },
          rule: 'Network',
        });
        expect(await activities(api, chosen.id)).toHaveLength(0);
      });

      it('rotates round-robin fairly: 100 tickets over 3 people is 34/33/33', async () => {
        const { api } = await createInstance(t.app);
        await api.put('/instance', { isAutomaticAssignTickets: true, assigneeRules: [{ assignees: [agentA, agentB, agentC], mode: 'roundRobin' }] });
        const counts: Record<string, number> = {};
        for (let i = 0; i < 100; i++) {
          const ticket = await createTicket(api, { title: `Ticket ${i}` });
          counts[ticket.assignee.id] = (counts[ticket.assignee.id] ?? 0) + 1;
        }
        expect(Object.values(counts).sort()).toEqual([33, 33, 34]);
        expect(counts['agent-a']).toBe(34);
      });

      it('only lets listed people be assigned when assignees.type is customAssignee', async () => {
        const { api } = await createInstance(t.app);
        await api.put('/instance', { assignees: { type: 'customAssignee', peoples: [agentA, agentB] } });
        expect((await api.post('/tickets', { ticket: { title: 'x', requestor, assignee: agentC }, user: requestor })).status).toBe(400);
        const ticket = await createTicket(api, { assignee: agentA });
        expect((await api.put(`/tickets/${ticket.id}`, { updates: { assignee: agentC }, user: agentA })).status).toBe(400);
        expect((await api.put(`/tickets/${ticket.id}`, { updates: { assignee: agentB }, user: agentA })).status).toBe(200);
        await api.put('/instance', { assignees: { type: 'teamsOwner', peoples: [] } });
        expect((await api.put(`/tickets/${ticket.id}`, { updates: { assignee: agentC }, user: agentA })).status).toBe(200);
      });
    });

    describe('idle tickets', () => {
      it('reassigns an unresolved ticket with no interaction for N days, in turn, and notifies', async () => {
        clock.set('2026-11-23T08:00:00.000Z');
        const { api } = await createInstance(t.app);
        await api.put('/instance', {
          isAutoAssignIdleTickets: true,
          dayBeforeTicketsIdle: 2,
          idleTicketAssignedTo: [agentB, agentC],
          isNotifyIdleTicket: true,
        });
        const idle = await createTicket(api, { assignee: agentA });
        const busy = await createTicket(api, { assignee: agentA });
        const done = await createTicket(api, { assignee: agentA });
        await api.put(`/tickets/${done.id}/status`, { status: 'Closed', user: agentA });

        clock.advance(DAY);
        await api.post(`/tickets/${busy.id}/comments`, { comment: 'still here', user: agentA });
        clock.advance(DAY);
        await t.scheduler.runDue();
        expect((await api.get(`/tickets/${idle.id}`)).body.item.assignee.id).toBe('agent-b');
        expect((await api.get(`/tickets/${busy.id}`)).body.item.assignee.id).toBe('agent-a');
        expect((await api.get(`/tickets/${done.id}`)).body.item.assignee.id).toBe('agent-a');
        const history = await activities(api, idle.id);
        expect(history.at(-1)).toMatchObject({ type: 'fieldChange', field: 'assignee', user: { id: 'system:idle' } });
        expect((await events(api)).map((e) => [e.type, e.ticketId])).toEqual([['ticket.idle', idle.ticketId]]);

        clock.advance(DAY); // busy goes idle now (2 days after its comment); idle is checked again at day 4
        await t.scheduler.runDue();
        expect((await api.get(`/tickets/${busy.id}`)).body.item.assignee.id).toBe('agent-c');
        clock.advance(DAY);
        await t.scheduler.runDue();
        expect((await api.get(`/tickets/${idle.id}`)).body.item.assignee.id).toBe('agent-b'); // turn 3 wraps to B
      });
    });

    describe('due-date alerts', () => {
      it('alerts some days before the expected date and when overdue, only for unresolved tickets', async () => {
        clock.set('2026-11-23T08:00:00.000Z');
        const { api } = await createInstance(t.app);
        await api.put('/instance', { alertNotification: { enabled: true, daysBeforeExpectedDate: 1, whenOverdue: true } });
        const open = await createTicket(api, { expectedDate: '2026-11-26T08:00:00Z' });
        const resolved = await createTicket(api, { expectedDate: '2026-11-26T08:00:00Z' });
        await api.put(`/tickets/${resolved.id}/status`, { status: 'Resolved', resolution: 'fixed', user: agentA });

        clock.set('2026-11-25T07:59:00.000Z');
        await t.scheduler.runDue();
        expect(await events(api)).toHaveLength(0);
        clock.set('2026-11-25T08:00:00.000Z');
        await t.scheduler.runDue();
        expect((await events(api)).map((e) => [e.type, e.ticketId])).toEqual([['ticket.dueSoon', open.ticketId]]);
        clock.set('2026-11-26T08:00:00.000Z');
        await t.scheduler.runDue();
        expect((await events(api)).map((e) => e.type)).toEqual(['ticket.overdue', 'ticket.dueSoon']);
        await t.scheduler.runDue();
        expect(await events(api)).toHaveLength(2);
      });
    });
  });

  describe.skipIf(dialect.skip)(`engine across restarts and processes (${dialect.name})`, () => {
    it('keeps a pending timer across a restart and fires it once', async () => {
      const clock = new FakeClock();
      clock.set('2026-11-23T08:00:00.000Z');
      const first = await createTestApp(dialect.name, { clock });
      const { api, primaryKey } = await createInstance(first.app);
      await api.put('/instance', { sla: parisSla });
      const ticket = await createTicket(api, { priority: 'Urgent' });
      await first.close({ keepData: true });

      clock.set('2026-11-23T09:30:00.000Z');
      const second = await createTestApp(dialect.name, { clock, databaseUrl: first.databaseUrl });
      try {
        await Promise.all([second.scheduler.runDue(), second.scheduler.runDue()]);
        const after = (await second.app.inject({ method: 'GET', url: `/api/v1/tickets/${ticket.id}/activities?key=${primaryKey}` })).json();
        expect(after.items.filter((a: { type: string }) => a.type === 'escalation')).toHaveLength(1);
      } finally {
        await second.close();
      }
    });

    // A connection that dies mid-job is a real PostgreSQL event (a failover, an operator); here
    // the job's own session ends itself from a trigger on this instance's events.
    if (dialect.name === 'postgres')
      it('leaves a job due, not pushed back, when its connection dies while it runs, and runs it on the next poll', async () => {
        const clock = new FakeClock();
        clock.set('2026-11-23T08:00:00.000Z');
        const t = await createTestApp(dialect.name, { clock });
        const { api, id: instanceId } = await createInstance(t.app);
        const trigger = `kill_session_${instanceId.replaceAll('-', '_')}`;
        try {
          await api.put('/instance', { sla: parisSla });
          const ticket = await createTicket(api, { priority: 'Urgent' });
          await t.scheduler.runDue(); // what is due now (the policy's rescheduling), before the trigger
          const jobs = () =>
            t.store.db.selectFrom('jobs').select(['kind', 'run_at', 'attempts']).where('instance_id', '=', instanceId).orderBy('kind').execute();
          const before = await jobs();
          await sql
            .raw(`CREATE FUNCTION ${trigger}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_terminate_backend(pg_backend_pid()); RETURN NEW; END $$`)
            .execute(t.store.db);
          await sql
            .raw(`CREATE TRIGGER ${trigger} BEFORE INSERT ON events FOR EACH ROW WHEN (NEW.instance_id = '${instanceId}') EXECUTE FUNCTION ${trigger}()`)
            .execute(t.store.db);

          clock.set('2026-11-23T09:00:00.000Z');
          const failed = await t.scheduler.runDue().then(
            () => undefined,
            (error: unknown) => error,
          );
          expect(t.store.dialect.fault(failed)?.code).toBe('unavailable');
          expect(await jobs()).toEqual(before);
          expect((await api.get(`/tickets/${ticket.id}`)).body.item.isFrtEscalated).toBe(false);

          await sql.raw(`DROP TRIGGER ${trigger} ON events`).execute(t.store.db);
          await t.scheduler.runDue();
          expect((await api.get(`/tickets/${ticket.id}`)).body.item.isFrtEscalated).toBe(true);
          expect((await events(api)).map((e) => e.type)).toEqual(['sla.firstResponseBreached']);
        } finally {
          await sql
            .raw(`DROP TRIGGER IF EXISTS ${trigger} ON events`)
            .execute(t.store.db)
            .catch(() => undefined);
          await sql
            .raw(`DROP FUNCTION IF EXISTS ${trigger}()`)
            .execute(t.store.db)
            .catch(() => undefined);
          await t.close();
        }
      });

    // Several processes only share a PostgreSQL store (SQLite has one writer process).
    if (dialect.name === 'postgres')
      it('fires a breach once when two schedulers on two connections race for it', async () => {
        const clock = new FakeClock();
        clock.set('2026-11-23T08:00:00.000Z');
        const t = await createTestApp(dialect.name, { clock });
        const other = await openMigratedStore(t.databaseUrl, { synchronous: 'NORMAL', poolSize: 4 });
        try {
          const { api } = await createInstance(t.app);
          await api.put('/instance', { sla: parisSla });
          const tickets = await Promise.all(Array.from({ length: 20 }, () => createTicket(api, { priority: 'Urgent' })));
          clock.set('2026-11-23T12:30:00.000Z');
          const otherScheduler = new Scheduler({ store: other, now: clock.now });
          await Promise.all([t.scheduler.runDue(), otherScheduler.runDue(), t.scheduler.runDue(), otherScheduler.runDue()]);
          const all = (await api.get(`/instance/events?limit=500&order=DESC&type=${ALERTS}`)).body.items as { type: string; ticketId: number }[];
          expect(all).toHaveLength(40); // each ticket: one first-response and one resolution breach
          const perTicket = new Set(all.map((e) => `${e.type}:${e.ticketId}`));
          expect(perTicket.size).toBe(40);
          for (const ticket of tickets) {
            const history = (await api.get(`/tickets/${ticket.id}/activities`)).body.items as { type: string }[];
            expect(history.filter((a) => a.type === 'escalation')).toHaveLength(2);
          }
        } finally {
          await other.close();
          await t.close();
        }
      });
  });
}
