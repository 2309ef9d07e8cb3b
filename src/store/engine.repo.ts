import { sql } from 'kysely';
import type { StoreDialect } from './dialect.js';
import type { Tx } from './schema.js';

export interface Job {
  instanceId: string;
  ticketSeq: number;
  kind: string;
  runAt: string;
  attempts: number;
}

export async function listTicketJobs(db: Tx, instanceId: string, ticketSeq: number): Promise<Map<string, string>> {
  const rows = await db.selectFrom('jobs').select(['kind', 'run_at']).where('instance_id', '=', instanceId).where('ticket_seq', '=', ticketSeq).execute();
  return new Map(rows.map((r) => [r.kind, r.run_at]));
}

export async function upsertJob(db: Tx, instanceId: string, ticketSeq: number, kind: string, runAt: string): Promise<void> {
  await db
    .insertInto('jobs')
    .values({ instance_id: instanceId, ticket_seq: ticketSeq, kind, run_at: runAt, attempts: 0 })
    .onConflict((oc) => oc.columns(['instance_id', 'ticket_seq', 'kind']).doUpdateSet({ run_at: runAt, attempts: 0 }))
    .execute();
}

/** Creates a job unless it exists (its run time then stays as it is). */
export async function insertJobIfAbsent(db: Tx, instanceId: string, ticketSeq: number, kind: string, runAt: string): Promise<void> {
  await db
    .insertInto('jobs')
    .values({ instance_id: instanceId, ticket_seq: ticketSeq, kind, run_at: runAt, attempts: 0 })
    .onConflict((oc) => oc.doNothing())
    .execute();
}

export async function deleteJob(db: Tx, job: Pick<Job, 'instanceId' | 'ticketSeq' | 'kind'>): Promise<void> {
  await db.deleteFrom('jobs').where('instance_id', '=', job.instanceId).where('ticket_seq', '=', job.ticketSeq).where('kind', '=', job.kind).execute();
}

/** Pushes a failed job back, so one bad job does not spin the runner. */
export async function postponeJob(db: Tx, job: Job, runAt: string): Promise<void> {
  await db
    .updateTable('jobs')
    .set({ run_at: runAt, attempts: job.attempts + 1 })
    .where('instance_id', '=', job.instanceId)
    .where('ticket_seq', '=', job.ticketSeq)
    .where('kind', '=', job.kind)
    .execute();
}

/**
 * The oldest due job, locked for this transaction. On PostgreSQL `SKIP LOCKED` lets several
 * processes take different jobs at once; on SQLite the write transaction is exclusive anyway.
 */
export async function claimDueJob(db: Tx, dialect: StoreDialect, now: string): Promise<Job | undefined> {
  let query = db.selectFrom('jobs').selectAll().where('run_at', '<=', now).orderBy('run_at').limit(1);
  if (dialect.supportsRowLocks) query = query.forUpdate().skipLocked();
  const row = await query.executeTakeFirst();
  return row && { instanceId: row.instance_id, ticketSeq: row.ticket_seq, kind: row.kind, runAt: row.run_at, attempts: row.attempts };
}

/**
 * Takes the next turn of a rotation (round-robin assignment) and returns it: 0, 1, 2, …
 * The upsert locks the counter's row until commit, so concurrent processes never share a turn.
 */
export async function takeTurn(db: Tx, instanceId: string, key: string): Promise<number> {
  const row = await db
    .insertInto('assignment_cursors')
    .values({ instance_id: instanceId, rule_key: key, next_index: 1 })
    .onConflict((oc) => oc.columns(['instance_id', 'rule_key']).doUpdateSet({ next_index: sql`assignment_cursors.next_index + 1` }))
    .returning('next_index')
    .executeTakeFirstOrThrow();
  return row.next_index - 1;
}

/** Open tickets of an instance after a position, for rescheduling after a settings change. */
export async function openTicketSeqs(db: Tx, instanceId: string, afterSeq: number, limit: number): Promise<number[]> {
  const rows = await db
    .selectFrom('tickets')
    .select('seq')
    .where('instance_id', '=', instanceId)
    .where('status', 'not in', ['Resolved', 'Closed'])
    .where('seq', '>', afterSeq)
    .orderBy('seq')
    .limit(limit)
    .execute();
  return rows.map((r) => r.seq);
}
