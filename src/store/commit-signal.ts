import type { Db, Tx } from './schema.js';

/*
 * Telling live streams (services/live.service.ts) that events were committed. insertEvent notes
 * the instance on its transaction; the dialect's transaction(), once the transaction ends,
 * announces it: SQLite (one process) to this process's listeners after COMMIT; PostgreSQL with
 * one NOTIFY inside the transaction, which the server delivers at COMMIT (and drops on
 * ROLLBACK) to every process that LISTENs. docs/decisions/022-live-event-stream.md.
 */

/** The one channel of PostgreSQL's LISTEN/NOTIFY the server uses. */
export const LIVE_CHANNEL = 'ticketing_live';

const written = new WeakMap<Tx, Set<string>>();

/** Notes that `tx` wrote an event of the instance (events.repo insertEvent). */
export function noteEventWritten(tx: Tx, instanceId: string): void {
  let instances = written.get(tx);
  if (!instances) written.set(tx, (instances = new Set()));
  instances.add(instanceId);
}

/**
 * The instances whose events `tx` wrote since last asked, forgotten as they are answered (SQLite
 * hands the same connection to every transaction of a group, one after the other).
 */
export function takeEventsWritten(tx: Tx): string[] {
  const instances = written.get(tx);
  if (!instances || instances.size === 0) return [];
  written.delete(tx);
  return [...instances];
}

type CommitListener = (instanceIds: readonly string[]) => void;
const listeners = new WeakMap<Db, Set<CommitListener>>();

/** Listens (in this process) for committed events of the store `db`; answers the way to stop. */
export function onEventsCommitted(db: Db, listener: CommitListener): () => void {
  let set = listeners.get(db);
  if (!set) listeners.set(db, (set = new Set()));
  set.add(listener);
  return () => set.delete(listener);
}

/** Whether anyone in this process listens: when nobody does, a commit costs this lookup alone. */
export const hasCommitListeners = (db: Db): boolean => (listeners.get(db)?.size ?? 0) > 0;

/** Tells this process's listeners that events of these instances were committed. */
export function eventsCommitted(db: Db, instanceIds: readonly string[]): void {
  if (instanceIds.length === 0) return;
  for (const listener of listeners.get(db) ?? []) {
    try {
      listener(instanceIds);
    } catch {
      // A listener's failure is its own: the write it follows has committed.
    }
  }
}

const afterCommitCallbacks = new WeakMap<Tx, (() => void)[]>();

/**
 * Runs `fn` in this process once the transaction `tx` has committed; never if it rolls back.
 * The dialect's transaction() takes the callbacks when the transaction's work is done and runs
 * them after COMMIT (webhook deliveries handed to this process's worker, events.service.ts).
 */
export function afterCommit(tx: Tx, fn: () => void): void {
  let callbacks = afterCommitCallbacks.get(tx);
  if (!callbacks) afterCommitCallbacks.set(tx, (callbacks = []));
  callbacks.push(fn);
}

/** The callbacks registered on `tx` since last asked (SQLite hands one connection to a group's transactions in turn). */
export function takeAfterCommit(tx: Tx): (() => void)[] {
  const callbacks = afterCommitCallbacks.get(tx);
  if (!callbacks) return [];
  afterCommitCallbacks.delete(tx);
  return callbacks;
}

/** Runs callbacks taken with takeAfterCommit, after COMMIT: a failing one does not undo the commit nor stop the others. */
export function runAfterCommit(callbacks: readonly (() => void)[]): void {
  for (const fn of callbacks) {
    try {
      fn();
    } catch {
      // The write has committed; what the callback was for is done again by other means
      // (a handed-off delivery's lease runs out and it is claimed as any other).
    }
  }
}
