import { lookup as dnsLookup } from 'node:dns';
import { stat } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { Worker } from 'node:worker_threads';
import { forbiddenAddress, hostAddress } from '../domain/addresses.js';
import { RESPONSE_EXCERPT, signatureHeader } from '../domain/webhooks.js';

/*
 * Sends one webhook request: POST, a hard deadline for the whole exchange (connect, answer,
 * body), redirects answered but never followed, and the address checked when connecting, on
 * the address actually connected to (docs/decisions/017-webhooks.md, "Server-side request
 * forgery"): a name that resolved to a public address when the webhook was saved and to a
 * private one now (DNS rebinding) is refused, because the check runs inside the lookup the
 * socket connects with. Kept-alive sockets stay connected to the address that was checked.
 */

export interface SendRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
  /**
   * Signed by the sender as it sends (Standard Webhooks: webhook-id, webhook-timestamp and
   * webhook-signature headers): the signature's time is the real time of sending, and the
   * HMAC, which costs more than the rest of a delivery's preparation, runs where the sending
   * does (ThreadedWebhookSender: off the event loop).
   */
  sign?: { id: string; secret: string };
  /**
   * The latest time (Date.now()) the request may start: a delivery is held under a lease, and
   * one that starts later could end after another process took it up again (decision 028).
   * Checked where the sending happens, so time spent waiting for the sending thread counts.
   */
  startBy?: number;
}

export interface SendResult {
  /** 2xx: delivered. */
  ok: boolean;
  statusCode: number | null;
  durationMs: number;
  error: string | null;
  /** The start of the answer's body. */
  response: string | null;
  /** Not sent: it could not start by its `startBy`. No attempt: recording it gives a claim's attempt back. */
  late?: true;
}

/** What the delivery side needs of a sender: WebhookSender, or ThreadedWebhookSender. */
export interface Sender {
  send(request: SendRequest): Promise<SendResult>;
  close(): void;
}

export interface SenderOptions {
  timeoutMs: number;
  /** WEBHOOK_ALLOW_PRIVATE: private, loopback and link-local targets allowed (on-premises). */
  allowPrivate: boolean;
  /** How names are resolved (default: the system's resolver, as every other connection). */
  resolve?: (hostname: string) => Promise<{ address: string; family: number }[]>;
}

/** Bytes of an answer read at most (to keep the connection for the next request); past it the connection is closed. */
const DRAIN_LIMIT = 64 * 1024;

class RefusedAddress extends Error {}

const systemResolve = (hostname: string) =>
  new Promise<{ address: string; family: number }[]>((resolve, reject) =>
    dnsLookup(hostname, { all: true }, (error, addresses) => (error ? reject(error) : resolve(addresses))),
  );

export class WebhookSender implements Sender {
  // Kept-alive connections: a busy webhook costs one TLS handshake, not one per delivery.
  private readonly agents = { http: new http.Agent({ keepAlive: true, maxSockets: 64 }), https: new https.Agent({ keepAlive: true, maxSockets: 64 }) };
  private readonly lookup: LookupFunction;

  constructor(private readonly options: SenderOptions) {
    const resolve = options.resolve ?? systemResolve;
    this.lookup = ((hostname: string, lookupOptions: { all?: boolean }, callback: (...args: unknown[]) => void) => {
      resolve(hostname).then(
        (addresses) => {
          const allowed = options.allowPrivate ? addresses : addresses.filter((a) => !forbiddenAddress(a.address));
          if (allowed.length === 0) {
            const reason = addresses.length > 0 ? forbiddenAddress(addresses[0]!.address) : 'no address';
            return callback(new RefusedAddress(`refused: ${hostname} resolves to ${addresses[0]?.address ?? 'nothing'}, ${reason}`));
          }
          if (lookupOptions.all) callback(null, allowed);
          else callback(null, allowed[0]!.address, allowed[0]!.family);
        },
        (error: unknown) => callback(error),
      );
    }) as unknown as LookupFunction;
  }

