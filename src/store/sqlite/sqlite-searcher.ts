import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { ReadQuery } from '../dialect.js';
import { StatementBudgetExceeded, storeUnavailable } from '../faults.js';

/*
 * Full-text searches on threads of their own. better-sqlite3 runs a statement synchronously on
 * the thread that calls it, and a search's cost grows with how common its words are, not with
 * the page it answers: at 300,000 tickets a one-word walk takes 9 ms, a word on most tickets
 * 84 ms, and ten common prefixes 0.7 s. On the event loop that stalled every request of every
 * tenant for as long. So listings that carry a search run here, each worker with a read-only
 * connection of its own to the same file (WAL: it sees the last commit, like the main reader),
 * and the event loop only waits for a message.
 *
 * Each statement has a time budget. Past it the caller gets StatementBudgetExceeded at once and
 * the worker is replaced by a fresh one. better-sqlite3 has no way to interrupt a statement
 * (no sqlite3_interrupt), and a thread only stops at its next JavaScript, so the old worker
 * finishes that statement (bounded anyway: the search text is; SEARCH_LIMITS) before it exits.
 * Such workers still count against MAX_WORKERS until they exit, so repeated too-broad searches
 * queue rather than pile up threads.
 */

/**
 * Workers at once; searches beyond wait their turn. Two: one long search does not hold up every
 * other search, and more would only take cores from the event loop (the bench machine has two).
 */
const MAX_WORKERS = 2;
/** The time budget of one search statement, in ms (SqliteOptions.searchBudgetMs). */
export const SEARCH_BUDGET_MS = 2_000;
/** Searches waiting for a worker beyond which a new one is refused as unavailable (503, retry). */
const MAX_WAITING = 256;

// The worker's code: plain JavaScript run from a string, so it is the same from src/ (tsx) and
// from the bundle in dist/ (as sqlite-checkpointer.ts does).
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file, { readonly: true, fileMustExist: true });
db.pragma('busy_timeout = 10000');
db.pragma('cache_size = -8192');
const statements = new Map();
parentPort.postMessage({ ready: true });
parentPort.on('message', ({ id, sql, parameters }) => {
  try {
    let statement = statements.get(sql);
    if (!statement) {
      statement = db.prepare(sql).raw(true);
      if (statements.size > 500) statements.clear();
      statements.set(sql, statement);
    }
    parentPort.postMessage({ id, rows: statement.all(parameters) });
  } catch (error) {
    parentPort.postMessage({ id, error: { message: String(error && error.message), code: error && error.code } });
  }
});
`;

interface Job {
  query: ReadQuery;
  resolve: (rows: unknown[][]) => void;
  reject: (error: unknown) => void;
}

interface Thread {
  worker: Worker;
  /** The job it runs, if any. */
  job?: Job;
  timer?: NodeJS.Timeout;
  /** Its connection is open: the budget counts from here, not from the thread's start. */
  ready: boolean;
  /** Abandoned past its budget: it exits after its statement. */
  retired: boolean;
}

export interface Searcher {
  run(query: ReadQuery): Promise<unknown[][]>;
  close(): Promise<void>;
}

/** Values come back structured-cloned: a BLOB is then a Uint8Array, made a Buffer again. */
const revive = (rows: unknown[][]): unknown[][] => {
  for (const row of rows) {
    for (let i = 0; i < row.length; i++) {
      const value = row[i];
      if (value instanceof Uint8Array && !Buffer.isBuffer(value)) row[i] = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
    }
  }
  return rows;
};

export function startSearcher(file: string, options: { budgetMs?: number } = {}): Searcher {
  const budgetMs = options.budgetMs ?? SEARCH_BUDGET_MS;
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const threads = new Set<Thread>();
  const waiting: Job[] = [];
  let closed = false;
  let nextId = 0;

  const spawn = (): Thread => {
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { file, driver },
      // A page is at most LIST_PAGE_BYTES (8 MiB) of JSON, held twice while it is sent.
      resourceLimits: { maxYoungGenerationSizeMb: 8, maxOldGenerationSizeMb: 96 },
    });
    const thread: Thread = { worker, ready: false, retired: false };
    threads.add(thread);
    worker.on('message', (message: { ready?: boolean; rows?: unknown[][]; error?: { message: string; code?: string } }) => {
      if (message.ready) {
        thread.ready = true;
        next();
        // Idle workers must not keep the process alive (the CLI, tests).
        if (!thread.job) worker.unref();
        return;
      }
      const job = thread.job;
      if (thread.retired || !job) return;
      clearTimeout(thread.timer);
      thread.job = undefined;
      thread.worker.unref();
      if (message.error) job.reject(Object.assign(new Error(message.error.message), { code: message.error.code }));
      else job.resolve(revive(message.rows!));
      next();
    });
    const gone = (error: Error) => {
      if (!threads.delete(thread)) return;
      const job = thread.job;
      thread.job = undefined;
      clearTimeout(thread.timer);
      if (job && !thread.retired) job.reject(error);
      // One that could not even open the database: the searches waiting would fail the same way
      // (and starting another at once would loop).
      if (!thread.ready) for (const waiter of waiting.splice(0)) waiter.reject(error);
      next();
    };
    worker.on('error', gone);
    worker.on('exit', (code) => gone(new Error(`search worker exited with ${code}`)));
    return thread;
  };

  const next = () => {
    while (!closed && waiting.length > 0) {
      const thread = [...threads].find((t) => t.ready && !t.retired && !t.job);
      if (!thread) {
        // One starting is enough: it takes the next job once its connection is open.
        if (threads.size < MAX_WORKERS && ![...threads].some((t) => !t.ready)) spawn();
        return;
      }
      const job = waiting.shift()!;
      thread.job = job;
      // Referenced while it works: the caller is waiting for it.
      thread.worker.ref();
      thread.worker.postMessage({ id: nextId++, sql: job.query.sql, parameters: job.query.parameters });
      const running = thread;
      running.timer = setTimeout(() => {
        running.retired = true;
        running.job = undefined;
        job.reject(new StatementBudgetExceeded(budgetMs));
        // Stops it at its next JavaScript, i.e. once the statement returns; until then it
        // still counts against MAX_WORKERS (see the top of this file).
        running.worker.unref();
        void running.worker.terminate();
      }, budgetMs);
    }
  };

  return {
    run(query) {
      if (closed) return Promise.reject(new Error('the store is closed'));
      if (waiting.length >= MAX_WAITING) return Promise.reject(storeUnavailable());
      return new Promise((resolve, reject) => {
        waiting.push({ query: { sql: query.sql, parameters: [...query.parameters] }, resolve, reject });
        next();
      });
    },
    async close() {
      closed = true;
      for (const job of waiting.splice(0)) job.reject(new Error('the store is closed'));
      await Promise.all([...threads].map((thread) => thread.worker.terminate()));
    },
  };
}
