import { v7 as uuidv7 } from 'uuid';
import type { Activity } from '../domain/activity.js';
import { AUTO_ASSIGN_USER, chooseRule, IDLE_USER, pickAssignee, SLA_USER } from '../domain/assignment.js';
import { DomainError } from '../domain/errors.js';
import { slaPolicyFor, type InstanceSettings } from '../domain/instance.js';
import { firstResponseDue, missedTargets, resolutionDue } from '../domain/sla.js';
import { decideJob, JOB, jobChanges, wantedJobs } from '../domain/ticket-jobs.js';
import type { IUser, StoredTicket } from '../domain/ticket.js';
import type { StoreDialect } from '../store/dialect.js';
import * as jobs from '../store/engine.repo.js';
import type { Tx } from '../store/schema.js';
import * as tickets from '../store/tickets.repo.js';
import * as events from './events.service.js';

/*
 * The help-desk engine: SLA due dates and escalation, automatic and idle assignment, due-date
 * alerts. Everything it decides is written in the transaction of the change that caused it:
 * the ticket, its activities, its pending jobs and its alert events commit or roll back together.
 * See docs/decisions/007-help-desk-engine.md.
 */

export class Engine {
  constructor(private readonly dialect: StoreDialect) {}

  /** Sets frtDueOn and rtDueOn from the SLA policy the ticket follows (the one in force when it was created, see slaPolicyFor). */
  applyDueDates(settings: InstanceSettings, ticket: StoredTicket): void {
    const sla = slaPolicyFor(settings, ticket.createdOn);
    ticket.frtDueOn = ticket.isFrtEscalated ? ticket.frtDueOn : firstResponseDue(sla, ticket);
    ticket.rtDueOn = ticket.isRtEscalated ? ticket.rtDueOn : resolutionDue(sla, ticket, ticket.rtStartedOn);
  }

  /** Marks the targets `after` missed, coming from `before` (before its due dates are recomputed). */
  noteMissedTargets(before: StoredTicket, after: StoredTicket, now: string): void {
    const missed = missedTargets(before, after, now);
    if (missed.firstResponse) after.isFrtBreached = true;
    if (missed.resolution) after.isRtBreached = true;
  }

  /** With `assignees.type = customAssignee`, only the listed people may be assigned. */
  checkAssignee(settings: InstanceSettings, assignee: IUser | null, path: string): void {
    const allowed = settings.assignees?.type === 'customAssignee' ? settings.assignees.peoples : undefined;
    if (!assignee || !allowed || allowed.length === 0) return;
    if (!allowed.some((p) => p.id === assignee.id)) {
      throw new DomainError('validation_failed', `${assignee.name || assignee.id} is not one of the instance's assignees`, [
        { path, message: 'is not in the assignees list of the instance (assignees.type is customAssignee)' },
      ]);
    }
  }

  /**
   * Assigns a new, unassigned ticket by the instance's rules when automatic assignment is on.
   * Returns the activity that records it (written once the ticket has its row).
   */
  async autoAssign(tx: Tx, instanceId: string, settings: InstanceSettings, ticket: StoredTicket, now: string): Promise<Activity | undefined> {
    if (!settings.isAutomaticAssignTickets || ticket.assignee) return undefined;
    const choice = chooseRule(settings.assigneeRules, settings.defaultRuleAssignee, ticket);
    if (!choice) return undefined;
    const turn = await jobs.takeTurn(tx, instanceId, choice.key);
    ticket.assignee = pickAssignee(choice.rule, turn);
    return {
      id: uuidv7(),
      ticketId: ticket.ticketId,
      type: 'fieldChange',
      user: AUTO_ASSIGN_USER,
      createdOn: now,
      field: 'assignee',
      from: null,
      to: ticket.assignee,
      ...(choice.rule.name ? { rule: choice.rule.name } : {}),
    };
  }

  /**
   * Makes the ticket's pending jobs match its state: due times are stored, so the scheduler
   * never scans tickets. Alerts on past dates are not scheduled (they fired, or were set late).
   */
  async syncJobs(tx: Tx, instanceId: string, seq: number, ticket: StoredTicket, settings: InstanceSettings, now: string): Promise<void> {
    const changes = jobChanges(await jobs.listTicketJobs(tx, instanceId, seq), wantedJobs(ticket, settings, now), now);
    for (const kind of changes.remove) await jobs.deleteJob(tx, { instanceId, ticketSeq: seq, kind });
    for (const [kind, runAt] of changes.upsert) await jobs.upsertJob(tx, instanceId, seq, kind, runAt);
  }

  /** Asks the scheduler to re-apply the settings to every open ticket (after a settings change). */
  async scheduleReschedule(tx: Tx, instanceId: string, now: string): Promise<void> {
    await jobs.upsertJob(tx, instanceId, 0, JOB.reschedule, now);
  }

