/*
 * Frozen: like every migration, this file imports nothing from the live code, so changing the
 * code can never change what a migration did. What differs by store is spelled out here.
 */

/** instance_id leads every key so a sharded PostgreSQL (Citus) can distribute by instance. */
const SERIAL_KEY = {
  sqlite: { column: 'seq INTEGER PRIMARY KEY', constraint: '' },
  postgres: { column: 'seq BIGINT GENERATED ALWAYS AS IDENTITY', constraint: ', PRIMARY KEY (instance_id, seq)' },
} as const;

/** Text compared byte by byte: ISO dates and ids sort as their bytes on both stores. */
const BINARY_TEXT = { sqlite: 'TEXT', postgres: 'TEXT COLLATE "C"' } as const;

/** Words are letters and digits on both stores (SQLite's unicode61 tokenizer does the same). */
const searchable = (column: string) => `to_tsvector('simple'::regconfig, regexp_replace(coalesce(${column}, ''), '[^[:alnum:]]+', ' ', 'g'))`;

/** The first full-text indexes: replaced by migration 004, then 007. */
const FULL_TEXT = {
  sqlite: [
    `CREATE VIRTUAL TABLE tickets_fts USING fts5(title, description, content='tickets', content_rowid='seq', tokenize="unicode61 remove_diacritics 0")`,
    `CREATE TRIGGER tickets_fts_insert AFTER INSERT ON tickets BEGIN
       INSERT INTO tickets_fts(rowid, title, description) VALUES (new.seq, new.title, new.description);
     END`,
    `CREATE TRIGGER tickets_fts_delete AFTER DELETE ON tickets BEGIN
       INSERT INTO tickets_fts(tickets_fts, rowid, title, description) VALUES ('delete', old.seq, old.title, old.description);
     END`,
    `CREATE TRIGGER tickets_fts_update AFTER UPDATE OF title, description ON tickets BEGIN
       INSERT INTO tickets_fts(tickets_fts, rowid, title, description) VALUES ('delete', old.seq, old.title, old.description);
       INSERT INTO tickets_fts(rowid, title, description) VALUES (new.seq, new.title, new.description);
     END`,
    `CREATE VIRTUAL TABLE activities_fts USING fts5(comment, content='activities', content_rowid='seq', tokenize="unicode61 remove_diacritics 0")`,
    `CREATE TRIGGER activities_fts_insert AFTER INSERT ON activities WHEN new.comment IS NOT NULL BEGIN
       INSERT INTO activities_fts(rowid, comment) VALUES (new.seq, new.comment);
     END`,
  ],
  postgres: [
    `ALTER TABLE tickets ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (${searchable("title || ' ' || description")}) STORED`,
    `CREATE INDEX tickets_search_idx ON tickets USING GIN (search_vector)`,
    `ALTER TABLE activities ADD COLUMN comment_vector tsvector GENERATED ALWAYS AS (${searchable('comment')}) STORED`,
    `CREATE INDEX activities_search_idx ON activities USING GIN (comment_vector)`,
  ],
} as const;

/** The initial schema. Every table of tenant data leads with instance_id (tenancy, sharding). */
export function initialSchema(dialect: 'sqlite' | 'postgres'): string[] {
  const text = BINARY_TEXT[dialect];
  const serialKey = SERIAL_KEY[dialect];
  const orderIndex = (name: string, column: string) => `CREATE INDEX tickets_by_${name} ON tickets (instance_id, ${column}, ticket_number)`;
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
       ${serialKey.column},
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
       ${serialKey.constraint})`,
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
       ${serialKey.column},
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
       ${serialKey.constraint})`,
    `CREATE INDEX activities_by_ticket ON activities (instance_id, ticket_seq, seq)`,
    ...FULL_TEXT[dialect],
  ];
}
