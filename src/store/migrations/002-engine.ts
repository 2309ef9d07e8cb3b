/* Frozen: imports nothing from the live code (see 001-initial.ts). */
const SERIAL_KEY = {
  sqlite: { column: 'seq INTEGER PRIMARY KEY', constraint: '' },
  postgres: { column: 'seq BIGINT GENERATED ALWAYS AS IDENTITY', constraint: ', PRIMARY KEY (instance_id, seq)' },
} as const;
const BINARY_TEXT = { sqlite: 'TEXT', postgres: 'TEXT COLLATE "C"' } as const;

/** The help-desk engine: SLA due dates on tickets, the durable job queue, the alert outbox. */
export function engineSchema(dialect: 'sqlite' | 'postgres'): string[] {
  const text = BINARY_TEXT[dialect];
  const serialKey = SERIAL_KEY[dialect];
  return [
    `ALTER TABLE tickets ADD COLUMN frt_due_on ${text}`,
    `ALTER TABLE tickets ADD COLUMN rt_due_on ${text}`,
    // When the resolution clock (re)started: creation, then each reopening.
    `ALTER TABLE tickets ADD COLUMN rt_started_on ${text}`,
    `UPDATE tickets SET rt_started_on = created_on`,
    `CREATE INDEX tickets_by_frt_escalated ON tickets (instance_id, is_frt_escalated, ticket_number)`,
    `CREATE INDEX tickets_by_rt_escalated ON tickets (instance_id, is_rt_escalated, ticket_number)`,
    // One pending job per (ticket, kind); instance-wide jobs use ticket_seq 0. Handlers are
    // idempotent and each job is claimed, run and deleted in one transaction.
    `CREATE TABLE jobs (
       instance_id TEXT NOT NULL,
       ticket_seq BIGINT NOT NULL,
       kind TEXT NOT NULL,
       run_at ${text} NOT NULL,
       attempts INTEGER NOT NULL DEFAULT 0,
       PRIMARY KEY (instance_id, ticket_seq, kind))`,
    `CREATE INDEX jobs_by_run_at ON jobs (run_at)`,
    `CREATE TABLE events (
       ${serialKey.column},
       instance_id TEXT NOT NULL,
       id TEXT NOT NULL,
       type TEXT NOT NULL,
       ticket_id TEXT,
       ticket_number INTEGER,
       payload TEXT NOT NULL,
       created_on ${text} NOT NULL,
       delivered_on ${text}
       ${serialKey.constraint})`,
    `CREATE INDEX events_by_instance ON events (instance_id, seq)`,
    `CREATE TABLE assignment_cursors (
       instance_id TEXT NOT NULL,
       rule_key TEXT NOT NULL,
       next_index INTEGER NOT NULL,
       PRIMARY KEY (instance_id, rule_key))`,
  ];
}
