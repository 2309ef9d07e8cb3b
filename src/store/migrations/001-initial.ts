import { sql } from 'kysely';
import type { StoreDialect } from '../dialect.js';
import type { Db } from '../schema.js';

/** The initial schema. Every table of tenant data leads with instance_id (tenancy, sharding). */
export function initialSchema(dialect: StoreDialect): string[] {
  const text = dialect.binaryText;
  const orderIndex = (name: string, column: string) =>
    `CREATE INDEX tickets_by_${name} ON tickets (instance_id, ${column}, ticket_number)`;
  return [
    `CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)`,
    `CREATE TABLE instances (
       id TEXT PRIMARY KEY,
       name TEXT NOT NULL,
       settings TEXT NOT NULL,
       last_ticket_number INTEGER NOT NULL DEFAULT 0,
       created_on TEXT NOT NULL,
       updated_on TEXT NOT NULL)`,
    `CREATE TABLE instance_keys (
       key_hash TEXT PRIMARY KEY,
       instance_id TEXT NOT NULL REFERENCES instances (id),
       which TEXT NOT NULL,
       created_on TEXT NOT NULL)`,
    `CREATE UNIQUE INDEX instance_keys_by_instance ON instance_keys (instance_id, which)`,
    `CREATE TABLE custom_fields (
       instance_id TEXT NOT NULL REFERENCES instances (id),
       id TEXT NOT NULL,
       name TEXT NOT NULL,
       type TEXT NOT NULL,
       required INTEGER NOT NULL DEFAULT 0,
       options TEXT NOT NULL DEFAULT '[]',
       deleted INTEGER NOT NULL DEFAULT 0,
       position INTEGER NOT NULL,
       created_on TEXT NOT NULL,
       PRIMARY KEY (instance_id, id))`,
    `CREATE TABLE tag_categories (
       instance_id TEXT NOT NULL REFERENCES instances (id),
       id TEXT NOT NULL,
       text TEXT NOT NULL,
       color TEXT NOT NULL,
       tags TEXT NOT NULL DEFAULT '[]',
       deleted INTEGER NOT NULL DEFAULT 0,
       position INTEGER NOT NULL,
       created_on TEXT NOT NULL,
       PRIMARY KEY (instance_id, id))`,
    `CREATE TABLE tickets (
       ${dialect.serialKey.column},
       instance_id TEXT NOT NULL REFERENCES instances (id),
       id TEXT NOT NULL,
       ticket_number INTEGER NOT NULL,
       title TEXT NOT NULL,
       description TEXT NOT NULL,
       status TEXT NOT NULL,
       status_rank INTEGER NOT NULL,
       priority TEXT NOT NULL,
       priority_rank INTEGER NOT NULL,
       requestor_id TEXT NOT NULL,
       requestor_name TEXT NOT NULL,
       requestor_email TEXT NOT NULL,
       assignee_id TEXT,
       assignee_name TEXT,
       assignee_email TEXT,
       custom_fields TEXT NOT NULL,
       tags TEXT NOT NULL,
       expected_date ${text},
       resolution TEXT,
       last_resolution_comment TEXT,
       first_response_on ${text},
       first_resolution_on ${text},
       last_resolution_on ${text},
       created_on ${text} NOT NULL,
       last_updated_on ${text} NOT NULL,
       last_interaction ${text} NOT NULL,
       is_frt_escalated INTEGER NOT NULL DEFAULT 0,
       is_rt_escalated INTEGER NOT NULL DEFAULT 0,
       created_by TEXT NOT NULL,
       last_updated_by TEXT NOT NULL,
       title_sort ${text} NOT NULL,
       requestor_name_sort ${text} NOT NULL,
       requestor_email_sort ${text} NOT NULL,
       assignee_name_sort ${text} NOT NULL,
       assignee_email_sort ${text} NOT NULL,
       expected_date_sort ${text} NOT NULL
       ${dialect.serialKey.constraint})`,
    `CREATE UNIQUE INDEX tickets_by_id ON tickets (instance_id, id)`,
    `CREATE UNIQUE INDEX tickets_by_number ON tickets (instance_id, ticket_number)`,
    orderIndex('status', 'status_rank'),
    orderIndex('priority', 'priority_rank'),
    orderIndex('title', 'title_sort'),
    orderIndex('requestor_name', 'requestor_name_sort'),
    orderIndex('requestor_email', 'requestor_email_sort'),
    orderIndex('assignee_name', 'assignee_name_sort'),
    orderIndex('assignee_email', 'assignee_email_sort'),
    orderIndex('expected_date', 'expected_date_sort'),
    orderIndex('created', 'created_on'),
    orderIndex('last_interaction', 'last_interaction'),
    orderIndex('last_updated', 'last_updated_on'),
    `CREATE INDEX tickets_by_requestor ON tickets (instance_id, requestor_id)`,
    `CREATE INDEX tickets_by_assignee ON tickets (instance_id, assignee_id)`,
    `CREATE TABLE ticket_tags (
       instance_id TEXT NOT NULL,
       ticket_seq BIGINT NOT NULL,
       tag_key TEXT NOT NULL,
       PRIMARY KEY (instance_id, ticket_seq, tag_key))`,
    `CREATE INDEX ticket_tags_by_tag ON ticket_tags (instance_id, tag_key, ticket_seq)`,
    `CREATE TABLE activities (
       ${dialect.serialKey.column},
       instance_id TEXT NOT NULL REFERENCES instances (id),
       id TEXT NOT NULL,
       ticket_seq BIGINT NOT NULL,
       ticket_number INTEGER NOT NULL,
       type TEXT NOT NULL,
       "user" TEXT NOT NULL,
       created_on TEXT NOT NULL,
       comment TEXT,
       is_private INTEGER NOT NULL DEFAULT 0,
       data TEXT
       ${dialect.serialKey.constraint})`,
    `CREATE INDEX activities_by_ticket ON activities (instance_id, ticket_seq, seq)`,
    ...dialect.fullTextDdl,
  ];
}

export async function runStatements(db: Db, statements: readonly string[]): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}
