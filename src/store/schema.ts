import type { Generated, Kysely, Transaction } from 'kysely';

/*
 * One Database type for both dialects. Column types are deliberately portable (see
 * docs/decisions/002-portable-column-types.md): timestamps are fixed-width ISO-8601 UTC text,
 * booleans are 0/1 integers and JSON is text, so that comparisons, keyset cursors and sorting
 * behave byte-for-byte the same on SQLite and PostgreSQL.
 */

export interface MetaTable {
  key: string;
  value: string;
}

export interface InstancesTable {
  id: string;
  name: string;
  /** JSON of InstanceSettings (everything of IInstance that is not a custom field or key). */
  settings: string;
  last_ticket_number: number;
  created_on: string;
  updated_on: string;
}

export interface InstanceKeysTable {
  /** SHA-256 of the key, hex. The key itself is never stored. */
  key_hash: string;
  instance_id: string;
  which: 'primary' | 'secondary';
  created_on: string;
}

export interface CustomFieldsTable {
  instance_id: string;
  id: string;
  name: string;
  type: string;
  required: number;
  /** JSON array of { id, text, deleted }. */
  options: string;
  deleted: number;
  position: number;
  created_on: string;
}

export interface TagCategoriesTable {
  instance_id: string;
  id: string;
  text: string;
  color: string;
  /** JSON array of { text, deleted }. */
  tags: string;
  deleted: number;
  position: number;
  created_on: string;
}

export interface TicketsTable {
  seq: Generated<number>;
  instance_id: string;
  id: string;
  ticket_number: number;
  title: string;
  description: string;
  status: string;
  status_rank: number;
  priority: string;
  priority_rank: number;
  requestor_id: string;
  requestor_name: string;
  requestor_email: string;
  assignee_id: string | null;
  assignee_name: string | null;
  assignee_email: string | null;
  custom_fields: string;
  tags: string;
  expected_date: string | null;
  resolution: string | null;
  last_resolution_comment: string | null;
  first_response_on: string | null;
  first_resolution_on: string | null;
  last_resolution_on: string | null;
  created_on: string;
  last_updated_on: string;
  last_interaction: string;
  is_frt_escalated: number;
  is_rt_escalated: number;
  created_by: string;
  last_updated_by: string;
  /*
   * Sort keys for orderBy on text and optional values: '1' + lowercased value, or '2' when
   * empty. One non-null column per order keeps keyset comparisons a plain row-value
   * comparison and puts empty values last in ASC and first in DESC on both dialects.
   */
  title_sort: string;
  requestor_name_sort: string;
  requestor_email_sort: string;
  assignee_name_sort: string;
  assignee_email_sort: string;
  expected_date_sort: string;
  frt_due_on: string | null;
  rt_due_on: string | null;
  rt_started_on: string | null;
  /** The description's sanitised HTML; NULL: made from `description` when asked for (migration 011). */
  description_html: string | null;
  /** Where the ticket was created: api, web or email (migration 010). */
  origin: string;
  /** An SLA target was missed (migration 010); the escalation flags say whether the engine escalated. */
  is_frt_breached: number;
  is_rt_breached: number;
  /** Raised by every write of the row (migration 016): the ticket's ETag is made from it. */
  version: Generated<number>;
}

/**
 * Exact ticket counts per instance (migration 010), kept by triggers on tickets: how many tickets
 * have each combination of the key columns. On PostgreSQL a combination is split over several
 * stripes (rows), to be added up; `n` of one row may be negative, the sum never is.
 */
export interface TicketCountsTable {
  instance_id: string;
  status_rank: number;
  priority_rank: number;
  origin: string;
  is_frt_escalated: number;
  is_rt_escalated: number;
  is_frt_breached: number;
  is_rt_breached: number;
  stripe: number;
  n: number;
}

/** The same per assignee (assigned tickets only; without origin). */
export interface TicketAssigneeCountsTable extends Omit<TicketCountsTable, 'origin'> {
  assignee_id: string;
  assignee_email_sort: string;
}

export interface JobsTable {
  instance_id: string;
  ticket_seq: number;
  kind: string;
  run_at: string;
  attempts: number;
}

