import { sql } from 'kysely';
import type { Db, Tx } from '../schema.js';

/** Transactions queued within one turn of the event loop commit together, up to this many. */
const MAX_GROUP = 64;

/**
 * Group commit. Writes in SQLite are serial anyway (one writer), and most of a small write's
 * cost is its COMMIT: writing every page it dirtied to the WAL (at a million tickets, 0.6 ms of
 * a 1.7 ms create). So the transactions that arrive in the same turn of the event loop run one
 * after the other inside ONE SQLite transaction, each in a SAVEPOINT of its own, and commit
 * together: pages they share (index leaves, the instance row, full-text segments) are written
 * once. Each keeps its own outcome: one that fails is rolled back to its savepoint and rejected
 * alone, and a result is only handed back after the COMMIT that made it durable, so
 * "acknowledged means committed" holds as before (docs/decisions/009-group-commit.md).
 *
 * Kysely's SQLite driver holds its one connection behind a mutex: inside `connection()` no other
 * query of this process interleaves, and BEGIN IMMEDIATE takes the write lock up front so a
 * second process (the CLI) waits on busy_timeout instead of failing mid-transaction.
 */
export class GroupCommitter {
  private queue: { fn: (tx: Tx) => Promise<unknown>; resolve: (value: unknown) => void; reject: (error: unknown) => void }[] = [];
  private scheduled = false;
  /** Called once the writer's checkpoint has run (not busy), so that the worker's go on. */
  private checkpointWanted: (() => void) | undefined;

  /**
   * The writer runs a PASSIVE checkpoint before its next group, and before the ones after it
   * while that finds another checkpoint running (sqlite-checkpointer.ts).
   */
  checkpointBeforeNextGroup(done: () => void): void {
    this.checkpointWanted = done;
  }

  constructor(private readonly db: Db) {}

  run<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ fn, resolve: resolve as (value: unknown) => void, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        // After the I/O callbacks of this turn: requests that arrived together join one group.
        setImmediate(() => void this.drain());
      }
    });
  }

  private async drain(): Promise<void> {
    const group = this.queue.splice(0, MAX_GROUP);
    try {
      await this.db.connection().execute((conn) => this.commitGroup(conn, group));
    } catch (error) {
      // The group failed as a whole (BEGIN, COMMIT or a savepoint statement): nothing of it
      // is durable, so every transaction in it fails (one already settled stays as it was).
      for (const job of group) job.reject(error);
    }
    // One group per turn of the event loop: what queued meanwhile waits for the I/O of this
    // turn (more requests join it, and the checkpoint worker's messages get through) rather
    // than starting at once.
    if (this.queue.length > 0) setImmediate(() => void this.drain());
    else this.scheduled = false;
  }

  private async commitGroup(conn: Tx, group: GroupCommitter['queue']): Promise<void> {
    if (this.checkpointWanted) {
      // [busy, frames in the WAL, frames copied]. One that reached the end lets the BEGIN below
      // start the WAL over. One that found a checkpoint running (busy) is tried again before the
      // next group; one held back by a reader on an older snapshot is not (it would be again,
      // until the reader ends): the worker checkpoints again, and asks again.
      const { rows } = await sql<{ busy: number; log: number; checkpointed: number }>`PRAGMA wal_checkpoint(PASSIVE)`.execute(conn);
      if (rows[0]?.busy === 0) {
        const done = this.checkpointWanted;
        this.checkpointWanted = undefined;
        done();
      }
    }
    await sql`BEGIN IMMEDIATE`.execute(conn);
    const done: (() => void)[] = [];
    try {
      for (const job of group) {
        await sql`SAVEPOINT one_transaction`.execute(conn);
        let value: unknown;
        try {
          value = await job.fn(conn);
        } catch (error) {
          // Nothing of it will be committed, so it fails at once, with its own error; the others
          // go on. (If SQLite already rolled back the whole transaction — disk full, I/O error —
          // ROLLBACK TO throws and the group fails as a whole.)
          job.reject(error);
          await sql`ROLLBACK TO one_transaction`.execute(conn);
          await sql`RELEASE one_transaction`.execute(conn);
          continue;
        }
        await sql`RELEASE one_transaction`.execute(conn);
        done.push(() => job.resolve(value));
      }
      await sql`COMMIT`.execute(conn);
    } catch (error) {
      await sql`ROLLBACK`.execute(conn).catch(() => undefined);
      throw error;
    }
    for (const resolve of done) resolve();
  }
}
