import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/*
 * WAL checkpoints on a thread of their own. SQLite by default runs a checkpoint inside the
 * COMMIT that grows the WAL past 1,000 pages: copying those pages into the database file and
 * syncing it, on the event loop, in the middle of a request. Measured at a million tickets
 * (in-process, 20 creates per group commit): 1,625 creates/s with that, 2,335 without it. So
 * the server's connection turns automatic checkpoints off and this worker, with a connection
 * of its own, runs a PASSIVE checkpoint every CHECKPOINT_INTERVAL_MS: it copies what no reader
 * still needs, and never waits for nor blocks the writer or the readers.
 *
 * The WAL only starts over (instead of growing) when a write begins after a checkpoint that
 * reached its end, and under steady writes the worker's never does: new frames arrive while it
 * copies. So once the WAL is past RESTART_FRAMES the worker asks (`onRestartWanted`), and the
 * writer runs a PASSIVE checkpoint itself before its next transaction: it copies only what
 * arrived since the worker's, and its BEGIN then starts the WAL over. Meanwhile the worker
 * leaves the WAL alone (until the writer's has run, ASK_TIMEOUT_MS at most): its own
 * checkpoints, longer as the WAL grows, kept the writer's busy one after the other, and the WAL
 * grew to 148 MB of the 280 MB written in the test of transactions.test.ts.
 *
 * If the worker fails, the writer's connection takes automatic checkpoints back (`onFailure`).
 */

const CHECKPOINT_INTERVAL_MS = 100;
/** How long the worker leaves the WAL to the writer after asking it to start the WAL over, at most. */
const ASK_TIMEOUT_MS = 1_000;
/** WAL frames (pages) past which a checkpoint also starts the WAL over: 16 MiB. */
const RESTART_FRAMES = 4096;

// The worker's code: plain JavaScript run from a string, so it is the same from src/ (tsx) and
// from the bundle in dist/; better-sqlite3 is loaded by the absolute path resolved here.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file, { fileMustExist: true });
db.pragma('busy_timeout = 10000');
db.pragma('cache_size = -2048');
let askedAt = 0;
const checkpoint = () => {
  if (askedAt !== 0 && Date.now() - askedAt < workerData.askTimeoutMs) return;
  askedAt = 0;
  try {
    const [result] = db.pragma('wal_checkpoint(PASSIVE)');
    if (result && result.log > workerData.restartFrames) {
      askedAt = Date.now();
      parentPort.postMessage({ restart: true });
    }
  } catch (error) {
    parentPort.postMessage({ error: String(error) });
  }
};
const timer = setInterval(checkpoint, workerData.intervalMs);
parentPort.on('message', (message) => {
  if (message === 'resume') {
    askedAt = 0;
    return;
  }
  clearInterval(timer);
  checkpoint();
  db.close();
  parentPort.close();
});
`;

export interface Checkpointer {
  close(): Promise<void>;
}

/**
 * `onRestartWanted(done)`: the writer checkpoints before its next transaction (again while that
 * finds the worker's running), then calls `done`; the worker checkpoints again from then on.
 */
export function startCheckpointer(file: string, hooks: { onRestartWanted: (done: () => void) => void; onFailure: (reason: string) => void }): Checkpointer {
  const { onFailure } = hooks;
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: { file, driver, intervalMs: CHECKPOINT_INTERVAL_MS, restartFrames: RESTART_FRAMES, askTimeoutMs: ASK_TIMEOUT_MS },
    // It allocates next to nothing: small heaps keep its share of the server's memory small.
    resourceLimits: { maxYoungGenerationSizeMb: 1, maxOldGenerationSizeMb: 16 },
  });
  worker.unref();
  let failed = false;
  const fail = (reason: string) => {
    if (failed) return;
    failed = true;
    onFailure(reason);
  };
  worker.on('message', (message: { error?: string; restart?: boolean }) => {
    if (message.error) fail(message.error);
    if (message.restart) hooks.onRestartWanted(() => worker.postMessage('resume'));
  });
  worker.on('error', (error) => fail(error.message));
  const exited = new Promise<void>((resolve) =>
    worker.once('exit', (code) => {
      if (code !== 0) fail(`checkpoint worker exited with ${code}`);
      resolve();
    }),
  );
  return {
    async close() {
      failed = true; // an exit from here on is the one asked for
      // Referenced again: an unreferenced worker is all this await would wait for, and Node
      // would end the process in the middle of it (the CLI did, before printing its error).
      worker.ref();
      worker.postMessage('close');
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([exited, new Promise<void>((resolve) => (timer = setTimeout(resolve, 5_000)))]);
      clearTimeout(timer);
      await worker.terminate();
    },
  };
}
