import { v7 as uuidv7 } from 'uuid';
import {
  presentActivity,
  presentComment,
  type Activity,
  type ActivityQuery,
  type CommentActivity,
  type FieldChangeActivity,
  type IActivity,
  type IComment,
} from '../domain/activity.js';
import { applyCustomFieldValues } from '../domain/custom-fields.js';
import { formatUserInstant, parseInstant } from '../domain/dates.js';
import { DomainError, FieldErrors, notFound } from '../domain/errors.js';
import { ifMatchHolds, StaleTicket, ticketEtag, type IfMatch } from '../domain/etag.js';
import { activitiesFingerprint, decodeCursor, encodeCursor, queryFingerprint, type Cursor } from '../domain/cursor.js';
import { selectFields, type CountGroup, type ListFilters, type ListQuery } from '../domain/listing.js';
import { COMMENT_MAX, COMMENTS_PER_TICKET, DESCRIPTION_MAX, LIST_PAGE_BYTES } from '../domain/limits.js';
import { htmlOf, resolveRichText, type Includable } from '../domain/rich-text.js';
import { assertTransition } from '../domain/status.js';
import { resolveTicketTags } from '../domain/tags.js';
import {
  isSameUser,
  parseStatus,
  trackingIdOf,
  type ITag,
  type ITicket,
  type IUser,
  type Origin,
  type Resolution,
  type Status,
  type StoredTicket,
} from '../domain/ticket.js';
import type { InstanceSettings } from '../domain/instance.js';
import { isPerson, type Role } from '../domain/people.js';
import { fieldsRefused } from '../domain/permissions.js';
import { Engine } from './engine.js';
import * as events from './events.service.js';
import { joinedTransaction } from './joined-transaction.js';
import type { Store } from '../store/db.js';
import { StatementBudgetExceeded } from '../store/faults.js';
import { allocateTicketNumber, findInstance, listCustomFields, listTagCategories, updateTagCategory } from '../store/instances.repo.js';
import type { IAttachment } from '../domain/attachments.js';
import { listAssignablePeople } from '../store/people.repo.js';
import type { Tx } from '../store/schema.js';
import * as repo from '../store/tickets.repo.js';
import { countsFromTables, countTicketGroups, countTickets, type TicketCounts } from '../store/ticket-counts.js';
import { ticketJson, WIRE, WIRE_COLUMNS, wireRowToTicket, type WireRow } from '../store/ticket-json.js';
import type { InsertCommentBody, TicketCreateInput, TicketUpdateInput } from '../http/schemas.js';

/** What a read or write answer includes besides the ticket's own fields (include=…). */
export type Included = ReadonlySet<Includable>;
const NOTHING_INCLUDED: Included = new Set();

/** A comment as given: its plain text, its HTML, or both (at least one with text). */
export type CommentInput = Omit<InsertCommentBody, 'user'>;

/** What comes with a comment that holds attachments: written in its transaction, answered as its `attachments`. */
export interface CommentAttachments {
  write(tx: Tx, ticket: { seq: number; ticket: StoredTicket }, activity: CommentActivity): Promise<readonly IAttachment[]>;
}

/** A ticket as a write answers it, with the ETag of that representation (docs/decisions/020-ticket-etags.md). */
export interface TicketAnswer {
  item: ITicket;
  etag: string;
}

/** A page of a ticket's activities: `{ items, continuationToken, itemCount }`. */
export interface ActivityPage {
  items: IActivity[];
  continuationToken: string | null;
  itemCount: number;
}

/** A person editing a ticket (a session or personal token): the instance's userPermission applies. */
export interface TicketEditorPerson {
  id: string;
  email: string;
  role: Role;
}

export interface TicketsDeps {
  store: Store;
  tokenSecret: string;
  now?: () => string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** `/tickets/{ticketId}` takes the UUID `id` or the number `ticketId`. */
export function parseTicketRef(value: string): repo.TicketRef {
  const trimmed = value.trim();
  if (/^\d{1,9}$/.test(trimmed)) return { number: Number(trimmed) };
  if (UUID.test(trimmed)) return { id: trimmed.toLowerCase() };
  return { number: -1 }; // matches nothing: "not found", like any other unknown id
}

const pickUser = (u: IUser): IUser => ({ id: u.id, name: u.name, email: u.email });

export class TicketsService {
  private readonly now: () => string;
  private readonly engine: Engine;
  constructor(private readonly deps: TicketsDeps) {
    this.now = deps.now ?? (() => new Date().toISOString());
    this.engine = new Engine(deps.store.dialect);
  }