export interface EventsTable {
  seq: Generated<number>;
  instance_id: string;
  id: string;
  type: string;
  ticket_id: string | null;
  ticket_number: number | null;
  payload: string;
  created_on: string;
  delivered_on: string | null;
  /**
   * The writing transaction (PostgreSQL: its id, set by the column's default; SQLite: 0, writes
   * being serial). The feed is read in (tx_id, seq) order up to the oldest running transaction
   * (migration 013, docs/decisions/017-webhooks.md).
   */
  tx_id: Generated<number>;
}

/** An instance's webhook subscription (migration 013). */
export interface WebhooksTable {
  instance_id: string;
  id: string;
  url: string;
  /** JSON array of event types, or ["*"]. */
  events: string;
  format: string;
  include_private: number;
  enabled: number;
  description: string | null;
  /** `whsec_…`: kept to sign deliveries with; shown once, when made. */
  secret: string;
  created_on: string;
  updated_on: string;
  /** Why it was disabled by the server (failing for 3 days), or null. */
  disabled_reason: string | null;
  /** The first failure since the last success, or null while healthy. */
  failing_since: string | null;
  consecutive_failures: number;
  /** Deliveries wait until then after repeated failures (the endpoint is given a rest). */
  blocked_until: string | null;
  /**
   * The feed position up to which every event it subscribes to has a delivery row (migration
   * 019): the sweep's; null until set. BIGINT: a string from PostgreSQL.
   */
  swept_tx_id: number | string | null;
  swept_seq: number | string | null;
}

/** One event to one webhook, with its attempts (migration 013). */
export interface WebhookDeliveriesTable {
  instance_id: string;
  webhook_id: string;
  /** The event's id: the `webhook-id` header, the same on every attempt. */
  event_id: string;
  event_type: string;
  /** The event's data when it is not in the feed (test deliveries); else null. */
  payload: string | null;
  status: string;
  attempts: number;
  /** JSON array of the attempts: { attempt, createdOn, durationMs, statusCode, error, response }. */
  attempt_log: string;
  /** When it is next due (or a claim's lease ends); null once delivered or given up. */
  next_attempt_at: string | null;
  retry_until: string;
  created_on: string;
  finished_on: string | null;
}

export interface AssignmentCursorsTable {
  instance_id: string;
  rule_key: string;
  next_index: number;
}

export interface TicketTagsTable {
  instance_id: string;
  ticket_seq: number;
  /** tagCategoryId + '_' + lowercased text, the same form the `tags` filter uses. */
  tag_key: string;
}

export interface ActivitiesTable {
  seq: Generated<number>;
  instance_id: string;
  id: string;
  ticket_seq: number;
  ticket_number: number;
  type: string;
  user: string;
  created_on: string;
  comment: string | null;
  is_private: number;
  /** JSON with the type-specific fields (from, to, resolution, field). */
  data: string | null;
  /** The comment's sanitised HTML; NULL: made from `comment` when asked for (migration 011). */
  comment_html: string | null;
}

/** A person of an instance (migration 015). */
export interface PeopleTable {
  instance_id: string;
  id: string;
  name: string;
  email: string;
  /** The e-mail lower-cased: unique per instance. */
  email_key: string;
  role: string;
  disabled: number;
  /** argon2id PHC string; null until the person sets a password (or signs in only with OIDC). */
  password_hash: string | null;
  /** `issuer subject` of their OpenID Connect account. */
  oidc_subject: string | null;
  created_on: string;
  updated_on: string;
  last_sign_in_on: string | null;
}

/** An invitation or password-reset link: single use, expiring; only the token's SHA-256 is kept. */
export interface SignInLinksTable {
  token_hash: string;
  instance_id: string;
  person_id: string;
  purpose: string;
  created_on: string;
  expires_on: string;
}

/** A personal access token; only its SHA-256 is kept. */
export interface PersonTokensTable {
  token_hash: string;
  instance_id: string;
  id: string;
  person_id: string;
  name: string;
  access: string;
  created_on: string;
  expires_on: string | null;
}

