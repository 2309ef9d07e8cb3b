import { describe, expect, it } from 'vitest';
import { fillPlaceholders, unknownPlaceholders } from './canned-responses.js';

const context = {
  ticket: {
    ticketId: 42,
    title: 'Printer & fax',
    trackingId: 'T42-00000000',
    requestor: { id: 'r', name: 'Jo <b>', email: 'jo@example.com' },
    assignee: null,
  },
  agent: { id: 'a', name: 'Alex', email: 'alex@example.com' },
};

describe('canned response placeholders', () => {
  it('fills every known placeholder, spaces inside the braces allowed', () => {
    const text = 'Hi {{requester.name}}, {{ ticket.number }}: {{ticket.title}} ({{requestor.email}}) — {{agent.name}}{{assignee.name}}';
    expect(fillPlaceholders(text, context, { html: false })).toBe('Hi Jo <b>, 42: Printer & fax (jo@example.com) — Alex');
  });

  it('escapes the values it puts into HTML', () => {
    expect(fillPlaceholders('<p>Hi {{requester.name}}, {{ticket.title}}</p>', context, { html: true })).toBe('<p>Hi Jo &lt;b&gt;, Printer &amp; fax</p>');
  });

  it('names unknown placeholders once each, and leaves them as they are when filling', () => {
    expect(unknownPlaceholders('{{requester.nam}} {{requester.nam}} {{ticket.number}} {{x}} {not one}')).toEqual(['requester.nam', 'x']);
    expect(fillPlaceholders('{{x}}', context, { html: false })).toBe('{{x}}');
  });
});