  /** Sends the request; never throws: a failure is a result with its error. */
  send(request: SendRequest): Promise<SendResult> {
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    return new Promise<SendResult>((resolve) => {
      if (request.startBy !== undefined && Date.now() > request.startBy)
        return resolve({ ok: false, statusCode: null, durationMs: 0, error: 'not sent: too late to start within its lease', response: null, late: true });
      let url: URL;
      try {
        url = new URL(request.url);
      } catch {
        return resolve({ ok: false, statusCode: null, durationMs: 0, error: 'the URL is not valid', response: null });
      }
      const literal = hostAddress(url.hostname);
      const refused = literal && !this.options.allowPrivate ? forbiddenAddress(literal) : undefined;
      if (refused) return resolve({ ok: false, statusCode: null, durationMs: 0, error: `refused: ${literal} is ${refused}`, response: null });

      let settled = false;
      const finish = (result: Omit<SendResult, 'durationMs'>) => {
        if (settled) return;
        settled = true;
        clearTimeout(deadline);
        resolve({ ...result, durationMs: elapsed() });
      };
      const secure = url.protocol === 'https:';
      const body = Buffer.from(request.body);
      const headers: Record<string, string> = { ...request.headers, 'content-length': String(body.length) };
      if (request.sign) {
        const timestamp = Math.floor(Date.now() / 1000);
        headers['webhook-id'] = request.sign.id;
        headers['webhook-timestamp'] = String(timestamp);
        headers['webhook-signature'] = signatureHeader(request.sign.secret, request.sign.id, timestamp, request.body);
      }
      const req = (secure ? https : http).request(url, {
        method: 'POST',
        agent: secure ? this.agents.https : this.agents.http,
        lookup: this.lookup,
        headers,
      });
      const deadline = setTimeout(() => req.destroy(new Error(`no answer within ${this.options.timeoutMs / 1000} s`)), this.options.timeoutMs);
      req.on('error', (error: NodeJS.ErrnoException) => finish({ ok: false, statusCode: null, error: describeError(error), response: null }));
      req.on('response', (res) => {
        const status = res.statusCode ?? 0;
        const chunks: Buffer[] = [];
        let kept = 0;
        let read = 0;
        res.on('data', (chunk: Buffer) => {
          read += chunk.length;
          if (kept < RESPONSE_EXCERPT * 4) {
            chunks.push(chunk);
            kept += chunk.length;
          }
          if (read > DRAIN_LIMIT) res.destroy();
        });
        const done = () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const excerpt = text.length > RESPONSE_EXCERPT ? text.slice(0, RESPONSE_EXCERPT) : text;
          const ok = status >= 200 && status < 300;
          const location = res.headers.location;
          const error = ok
            ? null
            : status >= 300 && status < 400
              ? `HTTP ${status}: redirects are not followed${location ? ` (to ${location.slice(0, 200)})` : ''}`
              : `HTTP ${status}`;
          finish({ ok, statusCode: status, error, response: excerpt || null });
        };
        res.on('end', done);
        res.on('close', done);
        res.on('error', done);
      });
      req.end(body);
    });
  }

  /** Closes kept-alive connections. */
  close(): void {
    this.agents.http.destroy();
    this.agents.https.destroy();
  }
}

function describeError(error: NodeJS.ErrnoException): string {
  if (error instanceof RefusedAddress) return error.message;
  switch (error.code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ENOTFOUND':
      return 'host not found';
    case 'ECONNRESET':
      return 'connection reset';
    case 'EAI_AGAIN':
      return 'host not found (temporary DNS failure)';
    default:
      return error.message || String(error.code ?? 'failed');
  }
}

