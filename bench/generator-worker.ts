import { parentPort, workerData } from 'node:worker_threads';
import { TicketFactory, type DatasetSetup } from './dataset.js';

/*
 * Generates tickets on the second core while the main thread writes them. Credit-based flow
 * control: the main thread sends a number of batches it is ready to take; this worker never
 * runs further ahead than that.
 */
const { setup, total, now, batchSize } = workerData as { setup: DatasetSetup; total: number; now: number; batchSize: number };
const factory = new TicketFactory(setup, total, now);
let produced = 0;
let credits = 0;
let running = false;

function pump() {
  if (running) return;
  running = true;
  while (credits > 0 && produced < total) {
    const n = Math.min(batchSize, total - produced);
    const batch = factory.next(n);
    produced += n;
    credits--;
    parentPort!.postMessage({ batch, done: produced >= total });
  }
  running = false;
}

parentPort!.on('message', (message: { credits: number }) => {
  credits += message.credits;
  // Let the message loop breathe between bursts so credits keep arriving.
  setImmediate(pump);
});
