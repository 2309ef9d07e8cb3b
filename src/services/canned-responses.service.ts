import { randomUUID } from 'node:crypto';
import { fillPlaceholders, unknownPlaceholders, type CannedResponse, PLACEHOLDER_NAMES } from '../domain/canned-responses.js';
import { DomainError, FieldErrors, notFound } from '../domain/errors.js';
import { COMMENT_MAX } from '../domain/limits.js';
import { htmlOf, resolveRichText } from '../domain/rich-text.js';
import { trackingIdOf, type IUser } from '../domain/ticket.js';
import * as repo from '../store/canned-responses.repo.js';
import type { Store } from '../store/db.js';
import { findTicket } from '../store/tickets.repo.js';
import { parseTicketRef } from './tickets.service.js';

/*
 * Canned responses (docs/api.md §16): reply templates an instance's admins write and its agents
 * insert into comments, with placeholders filled from the ticket (render).
 */

/** More would be a knowledge base, not a picker. */
export const CANNED_RESPONSES_PER_INSTANCE = 500;

export interface CannedResponseInput {
  title?: string;
  body?: string | null;
  body_HTML?: string | null;
  shared?: boolean;
}

/** A canned response on the wire: the plain body and its HTML, both always. */
export interface ICannedResponse {
  id: string;
  title: string;
  body: string;
  body_HTML: string;
  shared: boolean;
  createdBy: IUser | null;
  createdOn: string;
  lastUpdatedOn: string;
}

export const present = ({ bodyHtml, ...rest }: CannedResponse): ICannedResponse => ({
  ...rest,
  body_HTML: htmlOf({ plain: rest.body, html: bodyHtml }),
});

export class CannedResponsesService {
  constructor(private readonly deps: { store: Store; now: () => string }) {}

  /** The body of `input` as stored, its placeholders checked; field errors added to `errors`. */
  private body(input: CannedResponseInput, errors: FieldErrors) {
    const text = resolveRichText(
      { plain: input.body, html: input.body_HTML },
      { plainPath: '/body/body', htmlPath: '/body/body_HTML', max: COMMENT_MAX, errors },
    );
    if (text.plain.trim() === '') errors.add(input.body_HTML ? '/body/body_HTML' : '/body/body', 'a canned response needs text: body or body_HTML');
    for (const [path, value] of [
      ['/body/body', input.body],
      ['/body/body_HTML', input.body_HTML],
    ] as const) {
      const unknown = value ? unknownPlaceholders(value) : [];
      if (unknown.length > 0) {
        errors.add(
          path,
          `unknown placeholder${unknown.length > 1 ? 's' : ''} ${unknown.map((n) => `{{${n}}}`).join(', ')}; known: ${PLACEHOLDER_NAMES.join(', ')}`,
        );
      }
    }
    return text;
  }

  /** Drafts (not shared) are listed to those who manage responses only. */
  async list(instanceId: string, options: { withDrafts: boolean }): Promise<ICannedResponse[]> {
    return (await repo.listCannedResponses(this.deps.store.db, instanceId, { sharedOnly: !options.withDrafts })).map(present);
  }

  async get(instanceId: string, id: string, options: { withDrafts: boolean }): Promise<ICannedResponse> {
    return present(await this.find(instanceId, id, options));
  }

  private async find(instanceId: string, id: string, options: { withDrafts: boolean }): Promise<CannedResponse> {
    const found = await repo.findCannedResponse(this.deps.store.db, instanceId, id);
    if (!found || (!found.shared && !options.withDrafts)) throw notFound('Canned response');
    return found;
  }

  async create(instanceId: string, input: CannedResponseInput & { title: string }, user: IUser | null): Promise<ICannedResponse> {
    const errors = new FieldErrors();
    const text = this.body(input, errors);
    errors.throwIfAny();
    const now = this.deps.now();
    const response: CannedResponse = {
      id: randomUUID(),
      title: input.title.trim(),
      body: text.plain,
      bodyHtml: text.html,
      shared: input.shared ?? true,
      createdBy: user && { id: user.id, name: user.name, email: user.email },
      createdOn: now,
      lastUpdatedOn: now,
    };
    return this.deps.store.dialect.transaction(this.deps.store.db, async (tx) => {
      // Counted in the writing transaction (SQLite: writes are serial; PostgreSQL: a race may pass by one, which the cap tolerates).
      if ((await repo.listCannedResponses(tx, instanceId)).length >= CANNED_RESPONSES_PER_INSTANCE) {
        throw new DomainError('conflict', `an instance has at most ${CANNED_RESPONSES_PER_INSTANCE} canned responses; delete some first`);
      }
      await repo.insertCannedResponse(tx, instanceId, response);
      return present(response);
    });
  }

  /** A partial update: the body, given as plain text or HTML, replaces both. */
  async update(instanceId: string, id: string, input: CannedResponseInput): Promise<ICannedResponse> {
    const errors = new FieldErrors();
    const hasBody = input.body !== undefined || input.body_HTML !== undefined;
    const text = hasBody ? this.body(input, errors) : undefined;
    errors.throwIfAny();
    return this.deps.store.dialect.transaction(this.deps.store.db, async (tx) => {
      const found = await repo.findCannedResponse(tx, instanceId, id);
      if (!found) throw notFound('Canned response');
      const changed: CannedResponse = {
        ...found,
        ...(input.title !== undefined ? { title: input.title.trim() } : {}),
        ...(text ? { body: text.plain, bodyHtml: text.html } : {}),
        ...(input.shared !== undefined ? { shared: input.shared } : {}),
        lastUpdatedOn: this.deps.now(),
      };
      await repo.updateCannedResponse(tx, instanceId, changed);
      return present(changed);
    });
  }

  async delete(instanceId: string, id: string): Promise<void> {
    const deleted = await this.deps.store.dialect.transaction(this.deps.store.db, (tx) => repo.deleteCannedResponse(tx, instanceId, id));
    if (!deleted) throw notFound('Canned response');
  }

  /**
   * The response with its placeholders filled from the ticket (`ticketRef`: its UUID or number)
   * and the agent: plain text and HTML, the values escaped in the HTML. Nothing is written.
   */
  async render(
    instanceId: string,
    id: string,
    ticketRef: string,
    agent: IUser | null,
    options: { withDrafts: boolean },
  ): Promise<{ id: string; title: string; body: string; body_HTML: string }> {
    const response = await this.find(instanceId, id, options);
    const found = await findTicket(this.deps.store.db, this.deps.store.dialect, instanceId, parseTicketRef(ticketRef));
    if (!found) {
      throw new DomainError('validation_failed', 'the ticket to render for was not found', [{ path: '/body/ticketId', message: 'no such ticket' }]);
    }
    const { ticket } = found;
    const context = {
      ticket: { ticketId: ticket.ticketId, title: ticket.title, trackingId: trackingIdOf(ticket), requestor: ticket.requestor, assignee: ticket.assignee },
      agent,
    };
    return {
      id: response.id,
      title: response.title,
      body: fillPlaceholders(response.body, context, { html: false }),
      body_HTML: fillPlaceholders(htmlOf({ plain: response.body, html: response.bodyHtml }), context, { html: true }),
    };
  }
}