  private async settingsOf(tx: Tx, instanceId: string): Promise<InstanceSettings> {
    const instance = await findInstance(tx, instanceId);
    if (!instance) throw notFound('Instance');
    return instance.settings;
  }

  /**
   * Writes a changed ticket with its activities, SLA due dates and pending jobs, in `tx`. The row's
   * version goes up even when only an activity is added (see repo.updateTicket).
   */
  private async save(
    tx: Tx,
    instanceId: string,
    seq: number,
    before: StoredTicket,
    after: StoredTicket,
    activities: Activity[],
    settings: InstanceSettings,
    now: string,
  ) {
    this.engine.noteMissedTargets(before, after, now);
    this.engine.applyDueDates(settings, after);
    await repo.updateTicket(tx, instanceId, seq, before, after, { bump: true });
    for (const activity of activities) await repo.insertActivity(tx, instanceId, seq, activity);
    await this.engine.syncJobs(tx, instanceId, seq, after, settings, now);
    await events.recordTicketChange(tx, instanceId, { before, after, activities, user: activities[0]?.user ?? after.lastUpdatedBy, now });
  }

  private tx<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    // Inside a bulk action's per-ticket transaction, join it (joined-transaction.ts).
    const joined = joinedTransaction();
    return joined ? fn(joined) : this.deps.store.dialect.transaction(this.deps.store.db, fn);
  }

  private async load(tx: Tx, instanceId: string, ref: string, forUpdate = false) {
    const found = await repo.findTicket(tx, this.deps.store.dialect, instanceId, parseTicketRef(ref), { forUpdate });
    if (!found) throw notFound('Ticket');
    return found;
  }

  /**
   * Loads the ticket for a write, locked (PostgreSQL; SQLite's writes are serial), and checks
   * If-Match against it there: the check and the write are one transaction, so of two writes
   * sent with the same tag, the second sees the version the first wrote and fails.
   */
  private async loadForWrite(tx: Tx, instanceId: string, ref: string, ifMatch: IfMatch | undefined, include: Included) {
    const found = await this.load(tx, instanceId, ref, true);
    if (!ifMatchHolds(ifMatch, found.ticket.ticketId, found.version)) {
      throw new StaleTicket(present(found.ticket, include), ticketEtag(found.ticket.ticketId, found.version, include.has('description_HTML')));
    }
    return found;
  }

  /** The answer of a write that saved the ticket (its version went up by one). */
  private answer(ticket: StoredTicket, version: number, include: Included): TicketAnswer {
    return { item: present(ticket, include), etag: ticketEtag(ticket.ticketId, version, include.has('description_HTML')) };
  }

  /**
   * Validates tags against the categories and records texts new to a category. Categories are
   * read without a lock; only when a text must be added are they locked (PostgreSQL) and read
   * again, so creates without new tags don't queue behind each other.
   */
  private async resolveTags(tx: Tx, instanceId: string, tags: ITag[], path: string, errors: FieldErrors): Promise<ITag[]> {
    if (tags.length === 0) return [];
    let categories = await listTagCategories(tx, instanceId);
    let { tags: resolved, additions } = resolveTicketTags(categories, tags, path, errors);
    if (errors.list.length > 0 || additions.size === 0) return resolved;
    if (this.deps.store.dialect.supportsRowLocks) {
      // Read again under the lock: another write may have filled the category meanwhile.
      categories = await listTagCategories(tx, instanceId, { forUpdate: true });
      ({ tags: resolved, additions } = resolveTicketTags(categories, tags, path, errors));
      if (errors.list.length > 0) return resolved;
    }
    for (const [categoryId, texts] of additions) {
      const category = categories.find((c) => c.id === categoryId)!;
      const kept = category.tags.filter((t) => !texts.some((x) => x.toLowerCase() === t.text.toLowerCase()));
      await updateTagCategory(tx, instanceId, { ...category, tags: [...kept, ...texts.map((text) => ({ text, deleted: false }))] });
    }
    return resolved;
  }

  private expectedDate(value: string | null | undefined, timezone: number, path: string, errors: FieldErrors): string | null {
    if (value === null || value === undefined || value === '') return null;
    const instant = parseInstant(value, timezone);
    if (!instant) errors.add(path, 'expectedDate is an ISO 8601 date or date-time');
    return instant ?? null;
  }

