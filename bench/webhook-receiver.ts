import { createHmac, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import { Webhook } from 'standardwebhooks';

/*
 * The webhook receiver of the benchmark, in a process of its own: a bare node:http server on
 * 127.0.0.1 answering 204. For every delivery it checks the Standard Webhooks signature
 * (node:crypto; every 100th also with the standardwebhooks package, the reference), counts
 * webhook-ids seen twice, and measures the time from the event (the body's `timestamp`) to its
 * receipt. bench/run.ts talks to it over IPC:
 *   { id, cmd: 'secret', secret } | { id, cmd: 'reset', floor? } | { id, cmd: 'stats' } | { id, cmd: 'wait', count, idleMs, timeoutMs }
 *   -> { id, stats }
 */

export interface ReceiverStats {
  received: number;
  unique: number;
  duplicates: number;
  badSignatures: number;
  /** Event to receipt, ms. */
  p50: number;
  p99: number;
  max: number;
  /** First and last receipt (epoch ms), for deliveries per second. */
  firstAt: number;
  lastAt: number;
  /** This process's CPU time since the last reset, µs: what receiving cost the shared machine. */
  cpuUs: number;
}

let secret = '';
let key = Buffer.alloc(0);
let seen = new Set<string>();
let latencies: number[] = [];
let received = 0;
let duplicates = 0;
let badSignatures = 0;
let firstAt = 0;
let lastAt = 0;
/** Latencies count from the event's time, or from this time if later (a backlog released at once). */
let floor = 0;
let cpuAtReset = process.cpuUsage();

function verify(id: string, timestamp: string, body: Buffer, header: string): boolean {
  const expected = Buffer.from(`v1,${createHmac('sha256', key).update(`${id}.${timestamp}.`).update(body).digest('base64')}`);
  return header.split(' ').some((candidate) => {
    const given = Buffer.from(candidate);
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}

const server = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    const now = Date.now();
    const body = Buffer.concat(chunks);
    const id = String(req.headers['webhook-id'] ?? '');
    received++;
    firstAt ||= now;
    lastAt = now;
    let ok = verify(id, String(req.headers['webhook-timestamp'] ?? ''), body, String(req.headers['webhook-signature'] ?? ''));
    if (ok && received % 100 === 0) {
      try {
        new Webhook(secret).verify(body, req.headers as Record<string, string>);
      } catch {
        ok = false;
      }
    }
    if (!ok) badSignatures++;
    if (seen.has(id)) duplicates++;
    else seen.add(id);
    try {
      latencies.push(now - Math.max(floor, Date.parse((JSON.parse(body.toString('utf8')) as { timestamp: string }).timestamp)));
    } catch {
      badSignatures++;
    }
    res.writeHead(204).end();
  });
});
server.keepAliveTimeout = 72_000;

function stats(): ReceiverStats {
  const sorted = Float64Array.from(latencies).sort();
  const at = (p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]! : 0);
  const cpu = process.cpuUsage(cpuAtReset);
  return { received, unique: seen.size, duplicates, badSignatures, p50: at(0.5), p99: at(0.99), max: at(1), firstAt, lastAt, cpuUs: cpu.user + cpu.system };
}

/** Resolves once `count` distinct deliveries arrived and none for `idleMs` (or at the deadline). */
function waitFor(count: number, idleMs: number, timeoutMs: number): Promise<ReceiverStats> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve) => {
    const check = () => {
      const now = Date.now();
      if ((seen.size >= count && now - lastAt >= idleMs) || now > deadline) return resolve(stats());
      setTimeout(check, 20);
    };
    check();
  });
}

process.on('message', (message: { id: number; cmd: string; secret?: string; count?: number; idleMs?: number; timeoutMs?: number; floor?: number }) => {
  const reply = (value: ReceiverStats) => process.send?.({ id: message.id, stats: value });
  if (message.cmd === 'secret') {
    secret = message.secret ?? '';
    key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
    reply(stats());
  } else if (message.cmd === 'reset') {
    seen = new Set();
    latencies = [];
    received = duplicates = badSignatures = firstAt = lastAt = 0;
    floor = message.floor ?? 0;
    cpuAtReset = process.cpuUsage();
    reply(stats());
  } else if (message.cmd === 'wait') {
    void waitFor(message.count ?? 0, message.idleMs ?? 500, message.timeoutMs ?? 600_000).then(reply);
  } else reply(stats());
});

server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  process.stdout.write(`webhook receiver listening on http://127.0.0.1:${port}/hook\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
process.on('disconnect', () => process.exit(0));
