import http from 'node:http';
import autocannon from 'autocannon';

/*
 * The load generator, in a process of its own so that it never shares an event loop with the
 * server it measures. bench/run.ts starts it once and sends it one job at a time over IPC:
 *   { id, job: HttpJob | WalkJob }  ->  { id, result: LoadResult } or { id, error }
 */

export interface RequestTemplate {
  method: 'GET' | 'POST';
  /** Paths picked at random for each request; `{n}` in a path becomes a random integer of [min, max]. */
  paths: string[];
  min?: number;
  max?: number;
  /** JSON bodies, picked at random for each request (POST). */
  bodies?: string[];
  headers: Record<string, string>;
}

export interface HttpJob {
  kind: 'http';
  url: string;
  connections: number;
  /** Seconds of load not measured first (JIT, caches). */
  warmup: number;
  duration: number;
  request: RequestTemplate;
}

export interface WalkJob {
  kind: 'walk';
  url: string;
  /** The first page's path; the next ones send the continuationToken header. */
  path: string;
  headers: Record<string, string>;
  /** Walkers in parallel, each walking the whole list (0 = 1). */
  walkers: number;
  /** Stop after this many seconds even if the walk is not finished. */
  maxSeconds: number;
}

export interface LoadResult {
  requests: number;
  seconds: number;
  rps: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  /** Walks: tickets received and whether every page was reached. */
  items?: number;
  complete?: boolean;
  /** Walks: the itemCount the first page answered (every ticket the walk should see). */
  itemCount?: number;
  statusCodes?: Record<string, number>;
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function summarize(latencies: number[]): Pick<LoadResult, 'p50' | 'p90' | 'p99' | 'max'> {
  const sorted = Float64Array.from(latencies).sort();
  const round = (x: number) => Math.round(x * 100) / 100;
  return {
    p50: round(percentile(sorted, 50)),
    p90: round(percentile(sorted, 90)),
    p99: round(percentile(sorted, 99)),
    max: round(sorted[sorted.length - 1] ?? 0),
  };
}

function requestFactory(template: RequestTemplate) {
  const { paths, bodies, min = 1, max = 1 } = template;
  return {
    method: template.method,
    headers: template.headers,
    setupRequest: (req: Record<string, unknown>) => {
      const path = paths[Math.floor(Math.random() * paths.length)]!;
      req.path = path.includes('{n}') ? path.replace('{n}', String(min + Math.floor(Math.random() * (max - min + 1)))) : path;
      if (bodies) req.body = bodies[Math.floor(Math.random() * bodies.length)];
      return req;
    },
  };
}

function cannon(job: HttpJob, seconds: number, record: boolean): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const latencies: number[] = [];
    const codes: Record<string, number> = {};
    const instance = autocannon(
      {
        url: job.url,
        connections: job.connections,
        duration: seconds,
        requests: [requestFactory(job.request) as never],
        timeout: 10,
      },
      (error, result) => {
        if (error) return reject(error);
        const elapsed = result.duration; // seconds
        resolve({
          requests: result.requests.total,
          seconds: elapsed,
          rps: result.requests.total / elapsed,
          ...summarize(latencies),
          non2xx: result.non2xx,
          errors: result.errors - result.timeouts,
          timeouts: result.timeouts,
          statusCodes: codes,
        });
      },
    );
    instance.on('response', (_client: unknown, statusCode: number, _bytes: number, responseTime: number) => {
      codes[statusCode] = (codes[statusCode] ?? 0) + 1;
      if (record && statusCode >= 200 && statusCode < 300) latencies.push(responseTime);
    });
  });
}

async function runHttp(job: HttpJob): Promise<LoadResult> {
  if (job.warmup > 0) await cannon(job, job.warmup, false);
  return cannon(job, job.duration, true);
}

/** Bytes at the end of an answer that hold its continuationToken and itemCount. */
const TAIL_BYTES = 4096;

/**
 * Each listed ticket (the walk lists full tickets) has one "ticketId" key, and nothing else in a
 * page can: texts are JSON strings (their quotes escaped), and custom-field values hold no such
 * key. Counted in the chunks as they come, across chunk boundaries.
 */