  /** `include`: what the answer carries besides the ticket (include=…); `origin`: where the request came from (domain ticketOrigin decides it). */
  async create(
    instanceId: string,
    input: TicketCreateInput,
    user: IUser,
    timezone: number,
    { include = NOTHING_INCLUDED, origin = 'api' }: { include?: Included; origin?: Origin } = {},
  ): Promise<TicketAnswer> {
    return this.tx(async (tx) => {
      const errors = new FieldErrors();
      const description = resolveRichText(
        { plain: input.description, html: input.description_HTML },
        { plainPath: '/ticket/description', htmlPath: '/ticket/description_HTML', max: DESCRIPTION_MAX, errors },
      );
      if (input.status !== undefined && (typeof input.status !== 'string' || parseStatus(input.status) !== 'Open')) {
        errors.add('/ticket/status', 'a new ticket is always Open; change the status with PUT /tickets/{ticketId}/status');
      }
      const fields = await listCustomFields(tx, instanceId);
      const customFields = applyCustomFieldValues(fields, input.customFields, undefined, { path: '/ticket/customFields', timezone, errors });
      const tags = await this.resolveTags(tx, instanceId, input.tags ?? [], '/ticket/tags', errors);
      const expectedDate = this.expectedDate(input.expectedDate, timezone, '/ticket/expectedDate', errors);
      errors.throwIfAny();
      const settings = await this.settingsOf(tx, instanceId);
      const assignee = input.assignee ? pickUser(input.assignee) : null;
      await this.checkAssignee(tx, instanceId, settings, assignee, '/ticket/assignee');
      const now = await this.creationTime(tx, instanceId);
      const actor = pickUser(user);
      const ticket: StoredTicket = {
        // Time-ordered (v7): new tickets append to the (instance_id, id) index instead of
        // landing on a random leaf of it, one page fewer to write per create at scale.
        id: uuidv7(),
        ticketId: await allocateTicketNumber(tx, instanceId),
        title: input.title,
        description: description.plain,
        descriptionHtml: description.html,
        status: 'Open',
        priority: input.priority ?? 'Medium',
        requestor: pickUser(input.requestor),
        assignee,
        customFields,
        tags,
        expectedDate,
        resolution: null,
        lastResolutionComment: null,
        firstResponseOn: null,
        firstResolutionOn: null,
        lastResolutionOn: null,
        createdOn: now,
        lastUpdatedOn: now,
        lastInteraction: now,
        isFrtEscalated: false,
        isRtEscalated: false,
        isFrtBreached: false,
        isRtBreached: false,
        origin,
        createdBy: actor,
        lastUpdatedBy: actor,
        frtDueOn: null,
        rtDueOn: null,
        rtStartedOn: now,
      };
      const assignment = await this.engine.autoAssign(tx, instanceId, settings, ticket, now);
      this.engine.applyDueDates(settings, ticket);
      const seq = await repo.insertTicket(tx, instanceId, ticket);
      if (assignment) await repo.insertActivity(tx, instanceId, seq, assignment);
      await this.engine.syncJobs(tx, instanceId, seq, ticket, settings, now);
      await events.recordTicketChange(tx, instanceId, { before: null, after: ticket, activities: assignment ? [assignment] : [], user: actor, now });
      // A new row starts at version 1 (the column's default).
      return this.answer(ticket, 1, include);
    });
  }

  /**
   * Now. Where the store relies on tickets being stored in creation order (its search walk;
   * StoreDialect.keepsStorageInCreationOrder: writes are serial, so the newest stored ticket is
   * the newest created): when the clock is behind the instance's newest ticket by at
   * most CLOCK_STEP_MS (an NTP step), the ticket gets that ticket's createdOn instead; further
   * behind (a clock set back by hand, or tickets from the future, say bulk loaded), the ticket
   * keeps the real time and the instance is marked out of creation order, for good.
   */
  private async creationTime(tx: Tx, instanceId: string): Promise<string> {
    const now = this.now();
    if (!this.deps.store.dialect.keepsStorageInCreationOrder) return now;
    const latest = await repo.latestCreatedOn(tx, instanceId);
    if (latest === null || latest <= now) return now;
    if (Date.parse(latest) - Date.parse(now) <= CLOCK_STEP_MS) return latest;
    await repo.markOutOfCreationOrder(tx, instanceId);
    return now;
  }

  /** The `{ item }` response of a ticket, as JSON text (see src/store/ticket-json.ts), and its ETag. */
  async getJson(instanceId: string, ref: string, include: Included = NOTHING_INCLUDED): Promise<{ json: string; etag: string }> {
    const row = await repo.readTicketRow(this.deps.store, instanceId, parseTicketRef(ref));
    if (!row) throw notFound('Ticket');
    const withHtml = include.has('description_HTML');
    const version = Number(row[WIRE_COLUMNS.length]);
    return { json: `{"item":${ticketJson(row, withHtml)}}`, etag: ticketEtag(Number(row[WIRE.ticket_number]), version, withHtml) };
  }

