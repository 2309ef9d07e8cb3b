import { describe, expect, it } from 'vitest';
import { chooseRule, pickAssignee, ruleMatches, type AssignmentRule } from './assignment.js';

const alice = { id: 'a', name: 'Alice', email: 'alice@example.com' };
const bob = { id: 'b', name: 'Bob', email: 'bob@example.com' };
const carol = { id: 'c', name: 'Carol', email: 'carol@example.com' };
const ticket = {
  priority: 'Urgent' as const,
  tags: [{ tagCategoryId: 'cat', text: 'Network' }],
  customFields: { site: ['paris'], vip: true, people: [{ id: 'x', name: 'X', email: 'x@example.com' }] },
  requestor: { id: 'r1', name: 'Rita', email: 'Rita@Example.com' },
  title: 'VPN is down again',
};

describe('assignment rules', () => {
  it('matches when every given condition holds', () => {
    expect(ruleMatches({ assignees: [alice], conditions: { priority: ['Urgent'], titleContains: ['vpn'] } }, ticket)).toBe(true);
    expect(ruleMatches({ assignees: [alice], conditions: { priority: ['Low'], titleContains: ['vpn'] } }, ticket)).toBe(false);
    expect(ruleMatches({ assignees: [alice], conditions: { tags: ['cat_network'] } }, ticket)).toBe(true);
    expect(ruleMatches({ assignees: [alice], conditions: { tags: ['cat_printer'] } }, ticket)).toBe(false);
    expect(ruleMatches({ assignees: [alice], conditions: { requestor: ['rita@example.com'] } }, ticket)).toBe(true);
    expect(ruleMatches({ assignees: [alice], conditions: { customFields: { site: 'paris', vip: true } } }, ticket)).toBe(true);
    expect(ruleMatches({ assignees: [alice], conditions: { customFields: { site: 'lyon' } } }, ticket)).toBe(false);
    expect(ruleMatches({ assignees: [alice], conditions: { customFields: { people: 'x' } } }, ticket)).toBe(true);
    expect(ruleMatches({ assignees: [alice] }, ticket)).toBe(true);
  });

  it('takes the first matching rule, else the default', () => {
    const rules: AssignmentRule[] = [
      { id: 'printers', assignees: [bob], conditions: { titleContains: ['printer'] } },
      { id: 'network', assignees: [alice], conditions: { titleContains: ['vpn'] } },
      { id: 'urgent', assignees: [carol], conditions: { priority: ['Urgent'] } },
    ];
    expect(chooseRule(rules, [], ticket)).toEqual({ rule: rules[1], key: 'rule:network' });
    expect(chooseRule(rules.slice(0, 1), [{ assignees: [carol] }], ticket)?.key).toBe('default');
    expect(chooseRule(rules.slice(0, 1), [], ticket)).toBeUndefined();
  });

  it('rotates fairly: 100 tickets over 3 people is 34/33/33', () => {
    const rule: AssignmentRule = { assignees: [alice, bob, carol], mode: 'roundRobin' };
    const counts: Record<string, number> = {};
    for (let turn = 0; turn < 100; turn++) {
      const who = pickAssignee(rule, turn).name;
      counts[who] = (counts[who] ?? 0) + 1;
    }
    expect(counts).toEqual({ Alice: 34, Bob: 33, Carol: 33 });
  });

  it('always picks the first person in single mode', () => {
    const rule: AssignmentRule = { assignees: [alice, bob], mode: 'single' };
    expect([0, 1, 2].map((turn) => pickAssignee(rule, turn).id)).toEqual(['a', 'a', 'a']);
  });
});
