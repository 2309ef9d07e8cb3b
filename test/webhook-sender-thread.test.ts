import { readdirSync, readFileSync } from 'node:fs';
import { Webhook } from 'standardwebhooks';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ThreadedWebhookSender } from '../src/services/webhook-sender.js';
import { startReceiver, type Answer, type Receiver } from './webhook-receiver.js';

/*
 * The server sends webhooks from a thread of its own (ThreadedWebhookSender, used by
 * src/main.ts; the e2e tests run it in real server processes). Here: the same promises as the
 * in-process sender, through the thread, against real receivers on 127.0.0.1.
 */

describe('webhook requests sent from a thread of their own', () => {
  let sender: ThreadedWebhookSender;
  const receivers: Receiver[] = [];
  const receiver = async (answer?: (n: number) => Answer) => {
    const r = await startReceiver(answer);
    receivers.push(r);
    return r;
  };
  beforeAll(() => {
    sender = new ThreadedWebhookSender({ timeoutMs: 1000, allowPrivate: true });
  });
  afterEach(async () => {
    await Promise.all(receivers.splice(0).map((r) => r.close()));
  });
  afterAll(() => sender.close());

  it('sends the body and headers as given and answers the status and the start of the body', async () => {
    const endpoint = await receiver(() => ({ status: 202, body: 'thanks' }));
    const result = await sender.send({ url: endpoint.url, headers: { 'content-type': 'application/json', 'webhook-id': 'msg_1' }, body: '{"a":1}' });
    expect(result).toMatchObject({ ok: true, statusCode: 202, error: null, response: 'thanks' });
    expect(endpoint.received).toHaveLength(1);
    expect(endpoint.received[0]).toMatchObject({ path: '/hook', body: '{"a":1}' });
    expect(endpoint.received[0]!.headers).toMatchObject({ 'content-type': 'application/json', 'webhook-id': 'msg_1', 'content-length': '7' });
  });

  it('signs a request on the thread as it sends it, verifiable with the reference implementation', async () => {
    const endpoint = await receiver();
    const secret = `whsec_${Buffer.from('a secret of thirty-two bytes....').toString('base64')}`;
    const body = '{"type":"ticket.created","timestamp":"2026-12-06T12:00:00.000Z","data":{"n":1}}';
    const before = Math.floor(Date.now() / 1000);
    const result = await sender.send({ url: endpoint.url, headers: { 'content-type': 'application/json' }, body, sign: { id: 'msg_signed', secret } });
    expect(result).toMatchObject({ ok: true });
    const { headers } = endpoint.received[0]!;
    expect(headers['webhook-id']).toBe('msg_signed');
    expect(Number(headers['webhook-timestamp'])).toBeGreaterThanOrEqual(before);
    const verified = new Webhook(secret).verify(endpoint.received[0]!.body, {
      'webhook-id': String(headers['webhook-id']),
      'webhook-timestamp': String(headers['webhook-timestamp']),
      'webhook-signature': String(headers['webhook-signature']),
    });
    expect(verified).toEqual(JSON.parse(body));
    // Another secret does not verify it.
    expect(() =>
      new Webhook(`whsec_${Buffer.from('another secret of thirty-two b..').toString('base64')}`).verify(endpoint.received[0]!.body, {
        'webhook-id': String(headers['webhook-id']),
        'webhook-timestamp': String(headers['webhook-timestamp']),
        'webhook-signature': String(headers['webhook-signature']),
      }),
    ).toThrow();
  });

  it('keeps every result with its own request when many are in flight at once', async () => {
    const endpoint = await receiver((n) => ({ status: n % 3 === 0 ? 500 : 200, body: `answer ${n}`, delayMs: n % 5 }));
    const results = await Promise.all(
      Array.from({ length: 60 }, (_, i) => sender.send({ url: `${new URL(endpoint.url).origin}/${i}`, headers: {}, body: String(i) })),
    );
    expect(endpoint.received).toHaveLength(60);
    // Each answer names the request it answered (the receiver's n-th); match them through the path.
    for (const [i, result] of results.entries()) {
      const n = endpoint.received.findIndex((r) => r.path === `/${i}`);
      expect(result.response).toBe(`answer ${n}`);
      expect(result.ok).toBe(n % 3 !== 0);
    }
  });

  it('does not follow a redirect and gives up on an endpoint that does not answer in time', async () => {
    const moved = await receiver(() => ({ status: 307, headers: { location: 'http://169.254.169.254/latest' } }));
    const redirect = await sender.send({ url: moved.url, headers: {}, body: '{}' });
    expect(redirect).toMatchObject({ ok: false, statusCode: 307 });
    expect(redirect.error).toMatch(/redirects are not followed/);
    const silent = await receiver(() => 'hang');
    const hung = await sender.send({ url: silent.url, headers: {}, body: '{}' });
    expect(hung).toMatchObject({ ok: false, statusCode: null, error: 'no answer within 1 s' });
    expect(hung.durationMs).toBeGreaterThanOrEqual(990);
  });

  it('refuses a loopback address unless private targets are allowed', async () => {
    const endpoint = await receiver();
    const strict = new ThreadedWebhookSender({ timeoutMs: 1000, allowPrivate: false });
    try {
      const result = await strict.send({ url: endpoint.url, headers: {}, body: '{}' });
      expect(result).toMatchObject({ ok: false, statusCode: null });
      expect(result.error).toMatch(/^refused: 127\.0\.0\.1 is /);
      expect(endpoint.received).toHaveLength(0);
    } finally {
      strict.close();
    }
  });

  // Linux gives each thread a nice value of its own; elsewhere the thread keeps the process's.
  it.runIf(process.platform === 'linux')('sends from a thread that yields the CPU to the event loop answering requests', async () => {
    const niceness = (task: string) => {
      try {
        // The fields after the command name's closing parenthesis; the nice value is the 17th.
        const stat = readFileSync(`/proc/${task}/stat`, 'utf8');
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
      } catch {
        return undefined; // a thread that ended meanwhile
      }
    };
    // This test's own thread: the process may have been started nicer than 0 (nice npm test).
    const own = niceness('thread-self')!;
    const before = new Set(readdirSync('/proc/self/task'));
    const endpoint = await receiver();
    const sender = new ThreadedWebhookSender({ timeoutMs: 1000, allowPrivate: true });
    try {
      expect(await sender.send({ url: endpoint.url, headers: {}, body: '{}' })).toMatchObject({ ok: true });
      const started = readdirSync('/proc/self/task').filter((task) => !before.has(task));
      expect(started.map((task) => niceness(`self/task/${task}`))).toContain(Math.min(19, own + 10));
      expect(niceness('thread-self')).toBe(own);
    } finally {
      sender.close();
    }
  });

  it('does not start a request after its startBy, counting the time before the thread takes it up', async () => {
    const endpoint = await receiver();
    // Posted to the thread at the end of this turn: an event loop busy for 100 ms posts it too late.
    const waited = sender.send({ url: endpoint.url, headers: {}, body: '{}', startBy: Date.now() + 50 });
    const busyUntil = Date.now() + 100;
    while (Date.now() < busyUntil);
    expect(await waited).toMatchObject({ ok: false, late: true, statusCode: null, error: 'not sent: too late to start within its lease' });
    // In time: sent.
    const sent = await sender.send({ url: endpoint.url, headers: {}, body: '{}', startBy: Date.now() + 30_000 });
    expect(sent).toMatchObject({ ok: true, statusCode: 204 });
    expect(sent.late).toBeUndefined();
    expect(endpoint.received).toHaveLength(1);
  });

  it('fails the requests in flight when the thread dies, and sends the next ones from a new thread', async () => {
    const silent = await receiver(() => 'hang');
    const own = new ThreadedWebhookSender({ timeoutMs: 5000, allowPrivate: true });
    try {
      const inFlight = own.send({ url: silent.url, headers: {}, body: '{}' });
      await silent.waitFor(1);
      // The thread ending under the sender (a crash, an out-of-memory): what it held is a failed attempt, retried later.
      await (own as unknown as { worker: { terminate(): Promise<number> } }).worker.terminate();
      const failed = await inFlight;
      expect(failed).toMatchObject({ ok: false, statusCode: null });
      expect(failed.error).toMatch(/^not sent: the sending thread stopped/);
      const endpoint = await receiver();
      expect(await own.send({ url: endpoint.url, headers: {}, body: '{}' })).toMatchObject({ ok: true, statusCode: 204 });
    } finally {
      own.close();
    }
  });
});