  /** A ticket's UUID and number, from either (404 when the instance has no such ticket). */
  async identify(instanceId: string, ref: string): Promise<{ id: string; ticketId: number }> {
    const row = await repo.readTicketRow(this.deps.store, instanceId, parseTicketRef(ref));
    if (!row) throw notFound('Ticket');
    return { id: String(row[WIRE.id]), ticketId: Number(row[WIRE.ticket_number]) };
  }

  /**
   * With a custom assignee list, the assignee must be on it or be one of the instance's agents
   * (or admins), so that "Assign to me" works for every agent. The people are read only when
   * the list does not name the assignee.
   */
  private async checkAssignee(tx: Tx, instanceId: string, settings: InstanceSettings, assignee: IUser | null, path: string): Promise<void> {
    const listed = settings.assignees?.type === 'customAssignee' ? settings.assignees.peoples : [];
    if (assignee && listed.length > 0 && !listed.some((p) => p.id === assignee.id)) {
      if ((await listAssignablePeople(tx, instanceId)).some((p) => p.id === assignee.id)) return;
    }
    this.engine.checkAssignee(settings, assignee, path);
  }

  async update(
    instanceId: string,
    ref: string,
    input: TicketUpdateInput,
    user: IUser,
    timezone: number,
    include: Included = NOTHING_INCLUDED,
    editor?: TicketEditorPerson,
    ifMatch?: IfMatch,
  ): Promise<TicketAnswer> {
    if (input.status !== undefined) {
      throw new DomainError('validation_failed', 'status is changed with PUT /tickets/{ticketId}/status', [
        { path: '/updates/status', message: 'use PUT /tickets/{ticketId}/status to change the status' },
      ]);
    }
    return this.tx(async (tx) => {
      const { seq, version, ticket: before } = await this.loadForWrite(tx, instanceId, ref, ifMatch, include);
      const errors = new FieldErrors();
      const after: StoredTicket = { ...before };
      if (input.title !== undefined) after.title = input.title;
      if (input.description !== undefined || input.description_HTML !== undefined) {
        // Given as plain text, the description loses the HTML it had: that HTML is of the old text.
        const description = resolveRichText(
          { plain: input.description, html: input.description_HTML },
          { plainPath: '/updates/description', htmlPath: '/updates/description_HTML', max: DESCRIPTION_MAX, errors },
        );
        after.description = description.plain;
        after.descriptionHtml = description.html;
      }
      if (input.priority !== undefined) after.priority = input.priority;
      if (input.requestor !== undefined) after.requestor = pickUser(input.requestor);
      if (input.assignee !== undefined) after.assignee = input.assignee ? pickUser(input.assignee) : null;
      if (input.expectedDate !== undefined) {
        after.expectedDate = this.expectedDate(input.expectedDate, timezone, '/updates/expectedDate', errors);
      }
      if (input.customFields !== undefined) {
        const fields = await listCustomFields(tx, instanceId);
        after.customFields = applyCustomFieldValues(fields, input.customFields, before.customFields, { path: '/updates/customFields', timezone, errors });
      }
      if (input.tags !== undefined) after.tags = await this.resolveTags(tx, instanceId, input.tags, '/updates/tags', errors);
      errors.throwIfAny();
      const settings = await this.settingsOf(tx, instanceId);
      if (input.assignee !== undefined && after.assignee?.id !== before.assignee?.id) {
        await this.checkAssignee(tx, instanceId, settings, after.assignee, '/updates/assignee');
      }

      const now = this.now();
      const actor = pickUser(user);
      const changes = fieldChanges(before, after, { instanceId, ticketId: before.ticketId, user: actor, createdOn: now });
      // Nothing changes, so the version stays (and so does the client's ETag).
      if (changes.length === 0) return this.answer(before, version, include);
      if (editor) {
        const refused = fieldsRefused(settings.userPermission, [...new Set(changes.map((c) => c.field))], {
          role: editor.role,
          isAssignee: isPerson(before.assignee, editor),
          isRequestor: isPerson(before.requestor, editor),
        });
        if (refused.length > 0) {
          throw new DomainError(
            'forbidden',
            `the instance's userPermission does not let you change ${refused.join(', ')} on this ticket`,
            refused.map((field) => ({ path: `/updates/${field.replace('.', '/')}`, message: 'you may not change this field on this ticket' })),
          );
        }
      }
      after.lastUpdatedOn = now;
      after.lastUpdatedBy = actor;
      after.lastInteraction = now;
      await this.save(tx, instanceId, seq, before, after, changes, settings, now);
      return this.answer(after, version + 1, include);
    });
  }

