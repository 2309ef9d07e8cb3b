import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { WebhookSender, type SendRequest, type SendResult, type SenderOptions } from './webhook-sender.js';

/*
 * The thread that sends webhook requests for ThreadedWebhookSender (webhook-sender.ts): the
 * same WebhookSender, its own event loop. Requests come in batches; results go back in batches,
 * one message per turn of this thread's loop.
 */

if (!parentPort) throw new Error('webhook-sender-thread runs as a worker thread');

lowerPriority();
const port = parentPort;
const sender = new WebhookSender(workerData as SenderOptions);
let results: { id: number; result: SendResult }[] = [];

const flush = () => {
  const batch = results;
  results = [];
  port.postMessage(batch);
};

port.on('message', (batch: { id: number; request: SendRequest }[] | 'close') => {
  if (batch === 'close') {
    sender.close();
    port.close();
    return;
  }
  for (const { id, request } of batch) {
    void sender.send(request).then((result) => {
      if (results.length === 0) setImmediate(flush);
      results.push({ id, result });
    });
  }
});

/**
 * Deliveries yield the CPU to the API: on Linux, where a thread has a nice value of its own, this
 * thread runs at nice 10, so when the cores are busy the event loop that answers requests is
 * served first and deliveries wait a little (their deadline runs on this thread's own clock, and
 * the sweep sends what could not start in time). Elsewhere the thread keeps the process's priority.
 */
function lowerPriority(): void {
  try {
    const threadId = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (Number.isInteger(threadId) && threadId > 0) setPriority(threadId, 10);
  } catch {
    // No /proc (not Linux), or not allowed: the same priority as the rest of the process.
  }
}
