import { parentPort, workerData } from 'node:worker_threads';
import { WebhookSender, type SendRequest, type SendResult, type SenderOptions } from './webhook-sender.js';

/*
 * The thread that sends webhook requests for ThreadedWebhookSender (webhook-sender.ts): the
 * same WebhookSender, its own event loop. Requests come in batches; results go back in batches,
 * one message per turn of this thread's loop.
 */

if (!parentPort) throw new Error('webhook-sender-thread runs as a worker thread');
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