  /**
   * Runs one claimed job inside its transaction. Handlers re-check the ticket's state, so a job
   * that is stale (responded, resolved, already escalated) does nothing: each breach fires once.
   */
  async runJob(tx: Tx, job: jobs.Job, settings: InstanceSettings | undefined, now: string): Promise<void> {
    await jobs.deleteJob(tx, job);
    if (!settings) return; // the instance is gone
    if (job.kind === JOB.reschedule) return this.reschedule(tx, job, settings, now);
    const found = await tickets.findTicketBySeq(tx, this.dialect, job.instanceId, job.ticketSeq);
    if (!found) return;
    const before = found;
    const after: StoredTicket = { ...before };
    const activities: Activity[] = [];
    const base = { ticketId: before.ticketId, createdOn: now };
    const event = (type: string, extra: Record<string, unknown> = {}) =>
      events.record(tx, job.instanceId, { type, ticket: after, data: extra, createdOn: now });
    const reassign = async (people: IUser[], key: string, user: IUser) => {
      if (people.length === 0) return undefined;
      const person = pickAssignee({ assignees: people, mode: 'roundRobin' }, await jobs.takeTurn(tx, job.instanceId, key));
      if (after.assignee?.id === person.id) return person;
      activities.push({ id: uuidv7(), ...base, type: 'fieldChange', user, field: 'assignee', from: after.assignee, to: person });
      after.assignee = person;
      return person;
    };

    const decision = decideJob(job.kind, before, settings, now);
    switch (decision.do) {
      case 'nothing':
        return;
      case 'postpone':
        await jobs.upsertJob(tx, job.instanceId, job.ticketSeq, job.kind, decision.runAt);
        return;
      case 'alert':
        await event(decision.event, { expectedDate: before.expectedDate });
        return;
      case 'escalate': {
        const { escalation, dueOn } = decision;
        if (escalation === 'firstResponse') after.isFrtEscalated = after.isFrtBreached = true;
        else after.isRtEscalated = after.isRtBreached = true;
        activities.push({ id: uuidv7(), ...base, type: 'escalation', user: SLA_USER, escalation, dueOn });
        const reassignedTo = await reassign(slaPolicyFor(settings, before.createdOn)?.breachAssignees ?? [], 'sla-breach', SLA_USER);
        await event(escalation === 'firstResponse' ? 'sla.firstResponseBreached' : 'sla.resolutionBreached', {
          dueOn,
          ...(reassignedTo ? { reassignedTo } : {}),
        });
        break;
      }
      case 'markIdle': {
        const reassignedTo = settings.isAutoAssignIdleTickets ? await reassign(settings.idleTicketAssignedTo, 'idle', IDLE_USER) : undefined;
        if (!reassignedTo) activities.push({ id: uuidv7(), ...base, type: 'idle', user: IDLE_USER, idleDays: decision.days });
        if (settings.isNotifyIdleTicket) await event('ticket.idle', { idleSince: before.lastInteraction, ...(reassignedTo ? { reassignedTo } : {}) });
        // The reassignment (or notice) counts as an interaction: checked again in `days` days.
        after.lastInteraction = now;
        break;
      }
    }
    if (activities.length > 0) {
      after.lastUpdatedOn = now;
      after.lastUpdatedBy = activities[activities.length - 1]!.user;
    }
    await tickets.updateTicket(tx, job.instanceId, job.ticketSeq, before, after);
    for (const activity of activities) await tickets.insertActivity(tx, job.instanceId, job.ticketSeq, activity);
    await this.syncJobs(tx, job.instanceId, job.ticketSeq, after, settings, now);
    if (activities.length > 0) await events.recordTicketChange(tx, job.instanceId, { before, after, activities, user: activities[0]!.user, now });
  }

  /** Re-applies settings to a batch of open tickets; the job's ticket_seq is its cursor. */
  private async reschedule(tx: Tx, job: jobs.Job, settings: InstanceSettings, now: string): Promise<void> {
    const batch = await jobs.openTicketSeqs(tx, job.instanceId, job.ticketSeq, 500);
    for (const seq of batch) {
      const before = await tickets.findTicketBySeq(tx, this.dialect, job.instanceId, seq);
      if (!before) continue;
      const after: StoredTicket = { ...before };
      this.applyDueDates(settings, after);
      if (after.frtDueOn !== before.frtDueOn || after.rtDueOn !== before.rtDueOn) await tickets.updateTicket(tx, job.instanceId, seq, before, after);
      await this.syncJobs(tx, job.instanceId, seq, after, settings, now);
    }
    if (batch.length === 500) await jobs.upsertJob(tx, job.instanceId, batch[batch.length - 1]!, JOB.reschedule, now);
  }
}
