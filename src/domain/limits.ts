/*
 * Every size limit of the API, in one place. The request schemas (src/http/*.schema.ts,
 * schemas.ts) use them as maxLength / maxItems, so they appear in the OpenAPI document and
 * are refused with 400 validation_failed before any work; the domain checks use them where
 * a limit depends on stored state (a tag category filling up, a ticket's comments, the
 * merged custom-field values of a ticket). Lengths count characters (Unicode code points),
 * as JSON Schema's maxLength does.
 *
 * Why limits at all: instances share one store and one process. Without them one tenant's
 * 5,000-character name fails a PostgreSQL btree insert (an index entry must fit in 2,704
 * bytes, so a 500 instead of a 400), 1 MB custom-field texts make a page of 1,000 tickets
 * hundreds of MB, and tag texts added implicitly by ticket writes grow a tag category (read
 * by every ticket write with tags) without end.
 */

/**
 * A person's id (requestor, assignee, acting user, people-picker values, people in settings).
 * Indexed (tickets_by_requestor, tickets_by_assignee): 200 characters are at most 800 bytes,
 * far below PostgreSQL's 2,704-byte btree entry.
 */
/** Tickets one POST /tickets/bulk changes at most (docs/api.md §15); the web app's bulk bar keeps to it too. */
export const BULK_MAX_TICKETS = 1000;

export const USER_ID_MAX = 200;
/** A person's display name; the sort columns of requestor and assignee names are indexed. */
export const USER_NAME_MAX = 200;
/** An e-mail address: 254 is the longest address SMTP can carry (RFC 5321 path of 256, minus <>). */
export const EMAIL_MAX = 254;

/**
 * Ticket title. title_sort (lowercased title) is indexed with the instance id and number:
 * 500 characters of up to 4 UTF-8 bytes stay under PostgreSQL's 2,704-byte btree entry.
 * The longest subject lines of mail clients and help desks are far shorter.
 */
export const TITLE_MAX = 500;
/**
 * Ticket description, and the text of a comment or a status change's (resolution) comment:
 * 100,000 characters is about 40 printed pages, several times the longest e-mail a desk
 * receives; even at 4 bytes per character and JSON escaping it fits the 1 MiB request body
 * (BODY_LIMIT_BYTES) with room for the rest of the request.
 */
export const DESCRIPTION_MAX = 100_000;
export const COMMENT_MAX = 100_000;
/**
 * Comments (and private notes) per ticket, as Zendesk caps a ticket at 5,000 comments. The
 * next one is refused with 409 conflict: the request is valid, the ticket is full; open a
 * follow-up ticket.
 */
export const COMMENTS_PER_TICKET = 5_000;

/** A tag's text (on a ticket or in a category). ticket_tags.tag_key holds it and is indexed. */
export const TAG_TEXT_MAX = 200;
/** Tags on one ticket. */
export const TAGS_PER_TICKET = 100;
/**
 * Tags in one category, deleted ones included. A category is one stored document that every
 * ticket write with tags reads; a ticket write that would add a new text to a full category
 * is refused (400), like a PUT /tags/{id} with more.
 */
export const TAGS_PER_CATEGORY = 1_000;
/** Tag categories per instance, deleted ones included. */
export const TAG_CATEGORIES_PER_INSTANCE = 100;

/** Ids chosen by clients: custom fields, their options, tag categories (letters, digits, dashes). */
export const ID_MAX = 64;
/** Names of custom fields, options, tag categories, rules and instances. */
export const LABEL_MAX = 200;
/** Custom fields per instance, deleted ones included (also the longest layout list). */
export const CUSTOM_FIELDS_PER_INSTANCE = 200;
/** Options of one list field, deleted ones included. */
export const OPTIONS_PER_FIELD = 500;
/** The value of a textField custom field (one line). */
export const TEXT_FIELD_MAX = 10_000;
/** The value of a textArea custom field. */
export const TEXT_AREA_MAX = 100_000;
/** People in one peoplePicker value. */
export const PEOPLE_PER_VALUE = 100;
/**
 * All custom-field values of one ticket together, as stored JSON (characters). Values merge
 * key by key on update, so without this a ticket could collect a full textArea in every field
 * (200 × 100,000) over many small requests.
 */
export const CUSTOM_FIELD_VALUES_MAX = 300_000;

/** People in one list of the settings: assignees.peoples, a rule's assignees, breachAssignees, idleTicketAssignedTo. */
export const PEOPLE_PER_LIST = 500;
/** Rules in assigneeRules (and in defaultRuleAssignee). */
export const ASSIGNEE_RULES_MAX = 200;
/** Values in one condition of a rule (priorities, tags, requestors, title words, custom-field values). */
export const RULE_CONDITION_VALUES_MAX = 100;
/** Holidays of an SLA policy (about 50 years of public holidays). */
export const HOLIDAYS_MAX = 1_000;
/** Free-text settings: groupId, tenantId, teamId, channelId, subscriptionId, time zone names. */
export const SETTING_TEXT_MAX = 200;

/**
 * A page of GET /tickets stops before its JSON would pass this many bytes, even below `limit`,
 * and its continuationToken continues with the first ticket left out (a page always holds at
 * least one ticket). 1,000 tickets of ordinary size are about 1.5 MB; 1,000 tickets at the
 * limits above would be about 500 MB without it.
 */
export const LIST_PAGE_BYTES = 8 * 1024 * 1024;
/** The largest `limit` of GET /tickets. */
export const LIST_LIMIT_MAX = 1_000;
/**
 * The largest `limit` of GET /tickets/{ticketId}/activities, and the page without one: the
 * reference answers a ticket's activities all at once, and a ticket has at most
 * COMMENTS_PER_TICKET comments, so a page of this many is most tickets' whole history.
 */
export const ACTIVITY_LIMIT_MAX = 1_000;

/** Whether `text` has more than `max` characters (code points, as maxLength counts them). */
export function isLongerThan(text: string, max: number): boolean {
  if (text.length <= max) return false;
  let surrogates = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit >= 0xdc00 && unit <= 0xdfff) surrogates++;
  }
  return text.length - surrogates > max;
}
