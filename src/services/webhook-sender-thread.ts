import { readlinkSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';
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
 * thread runs 10 steps nicer than the process (at most 19), so when the cores are busy the event
 * loop that answers requests is served first and deliveries wait a little. Relative, not an
 * absolute 10: in a process already started nicer than that, 10 would raise the thread above the
 * event loop (or, unprivileged, be refused). Elsewhere the thread keeps the process's priority.
 * docs/decisions/028-deliveries-yield-the-cpu.md.
 */
function lowerPriority(): void {
  try {
    const threadId = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (!Number.isInteger(threadId) || threadId <= 0) return;
    const current = getPriority(threadId);
    if (current < 19) setPriority(threadId, Math.min(19, current + 10));
  } catch {
    // No /proc (not Linux), or not allowed: the same priority as the rest of the process.
  }
}