/** A web app session of a person (migration 015); the cookie holds the id, the store only its SHA-256. */
export interface SessionsTable {
  id_hash: string;
  instance_id: string;
  /** A public id, for the admins' list of sessions. */
  id: string;
  person_id: string;
  /** How the person signed in: password, oidc or link (an invitation or reset link). */
  method: string;
  address: string | null;
  user_agent: string | null;
  created_on: string;
  /** Moved forward at most once a minute; the idle timeout counts from it. */
  last_seen_on: string;
  /** The absolute end, from sign-in. */
  expires_on: string;
}

/** An OpenID Connect sign-in between the redirect to the provider and its answer. */
export interface OidcFlowsTable {
  id_hash: string;
  instance_id: string;
  state: string;
  nonce: string;
  code_verifier: string;
  return_to: string;
  created_on: string;
  expires_on: string;
}

/** The bytes of one file content of an instance, in storage (migration 014). */
export interface AttachmentBlobsTable {
  instance_id: string;
  sha256: string;
  storage_key: string;
  size: number;
  /** Attachments pointing at it; the sweep deletes blobs at 0 that no upload holds. */
  ref_count: number;
  /** An upload in flight holds the blob until then. */
  pinned_until: string | null;
  created_on: string;
}

/** Storage objects to delete: their rows are gone (the sweep's queue, so a crash loses none). */
export interface AttachmentBlobDeletionsTable {
  instance_id: string;
  storage_key: string;
  queued_on: string;
}

export interface AttachmentUsageTable {
  instance_id: string;
  used_bytes: number;
}

export interface AttachmentsTable {
  seq: Generated<number>;
  instance_id: string;
  id: string;
  ticket_seq: number;
  ticket_id: string;
  ticket_number: number;
  activity_id: string;
  filename: string;
  caption: string | null;
  /** The URL of a hyperlink; null for a file. */
  link: string | null;
  sha256: string | null;
  size: number | null;
  content_type: string | null;
  storage_key: string | null;
  is_image: number;
  is_archive: number;
  is_private: number;
  created_on: string;
  /** JSON of the user who added it. */
  created_by: string;
}

/** Saved ticket listings, shared (owner_id '') or a person's own (migration 018). */
export interface SavedViewsTable {
  instance_id: string;
  id: string;
  owner_id: string;
  name: string;
  /** JSON object: the GET /tickets parameters. */
  query: string;
  /** JSON of the user who made it. */
  created_by: string;
  created_on: string;
  updated_on: string;
}

/** An instance's reply templates (migration 017). */
export interface CannedResponsesTable {
  instance_id: string;
  id: string;
  title: string;
  body: string;
  /** Sanitised HTML; null when made from the plain body. */
  body_html: string | null;
  shared: number;
  /** JSON of the user who wrote it. */
  created_by: string;
  created_on: string;
  updated_on: string;
}

export interface Database {
  meta: MetaTable;
  instances: InstancesTable;
  instance_keys: InstanceKeysTable;
  custom_fields: CustomFieldsTable;
  tag_categories: TagCategoriesTable;
  tickets: TicketsTable;
  ticket_counts: TicketCountsTable;
  ticket_assignee_counts: TicketAssigneeCountsTable;
  ticket_tags: TicketTagsTable;
  activities: ActivitiesTable;
  jobs: JobsTable;
  events: EventsTable;
  assignment_cursors: AssignmentCursorsTable;
  sessions: SessionsTable;
  attachment_blobs: AttachmentBlobsTable;
  attachment_blob_deletions: AttachmentBlobDeletionsTable;
  attachment_usage: AttachmentUsageTable;
  attachments: AttachmentsTable;
  webhooks: WebhooksTable;
  webhook_deliveries: WebhookDeliveriesTable;
  people: PeopleTable;
  sign_in_links: SignInLinksTable;
  person_tokens: PersonTokensTable;
  oidc_flows: OidcFlowsTable;
  canned_responses: CannedResponsesTable;
  saved_views: SavedViewsTable;
}

export type Db = Kysely<Database>;
export type Tx = Kysely<Database> | Transaction<Database>;