/**
 * A WebhookSender on a thread of its own: requests go to the thread and results come back, so
 * the HTTP client's work (connections, writing the request, parsing the answer: half of what a
 * delivery costs the server) stays off the event loop that serves the API. The thread starts
 * with the first request (a server without webhooks never has it) and again after a failure; a
 * request in flight when the thread fails is a failed attempt, retried as any other.
 * docs/decisions/017-webhooks.md, "Cost on the write path".
 */
export class ThreadedWebhookSender implements Sender {
  private worker: Worker | undefined;
  private nextId = 0;
  private readonly waiting = new Map<number, { started: number; resolve: (result: SendResult) => void }>();
  private queued: { id: number; request: SendRequest }[] = [];

  constructor(private readonly options: Omit<SenderOptions, 'resolve'>) {}

  send(request: SendRequest): Promise<SendResult> {
    return new Promise<SendResult>((resolve) => {
      const id = this.nextId++;
      this.waiting.set(id, { started: performance.now(), resolve });
      // One message per turn for the requests of that turn (a claim hands over a batch).
      if (this.queued.length === 0) queueMicrotask(() => this.post());
      this.queued.push({ id, request });
    });
  }

  private post(): void {
    // Requests already failed (the thread ended since they were queued) are not sent at all.
    const batch = this.queued.filter((queued) => this.waiting.has(queued.id));
    this.queued = [];
    if (batch.length > 0) this.thread().postMessage(batch);
  }

  private thread(): Worker {
    if (this.worker) return this.worker;
    startThreadPool();
    const worker = new Worker(threadModule(), {
      eval: !import.meta.url.endsWith('.mjs'),
      workerData: { timeoutMs: this.options.timeoutMs, allowPrivate: this.options.allowPrivate },
      // Requests and answers are small (an answer is read up to 64 KiB and then dropped), but
      // every request makes short-lived garbage: with a 2 MiB young generation, collecting it was
      // a third of the thread's CPU (112 µs per delivery); with 8 MiB, 27 µs (decision 026).
      resourceLimits: { maxYoungGenerationSizeMb: 8, maxOldGenerationSizeMb: 32 },
    });
    worker.on('message', (results: { id: number; result: SendResult }[]) => {
      for (const { id, result } of results) {
        this.waiting.get(id)?.resolve(result);
        this.waiting.delete(id);
      }
    });
    // The server's listening socket keeps the process alive, not this thread (tests, the CLI).
    worker.unref();
    const gone = (reason: string) => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      for (const [id, { started, resolve }] of this.waiting) {
        resolve({ ok: false, statusCode: null, durationMs: Math.round(performance.now() - started), error: `not sent: ${reason}`, response: null });
        this.waiting.delete(id);
      }
    };
    worker.on('error', (error) => gone(`the sending thread failed (${error.message})`));
    worker.on('exit', (code) => gone(`the sending thread stopped (exit code ${code})`));
    this.worker = worker;
    return worker;
  }

  /** Closes the thread's kept-alive connections and ends it (requests in flight end as failed). */
  close(): void {
    const worker = this.worker;
    if (!worker) return;
    worker.postMessage('close');
    worker.unref();
  }
}

/**
 * The thread lowers its own priority (webhook-sender-thread.ts), and on Linux a thread inherits
 * the nice value of the thread that creates it. libuv's thread pool (files, DNS lookups, zlib:
 * shared by the whole process) starts on first use, from whichever thread uses it first: if that
 * were the sending thread, at nice 10, every file read of the process would wait behind the API
 * on busy cores. Used once from here first, the pool starts at the process's priority.
 */
function startThreadPool(): void {
  stat(process.execPath, () => undefined);
}

/**
 * The thread's module: next to the bundle when running dist/server.mjs (npm start); else the
 * TypeScript source, loaded through tsx (the tests, `tsx src/main.ts`).
 */
function threadModule(): URL | string {
  if (import.meta.url.endsWith('.mjs')) return new URL('./webhook-sender-thread.mjs', import.meta.url);
  const source = new URL('./webhook-sender-thread.ts', import.meta.url).href;
  return `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(source)}); });`;
}