  async changeStatus(
    instanceId: string,
    ref: string,
    input: { status: Status; resolution?: Resolution; comment?: string },
    user: IUser,
    include: Included = NOTHING_INCLUDED,
    ifMatch?: IfMatch,
  ): Promise<TicketAnswer> {
    return this.tx(async (tx) => {
      const { seq, version, ticket: before } = await this.loadForWrite(tx, instanceId, ref, ifMatch, include);
      if (input.status === 'Open') throw new DomainError('invalid_transition', 'Open is only the status of a new ticket; reopen with Reopened');
      assertTransition(before.status, input.status);
      if (input.status === 'Resolved' && !input.resolution) {
        throw new DomainError('validation_failed', 'resolving a ticket needs a resolution', [
          { path: '/resolution', message: 'resolution is required when status is Resolved (fixed, cannotResolve or cancelled)' },
        ]);
      }
      const now = this.now();
      const actor = pickUser(user);
      const comment = input.comment?.trim() ? input.comment : null;
      const after: StoredTicket = { ...before, status: input.status, lastUpdatedOn: now, lastUpdatedBy: actor, lastInteraction: now };
      if (input.status === 'Resolved') {
        after.resolution = input.resolution!;
        after.firstResolutionOn = before.firstResolutionOn ?? now;
        after.lastResolutionOn = now;
        after.lastResolutionComment = comment;
      } else if (input.status === 'Reopened') {
        // A reopened ticket starts a new resolution cycle: the clock restarts, and a breach of
        // the new target escalates again.
        after.resolution = null;
        after.rtStartedOn = now;
        after.isRtEscalated = false;
      }
      if (!after.firstResponseOn && !isSameUser(actor, before.requestor)) after.firstResponseOn = now;
      const settings = await this.settingsOf(tx, instanceId);
      await this.save(
        tx,
        instanceId,
        seq,
        before,
        after,
        [
          {
            id: uuidv7(),
            ticketId: before.ticketId,
            type: 'statusChange',
            user: actor,
            createdOn: now,
            from: before.status,
            to: input.status,
            resolution: input.status === 'Resolved' ? input.resolution! : null,
            comment,
          },
        ],
        settings,
        now,
      );
      return this.answer(after, version + 1, include);
    });
  }

  /**
   * Adds a comment (or private note) given as plain text, HTML or both; answers it as IComment.
   * `attached`: the comment holds attachments (src/services/attachments.service.ts), so it may have
   * no text; their rows are written in the comment's transaction, and are its `attachments`.
   */
  async addComment(instanceId: string, ref: string, input: CommentInput, user: IUser, attached?: CommentAttachments, ifMatch?: IfMatch): Promise<IComment> {
    const errors = new FieldErrors();
    const text = resolveRichText(
      { plain: input.comment, html: input.comment_HTML },
      { plainPath: '/body/comment', htmlPath: '/body/comment_HTML', max: COMMENT_MAX, errors },
    );
    if (text.plain.trim() === '' && !attached) {
      const onlyHtml = typeof input.comment_HTML === 'string' && input.comment_HTML.trim() !== '';
      errors.add(onlyHtml ? '/body/comment_HTML' : '/body/comment', onlyHtml ? 'has no text once sanitised' : 'a comment needs text: comment or comment_HTML');
    }
    errors.throwIfAny();
    return this.tx(async (tx) => {
      const { seq, ticket: before } = await this.loadForWrite(tx, instanceId, ref, ifMatch, NOTHING_INCLUDED);
      // The ticket row is locked (PostgreSQL) or writes are serial (SQLite): the count holds.
      if ((await repo.countComments(tx, instanceId, seq, COMMENTS_PER_TICKET)) >= COMMENTS_PER_TICKET) {
        throw new DomainError(
          'conflict',
          `ticket ${before.ticketId} has ${COMMENTS_PER_TICKET} comments, the most a ticket can have; open a follow-up ticket`,
          [{ path: '/body/comment', message: `at most ${COMMENTS_PER_TICKET} comments per ticket` }],
        );
      }
      const now = this.now();
      const actor = pickUser(user);
      const activity: CommentActivity = {
        id: uuidv7(),
        ticketId: before.ticketId,
        type: 'comment',
        comment: text.plain,
        commentHtml: text.html,
        isPrivate: input.isPrivate ?? false,
        user: actor,
        createdOn: now,
      };
      const after: StoredTicket = { ...before, lastInteraction: now };
      if (!after.firstResponseOn && !isSameUser(actor, before.requestor)) after.firstResponseOn = now;
      await this.save(tx, instanceId, seq, before, after, [activity], await this.settingsOf(tx, instanceId), now);
      return presentComment(activity, before, attached ? await attached.write(tx, { seq, ticket: before }, activity) : []);
    });
  }

