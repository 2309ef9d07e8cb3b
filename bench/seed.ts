import { Worker } from 'node:worker_threads';
import { InstancesService } from '../src/services/instances.service.js';
import { openBulkLoader, type BulkLoadResult, type BulkTicket } from '../src/store/bulk.repo.js';
import { openMigratedStore } from '../src/store/db.js';
import { createSetup, type DatasetSetup } from './dataset.js';

export interface Seeded {
  instanceId: string;
  primaryKey: string;
  setup: DatasetSetup;
  result: BulkLoadResult;
  /** Wall-clock seconds: everything, and the part spent re-creating indexes and committing. */
  seconds: number;
  finishSeconds: number;
}

/** Batches from the generator worker, a few ahead of the writer. */
function generate(setup: DatasetSetup, total: number, batchSize: number): AsyncIterable<BulkTicket[]> & { close(): Promise<number> } {
  // Workers don't inherit tsx's loader hooks: register them first, then load the TypeScript module.
  const bootstrap = `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then(({ register }) => { register(); return import(${JSON.stringify(new URL('./generator-worker.ts', import.meta.url).href)}); })`;
  const worker = new Worker(bootstrap, { eval: true, workerData: { setup, total, now: Date.now(), batchSize } });
  const queue: BulkTicket[][] = [];
  let done = false;
  let failure: unknown;
  let wake: (() => void) | undefined;
  worker.on('message', (message: { batch: BulkTicket[]; done: boolean }) => {
    queue.push(message.batch);
    if (message.done) done = true;
    wake?.();
  });
  worker.on('error', (error) => {
    failure = error;
    wake?.();
  });
  const AHEAD = 8;
  worker.postMessage({ credits: AHEAD });
  return {
    async *[Symbol.asyncIterator]() {
      for (;;) {
        if (failure) throw failure;
        const batch = queue.shift();
        if (batch) {
          worker.postMessage({ credits: 1 });
          yield batch;
          continue;
        }
        if (done) return;
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
      }
    },
    close: () => worker.terminate(),
  };
}

/**
 * Migrates the (fresh) store, creates an instance with custom fields and tag categories through
 * the service, then loads `tickets` generated tickets through the bulk path.
 */
export async function seed(databaseUrl: string, tickets: number, log: (line: string) => void = () => undefined): Promise<Seeded> {
  const started = performance.now();
  const store = await openMigratedStore(databaseUrl);
  let instanceId: string;
  let primaryKey: string;
  let setup: DatasetSetup;
  try {
    const instances = new InstancesService({ store, defaults: { rateLimitMax: 1_000_000_000, rateLimitWindowSeconds: 60 } });
    const created = await instances.create({ name: 'Benchmark' });
    instanceId = created.instance.id;
    primaryKey = created.primaryKey;
    setup = await createSetup(instances, instanceId);
  } finally {
    await store.close();
  }

  const loader = await openBulkLoader(databaseUrl, instanceId);
  const batches = generate(setup, tickets, 250);
  let result: BulkLoadResult;
  let finishStarted = 0;
  try {
    let written = 0;
    let lastLog = performance.now();
    for await (const batch of batches) {
      await loader.write(batch);
      written += batch.length;
      if (performance.now() - lastLog > 10_000) {
        lastLog = performance.now();
        log(`  seeding: ${written.toLocaleString('en-US')} tickets written (${((performance.now() - started) / 1000).toFixed(0)} s)`);
      }
    }
    log(`  seeding: ${written.toLocaleString('en-US')} tickets written; re-creating indexes`);
    finishStarted = performance.now();
    result = await loader.finish();
  } catch (error) {
    await loader.abort().catch(() => undefined);
    throw error;
  } finally {
    await batches.close();
  }
  const now = performance.now();
  return { instanceId, primaryKey, setup, result, seconds: (now - started) / 1000, finishSeconds: (now - finishStarted) / 1000 };
}
