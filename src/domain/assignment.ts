import type { ITicket, IUser, Priority } from './ticket.js';

/**
 * Assignment rules (IRule). The reference names them without a shape; ours is:
 * `{ id?, name?, conditions?: { priority?, tags?, customFields?, requestor?, titleContains? },
 *    assignees: IUser[], mode?: 'single' | 'roundRobin' }`.
 * Every given condition must hold; within one condition, any listed value matches.
 */
export interface RuleConditions {
  priority?: Priority[];
  /** `tagCategoryId_text`, like the tags filter of GET /tickets. */
  tags?: string[];
  /** Field id -> value; for picker fields the ticket's list must contain the value. */
  customFields?: Record<string, unknown>;
  /** Requestor ids or emails. */
  requestor?: string[];
  /** Words or phrases, any of which in the title (case-insensitive). */
  titleContains?: string[];
}

export interface AssignmentRule {
  id?: string;
  name?: string;
  conditions?: RuleConditions;
  assignees: IUser[];
  mode?: 'single' | 'roundRobin';
}

export const AUTO_ASSIGN_USER: IUser = { id: 'system:auto-assign', name: 'Automatic assignment', email: '' };
export const SLA_USER: IUser = { id: 'system:sla', name: 'SLA escalation', email: '' };
export const IDLE_USER: IUser = { id: 'system:idle', name: 'Idle ticket reassignment', email: '' };

const lower = (v: unknown) => (typeof v === 'string' ? v.toLowerCase() : v);

function valueMatches(ticketValue: unknown, wanted: unknown): boolean {
  const wantedList = Array.isArray(wanted) ? wanted : [wanted];
  if (Array.isArray(ticketValue)) {
    const have = ticketValue.map((v) => (typeof v === 'object' && v !== null && 'id' in v ? (v as IUser).id : v)).map(lower);
    return wantedList.some((w) => have.includes(lower(typeof w === 'object' && w !== null && 'id' in w ? (w as IUser).id : w)));
  }
  return wantedList.some((w) => lower(w) === lower(ticketValue));
}

export function ruleMatches(rule: AssignmentRule, ticket: Pick<ITicket, 'priority' | 'tags' | 'customFields' | 'requestor' | 'title'>): boolean {
  const c = rule.conditions ?? {};
  if (c.priority?.length && !c.priority.includes(ticket.priority)) return false;
  if (c.tags?.length) {
    const keys = ticket.tags.map((t) => `${t.tagCategoryId}_${t.text.toLowerCase()}`);
    if (!c.tags.some((tag) => keys.includes(tag.replace(/_(.*)$/, (_m, text: string) => `_${text.toLowerCase()}`)))) return false;
  }
  for (const [fieldId, wanted] of Object.entries(c.customFields ?? {})) {
    if (!valueMatches(ticket.customFields[fieldId], wanted)) return false;
  }
  if (c.requestor?.length) {
    const who = [ticket.requestor.id.toLowerCase(), ticket.requestor.email.toLowerCase()];
    if (!c.requestor.some((r) => who.includes(r.toLowerCase()))) return false;
  }
  if (c.titleContains?.length) {
    const title = ticket.title.toLowerCase();
    if (!c.titleContains.some((w) => title.includes(w.toLowerCase()))) return false;
  }
  return true;
}

/** The first matching rule, else the default rule; undefined when none has assignees. */
export function chooseRule(
  rules: readonly AssignmentRule[],
  defaults: readonly AssignmentRule[],
  ticket: Pick<ITicket, 'priority' | 'tags' | 'customFields' | 'requestor' | 'title'>,
): { rule: AssignmentRule; key: string } | undefined {
  const index = rules.findIndex((r) => r.assignees?.length > 0 && ruleMatches(r, ticket));
  if (index >= 0) return { rule: rules[index]!, key: `rule:${rules[index]!.id ?? index}` };
  const fallback = defaults.find((r) => r.assignees?.length > 0);
  return fallback ? { rule: fallback, key: 'default' } : undefined;
}

/**
 * Who gets the ticket: the rule's only (or first, in `single` mode) assignee, or the next one
 * in turn. `turn` is a counter kept in the store per rule, so rotation is fair across processes.
 */
export function pickAssignee(rule: AssignmentRule, turn: number): IUser {
  const people = rule.assignees;
  const person = rule.mode === 'single' || people.length === 1 ? people[0]! : people[turn % people.length]!;
  return { id: person.id, name: person.name, email: person.email };
}