  /**
   * A page of a ticket's activities in the order they were recorded (ASC: oldest first),
   * continuing after the page a continuationToken of the same ticket and order ended with.
   * itemCount is how many activities the ticket has in all, as for a ticket listing.
   */
  async activities(instanceId: string, ref: string, query: ActivityQuery, continuationToken: string | undefined): Promise<ActivityPage> {
    const db = this.deps.store.db;
    const { seq, ticket } = await this.load(db, instanceId, ref);
    const fingerprint = activitiesFingerprint(instanceId, ticket.id, query.descending);
    const start = continuationToken ? decodeCursor(this.deps.tokenSecret, fingerprint, continuationToken) : undefined;
    // The token holds the seq of the last activity of the page it ended.
    const afterSeq = start?.position[0];
    if (afterSeq !== undefined && typeof afterSeq !== 'number') throw new DomainError('invalid_request', 'continuationToken is not valid');
    const page = await repo.listActivities(db, instanceId, seq, {
      limit: query.limit,
      descending: query.descending,
      ...(afterSeq === undefined ? {} : { afterSeq }),
    });
    const itemCount = await repo.countActivities(db, instanceId, seq);
    const commentHtml = query.include.has('comment_HTML');
    return {
      // Attachments (contract §11) are filled in by the route, for the whole page in one query
      // (AttachmentsService.forActivities).
      items: page.activities.map((activity) => presentActivity(activity, ticket, { commentHtml })),
      continuationToken:
        page.hasMore && page.lastSeq !== undefined ? encodeCursor(this.deps.tokenSecret, fingerprint, { position: [page.lastSeq], inclusive: false }) : null,
      itemCount,
    };
  }

  /**
   * One page of tickets as the JSON of `{ items, continuationToken, itemCount }`: made by the
   * store where it can (SQLite, as UTF-8 bytes), else from rows (text).
   */
  async listJson(instanceId: string, query: ListQuery, continuationToken: string | undefined, include: Included = NOTHING_INCLUDED): Promise<string | Buffer> {
    try {
      return await this.listJsonPage(instanceId, query, continuationToken, include.has('description_HTML'));
    } catch (error) {
      throw budgetProblem(error, query.filters);
    }
  }

  private async listJsonPage(instanceId: string, query: ListQuery, continuationToken: string | undefined, descriptionHtml: boolean): Promise<string | Buffer> {
    const fingerprint = queryFingerprint(instanceId, query);
    const start = continuationToken ? decodeCursor(this.deps.tokenSecret, fingerprint, continuationToken) : undefined;
    const tail = (token: string | null, itemCount: number) => `],"continuationToken":${JSON.stringify(token)},"itemCount":${itemCount}}`;
    // The count (docs/decisions/014-exact-item-counts.md): from the count tables, beside the page;
    // counted on the tickets (a search), after it, unless the page holds every match already: two
    // such statements at once would share the cores and the searches' time budget.
    const cheap = countsFromTables(query.filters) ? countTickets(this.deps.store, instanceId, query.filters) : undefined;
    cheap?.catch(() => undefined); // awaited below; a page that fails first must not leave it unhandled
    const offset = start ? undefined : query.offset;
    const itemCount = (rows: number, more: boolean): Promise<number> =>
      !more && offset !== undefined && (rows > 0 || offset === 0)
        ? Promise.resolve(offset + rows)
        : (cheap ?? countTickets(this.deps.store, instanceId, query.filters));
    const pin = query.filters.search?.number;
    if (pin !== undefined) return this.listNumberFirst(instanceId, query, pin, start, fingerprint, descriptionHtml, itemCount);
    const storeOrder = await repo.inCreationOrder(this.deps.store, instanceId, query);
    query = await fitToBudget(this.deps.store, instanceId, query, start, storeOrder, descriptionHtml);
    // The store's own page JSON has no description_HTML: with it, the page is made from rows.
    if (!query.select && !descriptionHtml) {
      const page = await repo.listTicketsJson(this.deps.store, instanceId, query, start, storeOrder);
      if (page) {
        const token = page.next ? encodeCursor(this.deps.tokenSecret, fingerprint, { position: page.next, inclusive: true }) : null;
        return Buffer.concat([ITEMS_HEAD, page.items, Buffer.from(tail(token, await itemCount(page.itemCount, page.next !== undefined)))]);
      }
    }
    const page = await repo.listTickets(this.deps.store, instanceId, query, start, storeOrder);
    const last = page.positions[page.positions.length - 1];
    const items = page.rows.map((row) => listedJson(row, query.select, descriptionHtml));
    const token = page.hasMore && last ? encodeCursor(this.deps.tokenSecret, fingerprint, { position: last, inclusive: false }) : null;
    return `{"items":[${items.join(',')}${tail(token, await itemCount(items.length, page.hasMore))}`;
  }

