import { describe, expect, it } from 'vitest';
import { eventForReader, isAfter, sseFrame } from './live.js';

const note = { type: 'ticket.commented', data: { comment: 'secret', comment_HTML: '<p>secret</p>', isPrivate: true, user: { name: 'Ada' } }, payload: {} };
const reply = { type: 'ticket.commented', data: { comment: 'hello', isPrivate: false }, payload: {} };
const disabled = { type: 'webhook.disabled', data: { webhook: { id: 'w1' } }, payload: {} };
const agent = { seesPrivateNotes: true, seesWebhooks: false };
const viewer = { seesPrivateNotes: false, seesWebhooks: false };
const admin = { seesPrivateNotes: true, seesWebhooks: true };

describe('what a stream sends whom', () => {
  it("gives a private note's text to those who may read private notes, and its fact alone to the others", () => {
    expect(eventForReader(note, agent)).toBe(note);
    const seen = eventForReader(note, viewer)!;
    expect(seen.data).toEqual({ comment: null, comment_HTML: null, isPrivate: true, user: { name: 'Ada' } });
    expect(seen.payload).toBe(seen.data);
    expect(note.data.comment).toBe('secret');
    expect(eventForReader(reply, viewer)).toBe(reply);
  });

  it('sends webhook events only to those who may read the webhooks', () => {
    expect(eventForReader(disabled, agent)).toBeUndefined();
    expect(eventForReader(disabled, viewer)).toBeUndefined();
    expect(eventForReader(disabled, admin)).toBe(disabled);
  });

  it('orders feed positions by transaction, then sequence', () => {
    expect(isAfter([5, 1], undefined)).toBe(true);
    expect(isAfter([5, 2], [5, 1])).toBe(true);
    expect(isAfter([6, 0], [5, 9])).toBe(true);
    expect(isAfter([5, 1], [5, 1])).toBe(false);
    expect(isAfter([4, 9], [5, 0])).toBe(false);
  });

  it('frames an event on lines that a JSON newline cannot break', () => {
    expect(sseFrame('ticket.created', { title: 'two\nlines' }, 'e1')).toBe('id: e1\nevent: ticket.created\ndata: {"title":"two\\nlines"}\n\n');
    expect(sseFrame('presence', { a: 1 })).toBe('event: presence\ndata: {"a":1}\n\n');
  });
});
