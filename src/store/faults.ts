import { DomainError } from '../domain/errors.js';

/*
 * Failures of the store itself, as opposed to a bad query: the database is away (its
 * connection dropped, it refuses connections, it is restarting) or its disk is full. Each
 * dialect names its own errors here; http/errors.ts turns the domain codes into 503 and 507.
 */

export const storeUnavailable = () => new DomainError('unavailable', 'The database cannot be reached right now; try again shortly');

export const storeFull = () =>
  new DomainError('insufficient_storage', 'The database is out of disk space, so nothing was saved; an operator has to free space before writes can succeed');

/**
 * A read ran past its time budget (SQLite full-text searches; sqlite-searcher.ts) and was
 * abandoned: the request asked for more work than one answer may cost, not a store failure.
 */
export class StatementBudgetExceeded extends Error {
  constructor(readonly budgetMs: number) {
    super(`the statement ran longer than ${budgetMs} ms`);
    this.name = 'StatementBudgetExceeded';
  }
}

/** The error and what it wraps (`cause`, AggregateError's errors), as drivers and Kysely nest them. */
function* chain(error: unknown, depth = 0): Generator<{ code?: unknown; message?: unknown }> {
  if (error === null || typeof error !== 'object' || depth > 8) return;
  yield error as { code?: unknown; message?: unknown };
  yield* chain((error as { cause?: unknown }).cause, depth + 1);
  const errors = (error as { errors?: unknown }).errors;
  if (Array.isArray(errors)) for (const inner of errors) yield* chain(inner, depth + 1);
}

/** Socket-level errors: the path to the database server is gone. */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENETDOWN', 'EAI_AGAIN']);

/**
 * What pg says, without a code, when a connection dies or cannot be had: the socket ended
 * ("Connection terminated unexpectedly"), a client used after its connection broke, or the
 * pool's connection timeout ("timeout exceeded when trying to connect").
 */
const PG_CONNECTION_MESSAGES =
  /^(Connection terminated|Client has encountered a connection error and is not queryable|timeout exceeded when trying to connect|Connection terminated due to connection timeout)/;

/**
 * PostgreSQL: 53100 disk_full is a full disk; 08 (connection exception), 57P01-57P03 (admin or
 * crash shutdown, cannot connect now) and the rest of class 53 (out of memory, too many
 * connections: the server is short of something that comes back) are an outage.
 */
export function postgresFault(error: unknown): DomainError | undefined {
  for (const e of chain(error)) {
    const code = typeof e.code === 'string' ? e.code : '';
    if (code === '53100') return storeFull();
    if (/^(08|53)/.test(code) || code === '57P01' || code === '57P02' || code === '57P03' || NETWORK_CODES.has(code)) return storeUnavailable();
    if (typeof e.message === 'string' && PG_CONNECTION_MESSAGES.test(e.message)) return storeUnavailable();
  }
  return undefined;
}

/** SQLite: SQLITE_FULL ("database or disk is full", also past max_page_count). */
export function sqliteFault(error: unknown): DomainError | undefined {
  for (const e of chain(error)) {
    if (e.code === 'SQLITE_FULL') return storeFull();
  }
  return undefined;
}