  /**
   * A search by number (`12345` or `#12345`): the ticket of that number first, when it matches the
   * other filters, then the tickets the words match, in the order asked, without it. The number's
   * ticket stands before the first position of the listing: it is on the first page (no token,
   * offset 0) and counts as one for offsets; tokens are positions among the others, as ever, so a
   * walk sees each ticket once. The count is the search's count (the number's ticket or the words).
   */
  private async listNumberFirst(
    instanceId: string,
    query: ListQuery,
    pin: number,
    start: Cursor | undefined,
    fingerprint: string,
    descriptionHtml: boolean,
    itemCount: (rows: number, more: boolean) => Promise<number>,
  ): Promise<string> {
    const store = this.deps.store;
    const { search, ticketNo, ...rest } = query.filters;
    let pinned: WireRow | undefined;
    if (!start) {
      const only = { ...rest, ticketNo: ticketNo ? ticketNo.filter((n) => n === pin) : [pin] };
      [pinned] = (await repo.listTickets(store, instanceId, { ...query, filters: only, limit: 1, offset: 0 }, undefined, false)).rows;
    }
    const first = pinned !== undefined && query.offset === 0;
    const others: ListQuery = {
      ...query,
      filters: { ...rest, ...(ticketNo ? { ticketNo } : {}), search: { terms: search!.terms }, exceptTicketNo: pin },
      // A page of one holding the number's ticket still reads one more, for the token.
      limit: Math.max(1, first ? query.limit - 1 : query.limit),
      offset: pinned !== undefined && !first ? query.offset - 1 : query.offset,
    };
    const page = await repo.listTickets(store, instanceId, await fitToBudget(store, instanceId, others, start, false, descriptionHtml), start, false);
    const rows = first && query.limit === 1 ? [] : page.rows;
    const more = first && query.limit === 1 ? page.rows.length > 0 : page.hasMore;
    // After a page of the number's ticket alone, the next page starts at (includes) the first of the others.
    const next = rows.length === 0 ? page.positions[0] : page.positions[page.positions.length - 1];
    const token = more && next ? encodeCursor(this.deps.tokenSecret, fingerprint, { position: next, inclusive: rows.length === 0 }) : null;
    const items = [...(first ? [pinned!] : []), ...rows].map((row) => listedJson(row, query.select, descriptionHtml));
    return `{"items":[${items.join(',')}],"continuationToken":${JSON.stringify(token)},"itemCount":${await itemCount(items.length, more)}}`;
  }

  /** How many tickets match the filters, and with `groupBy` how many per value (GET /tickets/counts). */
  async counts(instanceId: string, filters: ListFilters, groupBy: CountGroup | undefined, timezone: number): Promise<TicketCounts> {
    try {
      return await countTicketGroups(this.deps.store, instanceId, filters, groupBy, timezone);
    } catch (error) {
      throw budgetProblem(error, filters);
    }
  }
}

const ITEMS_HEAD = Buffer.from('{"items":[');

/** A listed ticket's JSON: the whole ticket, or the `select`ed fields; with `descriptionHtml`, its description_HTML too. */
function listedJson(row: WireRow, select: ListQuery['select'], descriptionHtml: boolean): string {
  if (!select) return ticketJson(row, descriptionHtml);
  const ticket = wireRowToTicket(row);
  const fields = selectFields(present(ticket), select);
  return JSON.stringify(
    descriptionHtml ? { ...fields, description_HTML: htmlOf({ plain: ticket.description, html: ticket.descriptionHtml ?? null }) } : fields,
  );
}

/**
 * Searches, and counts made on the tickets, have a time budget (their cost is how many tickets
 * match): past it the client can narrow the query, so this is a 400 on the search (or on the
 * query), not a server failure. Other errors pass unchanged.
 */
