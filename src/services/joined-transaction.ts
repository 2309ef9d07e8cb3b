import { AsyncLocalStorage } from 'node:async_hooks';
import type { Tx } from '../store/schema.js';

/*
 * A bulk action (bulk.service.ts) changes each ticket in one transaction of its own, through the
 * same service methods the single-ticket routes call, each of which opens a transaction. Those
 * methods join the transaction the bulk action holds instead of opening another: on SQLite a
 * second one would wait behind the first for ever (writes are serial), and on PostgreSQL the
 * ticket's field changes and its status change would commit apart.
 */
const joined = new AsyncLocalStorage<Tx>();

/** The transaction the caller holds for the current unit of work, if any. */
export const joinedTransaction = (): Tx | undefined => joined.getStore();

/** Runs fn so that service writes inside it join `tx` (see joinedTransaction). */
export const joiningTransaction = <T>(tx: Tx, fn: () => Promise<T>): Promise<T> => joined.run(tx, fn);