const TICKET_KEY = Buffer.from('"ticketId":');
function ticketCounter() {
  let carry = Buffer.alloc(0);
  let count = 0;
  return {
    add(chunk: Buffer) {
      const text = carry.length > 0 ? Buffer.concat([carry, chunk]) : chunk;
      // Keys that started in the carried bytes and ended in them were counted with the chunk before.
      for (let at = text.indexOf(TICKET_KEY); at !== -1; at = text.indexOf(TICKET_KEY, at + 1)) if (at + TICKET_KEY.length > carry.length) count++;
      carry = Buffer.from(text.subarray(Math.max(0, text.length - (TICKET_KEY.length - 1))));
    },
    get count() {
      return count;
    },
  };
}

/** Walks every page of a listing with continuation tokens; reads only the tail of each body. */
async function runWalk(job: WalkJob): Promise<LoadResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: Math.max(1, job.walkers) });
  const base = new URL(job.url);
  const latencies: number[] = [];
  let items = 0;
  let requests = 0;
  let non2xx = 0;
  let errors = 0;
  let complete = true;
  const deadline = performance.now() + job.maxSeconds * 1000;
  const started = performance.now();
  let itemCount: number | undefined;
  const get = (token: string | null) =>
    new Promise<{ status: number; body: string; tickets: number }>((resolve, reject) => {
      const request = http.get(
        { host: base.hostname, port: base.port, path: job.path, agent, headers: { ...job.headers, ...(token ? { continuationToken: token } : {}) } },
        (response) => {
          // Keeps the whole body only when it is small: of a page of a thousand tickets the tail is
          // enough (see below), and decoding 1.5 MB of UTF-8 per page made the walker the bottleneck.
          const chunks: Buffer[] = [];
          let bytes = 0;
          const tickets = ticketCounter();
          response.on('data', (chunk: Buffer) => {
            tickets.add(chunk);
            chunks.push(chunk);
            bytes += chunk.length;
            while (chunks.length > 1 && bytes - chunks[0]!.length >= TAIL_BYTES) bytes -= chunks.shift()!.length;
          });
          response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), tickets: tickets.count }));
          response.on('error', reject);
        },
      );
      request.on('error', reject);
    });
  const walker = async () => {
    let token: string | null = null;
    for (;;) {
      if (performance.now() > deadline) {
        complete = false;
        return;
      }
      const t = performance.now();
      let page: { status: number; body: string; tickets: number };
      try {
        page = await get(token);
      } catch {
        errors++;
        complete = false;
        return;
      }
      latencies.push(performance.now() - t);
      requests++;
      if (page.status !== 200) {
        non2xx++;
        complete = false;
        return;
      }
      // The answer ends with …,"continuationToken":"…"|null,"itemCount":N}: no need to parse 1 MB of
      // JSON. itemCount is every matching ticket (the same on each page); the page's tickets were
      // counted as they came.
      const tail = page.body.slice(-TAIL_BYTES);
      const count = /"itemCount":(\d+)/.exec(tail);
      const next = /"continuationToken":(null|"([^"]*)")/.exec(tail);
      if (!count || !next) {
        const parsed = JSON.parse(page.body) as { itemCount: number; continuationToken: string | null };
        itemCount ??= parsed.itemCount;
        token = parsed.continuationToken;
      } else {
        itemCount ??= Number(count[1]);
        token = next[2] ?? null;
      }
      items += page.tickets;
      if (!token) return;
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, job.walkers) }, walker));
  agent.destroy();
  const seconds = (performance.now() - started) / 1000;
  return {
    requests,
    seconds,
    rps: requests / seconds,
    ...summarize(latencies),
    non2xx,
    errors,
    timeouts: 0,
    items,
    complete,
    ...(itemCount !== undefined ? { itemCount } : {}),
  };
}

process.on('message', (message: { id: number; job: HttpJob | WalkJob }) => {
  const { id, job } = message;
  const work = job.kind === 'http' ? runHttp(job) : runWalk(job);
  work.then(
    (result) => process.send!({ id, result }),
    (error: unknown) => process.send!({ id, error: error instanceof Error ? (error.stack ?? error.message) : String(error) }),
  );
});
process.on('disconnect', () => process.exit(0));