function budgetProblem(error: unknown, filters: ListFilters): unknown {
  if (!(error instanceof StatementBudgetExceeded)) return error;
  const seconds = error.budgetMs / 1000;
  const [path, message] = filters.search
    ? ['/query/search', `this search matches too much to answer within ${seconds} s; add words, use longer words or add filters`]
    : ['/query', `these filters match too many tickets to count within ${seconds} s; add filters`];
  return new DomainError('validation_failed', `${path}: ${message}`, [{ path, message }]);
}

/**
 * The page's query with its limit lowered so that the page stays within LIST_PAGE_BYTES
 * (at least one ticket); the page then ends early and its continuationToken points at the first
 * ticket left out, as for any page. See LARGE_TICKET_BYTES in tickets.repo.ts for when this
 * costs a look at the page's sizes.
 */
async function fitToBudget(
  store: Store,
  instanceId: string,
  query: ListQuery,
  start: Cursor | undefined,
  storeOrder: boolean,
  descriptionHtml: boolean,
): Promise<ListQuery> {
  if (!(await repo.hasLargeTickets(store, instanceId))) return query;
  const sizes = await repo.listedSizes(store, instanceId, query, start, storeOrder, descriptionHtml);
  let bytes = repo.PAGE_ENVELOPE_BYTES;
  let fits = 0;
  for (const size of sizes.slice(0, query.limit)) {
    if (fits > 0 && bytes + size + 1 > LIST_PAGE_BYTES) break;
    bytes += size + 1; // and its comma
    fits++;
  }
  return fits < Math.min(query.limit, sizes.length) ? { ...query, limit: fits } : query;
}

/** How far behind the newest ticket the clock may be for a new ticket to take that ticket's createdOn (see creationTime). */
const CLOCK_STEP_MS = 1_000;

/**
 * Tickets are stored with canonical instants; they leave with user-given dates in short form,
 * and with their description's HTML when it is asked for (include=description_HTML).
 */
export function present(ticket: StoredTicket, include: Included = NOTHING_INCLUDED): ITicket {
  const { rtStartedOn: _internal, frtDueOn, rtDueOn, descriptionHtml, ...contract } = ticket;
  // SLA due dates appear only while something is due, so instances without an SLA policy
  // answer exactly the reference's ITicket.
  const wire = {
    ...contract,
    ticketNo: ticket.ticketId,
    trackingId: trackingIdOf(ticket),
    ...(include.has('description_HTML') ? { description_HTML: htmlOf({ plain: ticket.description, html: descriptionHtml ?? null }) } : {}),
    ...(frtDueOn ? { frtDueOn } : {}),
    ...(rtDueOn ? { rtDueOn } : {}),
  } as ITicket;
  return wire.expectedDate ? { ...wire, expectedDate: formatUserInstant(wire.expectedDate) } : wire;
}

const TRACKED_FIELDS = ['title', 'description', 'priority', 'requestor', 'assignee', 'expectedDate', 'tags'] as const;

/** One fieldChange activity per field whose value changed (custom fields: one per key). */
function fieldChanges(
  before: StoredTicket,
  after: StoredTicket,
  base: { instanceId: string; ticketId: number; user: IUser; createdOn: string },
): FieldChangeActivity[] {
  const changes: FieldChangeActivity[] = [];
  const add = (field: string, from: unknown, to: unknown) => {
    if (JSON.stringify(from ?? null) === JSON.stringify(to ?? null)) return;
    changes.push({
      id: uuidv7(),
      ticketId: base.ticketId,
      type: 'fieldChange',
      user: base.user,
      createdOn: base.createdOn,
      field,
      from: from ?? null,
      to: to ?? null,
    });
  };
  for (const field of TRACKED_FIELDS) {
    if (field === 'expectedDate') {
      const norm = (v: string | null) => (v ? formatUserInstant(v) : null);
      add(field, norm(before.expectedDate), norm(after.expectedDate));
    } else add(field, before[field], after[field]);
  }
  // Formatting changed, the words did not: the change is in the HTML alone.
  if (before.description === after.description) {
    add(
      'description_HTML',
      htmlOf({ plain: before.description, html: before.descriptionHtml ?? null }),
      htmlOf({ plain: after.description, html: after.descriptionHtml ?? null }),
    );
  }
  const keys = new Set([...Object.keys(before.customFields), ...Object.keys(after.customFields)]);
  for (const key of keys) add(`customFields.${key}`, before.customFields[key], after.customFields[key]);
  return changes;
}
