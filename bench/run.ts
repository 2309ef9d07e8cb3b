import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { openStore } from '../src/store/db.js';
import type { HttpJob, LoadResult, RequestTemplate, UploadJob, WalkJob } from './load.js';
import { rng, vocabulary, type DatasetSetup } from './dataset.js';
import { measureDesk, type DeskFigures } from './desk-browser.js';
import { seed } from './seed.js';
import { BenchWebhook, ReceiverProcess, type WebhookFigures } from './webhooks.js';

/*
 * npm run bench [-- --tickets N --duration S --connections C --smoke]
 *
 * Seeds a fresh store (SQLite under bench/data/, or a fresh PostgreSQL database next to
 * DATABASE_URL), starts the real server as a child process, drives it over HTTP from a load
 * generator in another child process (bench/load.ts, autocannon), samples the server's RSS the
 * whole time, measures a bare node:http server the same way as the ceiling, prints a table and
 * writes it as JSON to bench/results/. See bench/README.md.
 */

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const BENCH_ADMIN_TOKEN = 'tka_benchmark-admin-token-0123456789abcdef';

// ---------------------------------------------------------------------------------------------
// Options

interface Options {
  tickets: number;
  duration: number;
  warmup: number;
  connections: number;
  walkers: number;
  walkMaxSeconds: number;
  smoke: boolean;
  only: string[] | undefined;
  keep: boolean;
  seedOnly: boolean;
  reuse: string | undefined;
  out: string;
  /** Events in the webhook backlog scenario. */
  webhookBacklog: number;
  /** Deliveries waiting for a retry while the API is measured again (0: skip). */
  undelivered: number;
  /** Rounds of each webhook pair (without and with the webhook; the first of each round alternates). */
  rounds: number;
}

function parseOptions(argv: string[]): Options {
  const value = (name: string) => {
    const i = argv.indexOf(`--${name}`);
    if (i < 0) return undefined;
    const v = argv[i + 1];
    if (v === undefined || v.startsWith('--')) throw new Error(`--${name} needs a value`);
    return v;
  };
  const number = (name: string, fallback: number) => {
    const raw = value(name);
    if (raw === undefined) return fallback;
    const n = Number(raw.replaceAll('_', '').replaceAll(',', ''));
    if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number, got "${raw}"`);
    return n;
  };
  const known = [
    '--tickets',
    '--duration',
    '--warmup',
    '--connections',
    '--walkers',
    '--walk-max',
    '--smoke',
    '--only',
    '--keep',
    '--reuse',
    '--out',
    '--seed-only',
    '--webhook-backlog',
    '--undelivered',
    '--rounds',
  ];
  for (const arg of argv) if (arg.startsWith('--') && !known.includes(arg)) throw new Error(`unknown option ${arg}; options: ${known.join(' ')}`);
  const smoke = argv.includes('--smoke');
  return {
    smoke,
    tickets: Math.floor(number('tickets', smoke ? 3000 : 1_000_000)),
    duration: number('duration', smoke ? 1 : 10),
    warmup: argv.includes('--warmup') ? Number(value('warmup')) : smoke ? 0 : 2,
    connections: Math.floor(number('connections', 32)),
    walkers: Math.floor(number('walkers', 1)),
    walkMaxSeconds: number('walk-max', smoke ? 15 : 120),
    only: value('only')?.split(','),
    keep: argv.includes('--keep') || argv.includes('--seed-only'),
    seedOnly: argv.includes('--seed-only'),
    reuse: value('reuse'),
    out: resolve(value('out') ?? join(ROOT, 'bench', 'results')),
    webhookBacklog: Math.floor(number('webhook-backlog', smoke ? 2_000 : 100_000)),
    undelivered: argv.includes('--undelivered') ? Math.floor(Number(value('undelivered'))) : smoke ? 5_000 : 1_000_000,
    rounds: Math.floor(number('rounds', smoke ? 1 : 4)),
  };
}

// ---------------------------------------------------------------------------------------------
// Child processes: the servers and the load generator

const children = new Set<ChildProcess>();
/** Drops the fresh database / deletes the SQLite file; also run on Ctrl-C. */
let cleanup: () => Promise<void> = async () => undefined;

function startProcess(
  args: string[],
  env: Record<string, string>,
  ready: RegExp,
  label: string,
): Promise<{ child: ChildProcess; url: string; output: () => string }> {
  const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  child.on('exit', () => children.delete(child));
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => reject(new Error(`${label} did not start in 60 s:\n${output}`)), 60_000);
    const check = () => {
      const match = ready.exec(output);
      if (match) {
        clearTimeout(timer);
        resolvePromise({ child, url: match[1]!, output: () => output });
      }
    };
    child.stdout!.on('data', check);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${label} exited with ${code}:\n${output}`));
    });
  });
}

function stopProcess(child: ChildProcess): Promise<void> {
  return new Promise((resolvePromise) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolvePromise();
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolvePromise();
    });
    child.kill('SIGTERM');
  });
}

class LoadGenerator {
  private readonly child: ChildProcess;
  private next = 1;
  private readonly waiting = new Map<number, { resolve: (r: LoadResult) => void; reject: (e: Error) => void }>();
  constructor() {
    this.child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'bench', 'load.ts')], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    children.add(this.child);
    this.child.on('message', (message: { id: number; result?: LoadResult; error?: string }) => {
      const waiter = this.waiting.get(message.id);
      this.waiting.delete(message.id);
      if (message.error) waiter?.reject(new Error(message.error));
      else waiter?.resolve(message.result!);
    });
    this.child.on('exit', (code) => {
      children.delete(this.child);
      for (const waiter of this.waiting.values()) waiter.reject(new Error(`load generator exited with ${code}`));
    });
  }
  get pid(): number {
    return this.child.pid!;
  }
  run(job: HttpJob | WalkJob | UploadJob): Promise<LoadResult> {
    const id = this.next++;
    return new Promise((resolvePromise, reject) => {
      this.waiting.set(id, { resolve: resolvePromise, reject });
      this.child.send({ id, job });
    });
  }
  close(): Promise<void> {
    this.child.disconnect();
    return stopProcess(this.child);
  }
}

// ---------------------------------------------------------------------------------------------
// Sampling the server process: RSS (VmRSS) and CPU time, every 100 ms

const CLOCK_TICKS = 100; // USER_HZ on Linux

/** utime + stime of a /proc stat file, in seconds. */
function cpuSecondsOf(statFile: string): number {
  const stat = readFileSync(statFile, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

/** The process's RSS and CPU time (all threads), and the CPU time of its main thread (the event loop; its task id is the pid). */
function readProcess(pid: number): { rssMb: number; cpuSeconds: number; mainThreadCpuSeconds: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const rss = /VmRSS:\s+(\d+) kB/.exec(status);
    return {
      rssMb: rss ? Number(rss[1]) / 1024 : 0,
      cpuSeconds: cpuSecondsOf(`/proc/${pid}/stat`),
      mainThreadCpuSeconds: cpuSecondsOf(`/proc/${pid}/task/${pid}/stat`),
    };
  } catch {
    return undefined; // not on Linux, or the process is gone
  }
}

class Sampler {
  peakRssMb = 0;
  private windowPeak = 0;
  private timer: NodeJS.Timeout;
  constructor(private readonly pid: number) {
    this.timer = setInterval(() => this.sample(), 100);
    this.sample();
  }
  private sample() {
    const s = readProcess(this.pid);
    if (!s) return;
    this.peakRssMb = Math.max(this.peakRssMb, s.rssMb);
    this.windowPeak = Math.max(this.windowPeak, s.rssMb);
  }
  /** Starts a measurement window; the returned function ends it. */
  window(): () => { peakRssMb: number; cpuPercent: number; mainThreadCpuPercent: number } {
    this.sample();
    const start = readProcess(this.pid);
    this.windowPeak = start?.rssMb ?? 0;
    const started = performance.now();
    return () => {
      this.sample();
      const end = readProcess(this.pid);
      const seconds = (performance.now() - started) / 1000;
      const cpu = (end?.cpuSeconds ?? 0) - (start?.cpuSeconds ?? 0);
      const mainThread = (end?.mainThreadCpuSeconds ?? 0) - (start?.mainThreadCpuSeconds ?? 0);
      return { peakRssMb: this.windowPeak, cpuPercent: (100 * cpu) / seconds, mainThreadCpuPercent: (100 * mainThread) / seconds };
    };
  }
  stop() {
    clearInterval(this.timer);
  }
}

/**
 * Waits until the server answers /readyz (which runs a query through the store's pool) quickly:
 * requests the client gave up on (timeouts) may still be queued in the server or running in the
 * database, and would slow down the next scenario.
 */
async function drain(url: string, databaseUrl: string, log: (line: string) => void): Promise<void> {
  const started = performance.now();
  if (/^postgres(ql)?:\/\//i.test(databaseUrl)) {
    // The server does not cancel a query when its client goes away: wait for PostgreSQL too.
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      for (;;) {
        const { rows } = await client.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND state = 'active' AND pid <> pg_backend_pid()`,
        );
        if (rows[0]!.n === 0 || performance.now() - started > 180_000) break;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    } finally {
      await client.end();
    }
  }
  for (;;) {
    const t = performance.now();
    try {
      await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(120_000) });
    } catch {
      // keep trying until the deadline
    }
    if (performance.now() - t < 50) break;
    if (performance.now() - started > 180_000) {
      log('  (the server is still busy after 3 minutes; going on)');
      break;
    }
  }
  const waited = performance.now() - started;
  if (waited > 1000) log(`  (waited ${(waited / 1000).toFixed(1)} s for the server to finish queued requests)`);
}

// ---------------------------------------------------------------------------------------------
// Stores

interface BenchState {
  store: 'sqlite' | 'postgres';
  databaseUrl: string;
  instanceId: string;
  primaryKey: string;
  tickets: number;
  setup: Pick<DatasetSetup, 'fields' | 'categories' | 'requestors' | 'agents'>;
  seeding?: unknown;
}

async function createPostgresDatabase(baseUrl: string): Promise<string> {
  const name = `ticketing_bench_${process.pid}_${Date.now()}`;
  const admin = new URL(baseUrl);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE "${name}"`);
  } finally {
    await client.end();
  }
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

async function dropPostgresDatabase(url: string): Promise<void> {
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS "${new URL(url).pathname.slice(1)}" WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

const redact = (url: string) => url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');

/** Words for the search scenarios: a mid-frequency band (what people search for) and one common word. */
async function pickSearchWords(
  databaseUrl: string,
  instanceId: string,
  tickets: number,
): Promise<{ words: { word: string; matches: number }[]; common: { word: string; matches: number } }> {
  const store = openStore(databaseUrl, { synchronous: 'NORMAL', poolSize: 2 });
  try {
    const count = async (word: string) => {
      const parameters: unknown[] = [];
      const param = (value: unknown) => store.dialect.placeholder(parameters.push(value));
      const text = `SELECT count(*) FROM tickets t WHERE t.instance_id = ${param(instanceId)} AND ${store.dialect.fullTextCondition(param, instanceId, [word])}`;
      const rows = await store.readRows({ sql: text, parameters });
      return Number(rows[0]?.[0] ?? 0);
    };
    const vocab = vocabulary();
    const low = Math.max(1, tickets * 0.001);
    const high = Math.max(5, tickets * 0.01);
    const words: { word: string; matches: number }[] = [];
    const random = rng(11);
    const tried = new Set<number>();
    for (let attempt = 0; attempt < 30 && words.length < 6; attempt++) {
      const rank = 250 + Math.floor(random() * 2500);
      if (tried.has(rank)) continue;
      tried.add(rank);
      const word = vocab[rank]!;
      const matches = await count(word);
      if (matches >= low && matches <= high) words.push({ word, matches });
    }
    if (words.length === 0) words.push({ word: vocab[300]!, matches: await count(vocab[300]!) });
    const commonWord = vocab.indexOf('printer') >= 0 ? 'printer' : vocab[25]!;
    return { words, common: { word: commonWord, matches: await count(commonWord) } };
  } finally {
    await store.close();
  }
}

// ---------------------------------------------------------------------------------------------
// Scenarios and targets

interface Target {
  rps?: number;
  p99?: number;
  ticketsPerSecond?: number;
  /** The server's peak RSS during the scenario. */
  maxRssMb?: number;
  text: string;
}

interface Scenario {
  id: string;
  name: string;
  target?: Target;
  /** Runs before the scenario is measured, not measured (e.g. makes the files a download scenario reads). */
  prepare?: (url: string) => Promise<void>;
  job: (url: string) => HttpJob | WalkJob | UploadJob;
  /** Runs after it; what it answers joins the row. */
  after?: (row: Row) => Promise<Partial<Row>>;
}

interface Row {
  id: string;
  scenario: string;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  requests: number;
  rssMb: number;
  serverCpuPercent: number;
  /** Throughput per fully used server core: rps × 100 / CPU %. Less sensitive to other load on the machine. */
  rpsPerCore: number | null;
  ratioToRaw: number | null;
  target: string;
  met: boolean | null;
  ticketsPerSecond?: number;
  complete?: boolean;
  /** Uploads and downloads: file bytes moved per second, in MB (10^6). */
  megabytesPerSecond?: number;
  /** Listings: the itemCount (matching tickets over all pages) each of the scenario's URLs answers. */
  itemCounts?: Record<string, number>;
  statusCodes?: Record<string, number>;
  loadAverage: number;
  vsSqlite?: number | null;
  withinTwiceSqlite?: boolean | null;
  /** Webhook scenarios: how the deliveries went (receiver's view). */
  webhook?: WebhookFigures & { seconds?: number };
  /** Throughput ÷ that of the same requests without the webhook (or the backlog). */
  vsWithout?: number | null;
  /** The server's main thread: its CPU %, and its CPU time per request in µs (the event loop is what one process cannot add cores to). */
  mainThreadCpuPercent?: number;
  eventLoopUsPerRequest?: number;
  /** Measured in alternated rounds (--rounds): each round's req/s, and with ÷ without per round. */
  rounds?: number[];
  roundRatios?: number[];
}

function requestBodies(setup: BenchState['setup'], n: number) {
  const random = rng(5);
  const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)]!;
  const vocab = vocabulary();
  const words = (k: number) => Array.from({ length: k }, () => vocab[Math.floor(Math.pow(random(), 3) * 1500)]).join(' ');
  const [department, , asset, , vip] = setup.fields;
  const tickets = Array.from({ length: n }, () => {
    const category = pick(setup.categories);
    const requestor = pick(setup.requestors);
    return JSON.stringify({
      ticket: {
        title: `New ${words(5)}`,
        description: `${words(25)}.`,
        priority: pick(['Low', 'Medium', 'Important', 'Urgent']),
        requestor,
        ...(random() < 0.7 ? { assignee: pick(setup.agents) } : {}),
        tags: random() < 0.8 ? [{ tagCategoryId: category.id, text: pick(category.tags).text }] : [],
        customFields: {
          [department!.id]: [pick(department!.options).id],
          [asset!.id]: `AT-${100000 + Math.floor(random() * 900000)}`,
          [vip!.id]: random() < 0.05,
        },
      },
      user: requestor,
    });
  });
  const comments = Array.from({ length: n }, () => JSON.stringify({ comment: `${words(15)}.`, isPrivate: random() < 0.15, user: pick(setup.agents) }));
  return { tickets, comments };
}

function scenarios(opts: Options, state: BenchState, search: Awaited<ReturnType<typeof pickSearchWords>>, webhook?: BenchWebhook): Scenario[] {
  const headers = { 'x-api-key': state.primaryKey, accept: 'application/json' };
  const http =
    (request: Omit<RequestTemplate, 'headers'> & { headers?: Record<string, string> }) =>
    (url: string): HttpJob => ({
      kind: 'http',
      url,
      connections: opts.connections,
      warmup: opts.warmup,
      duration: opts.duration,
      request: { ...request, headers: { ...headers, ...request.headers } },
    });
  const bodies = requestBodies(state.setup, 200);
  const json = { 'content-type': 'application/json' };
  const list: (Scenario | undefined)[] = [
    {
      id: 'get-ticket',
      name: 'GET /tickets/{id}',
      target: { rps: 15_000, p99: 10, text: '≥ 15,000 req/s, p99 ≤ 10 ms' },
      job: http({ method: 'GET', paths: ['/api/v1/tickets/{n}'], min: 1, max: state.tickets }),
    },
    {
      id: 'list-default',
      name: 'GET /tickets',
      target: { rps: 8_000, p99: 15, text: '≥ 8,000 req/s, p99 ≤ 15 ms' },
      job: http({ method: 'GET', paths: ['/api/v1/tickets'] }),
    },
    {
      id: 'list-filtered',
      name: 'GET /tickets?limit=50&status=Open&priority=Urgent&orderBy=lastInteraction',
      target: { rps: 3_000, text: '≥ 3,000 req/s' },
      job: http({ method: 'GET', paths: ['/api/v1/tickets?limit=50&status=Open&priority=Urgent&orderBy=lastInteraction'] }),
    },
    {
      id: 'search',
      name: `GET /tickets?search=<word> (${search.words.length} words, ${Math.min(...search.words.map((w) => w.matches))}–${Math.max(...search.words.map((w) => w.matches))} matches)`,
      target: { rps: 1_500, p99: 30, text: '≥ 1,500 req/s, p99 ≤ 30 ms' },
      job: http({ method: 'GET', paths: search.words.map((w) => `/api/v1/tickets?search=${encodeURIComponent(w.word)}`) }),
    },
    {
      id: 'search-common',
      name: `GET /tickets?search=${search.common.word} (common word, ${search.common.matches} matches; 2 connections; no target)`,
      job: (url) => ({
        ...http({ method: 'GET', paths: [`/api/v1/tickets?search=${encodeURIComponent(search.common.word)}`] })(url),
        connections: Math.min(2, opts.connections),
      }),
    },
    {
      id: 'walk',
      name: `walk every page, limit=1000 (${opts.walkers} walker${opts.walkers > 1 ? 's' : ''})`,
      target: { ticketsPerSecond: 100_000, text: '≥ 100,000 tickets/s' },
      job: (url) => ({ kind: 'walk', url, path: '/api/v1/tickets?limit=1000', headers, walkers: opts.walkers, maxSeconds: opts.walkMaxSeconds }),
    },
    {
      id: 'create',
      name: 'POST /tickets',
      target: { rps: 4_000, text: '≥ 4,000 req/s' },
      job: http({ method: 'POST', paths: ['/api/v1/tickets'], bodies: bodies.tickets, headers: json }),
    },
    withWebhook(
      'create-webhook',
      'POST /tickets, a webhook on every event',
      http({ method: 'POST', paths: ['/api/v1/tickets'], bodies: bodies.tickets, headers: json }),
    ),
    {
      id: 'comment',
      name: 'POST /tickets/{id}/activities',
      target: { rps: 4_000, text: '≥ 4,000 req/s' },
      job: http({ method: 'POST', paths: ['/api/v1/tickets/{n}/activities'], min: 1, max: state.tickets, bodies: bodies.comments, headers: json }),
    },
    withWebhook(
      'comment-webhook',
      'POST /tickets/{id}/activities, a webhook on every event',
      http({ method: 'POST', paths: ['/api/v1/tickets/{n}/activities'], min: 1, max: state.tickets, bodies: bodies.comments, headers: json }),
    ),
  ];
  return list.filter((scenario): scenario is Scenario => scenario !== undefined);

  /**
   * The same requests with the benchmark's webhook enabled: each write hands its events to the
   * server's worker, which sends their deliveries to the receiver meanwhile. Right after the run without it, so the
   * two compare (bench/README.md); the deliveries drain before the next scenario.
   */
  function withWebhook(id: string, name: string, job: (url: string) => HttpJob): Scenario | undefined {
    if (!webhook) return undefined;
    let started = 0;
    return {
      id,
      name,
      target: { text: '≤ 10 % below without it' },
      job,
      prepare: async () => {
        await webhook.receiver.reset();
        await webhook.enable(true);
        started = Date.now();
      },
      after: async () => {
        const figures = await webhook.drainLive(started);
        await webhook.enable(false);
        return { webhook: figures };
      },
    };
  }
}

/** Uploads of this size go to the raw server and to the ticket server alike (the 100 KB scenarios). */
const SMALL_FILE = 100 * 1024;

/** Uploads `count` files of `bytes` (random, so each is stored) to tickets 1…count; answers their content paths. */
async function makeFiles(url: string, headers: Record<string, string>, user: string, count: number, bytes: number): Promise<string[]> {
  const paths: string[] = [];
  for (let n = 1; n <= count; n++) {
    const form = new FormData();
    form.append('user', user);
    form.append('files', new Blob([randomBytes(bytes)]), `file-${n}.bin`);
    const response = await fetch(`${url}/api/v1/tickets/${n}/attachments`, { method: 'POST', headers, body: form });
    if (response.status !== 201) throw new Error(`uploading a file for the download scenario failed: ${response.status} ${await response.text()}`);
    const { item } = (await response.json()) as { item: { attachments: { id: string }[] } };
    paths.push(`/api/v1/tickets/${n}/attachments/${item.attachments[0]!.id}/content`);
  }
  return paths;
}

/**
 * Attachments: 100 KB uploads (req/s, p99) and downloads (MB/s) with as many connections as the
 * other scenarios, and 16 uploads of 25 MB at once, where the server must stay under 300 MB of
 * RSS (files stream to storage, never held whole). The smoke run uploads 2 MB files instead.
 */
function attachmentScenarios(opts: Options, state: BenchState): Scenario[] {
  const headers = { 'x-api-key': state.primaryKey, accept: 'application/json' };
  const user = JSON.stringify(state.setup.agents[0]);
  const large = opts.smoke ? 2 * 1024 * 1024 : 25 * 1024 * 1024;
  const upload =
    (fileBytes: number, concurrency: number) =>
    (url: string): UploadJob => ({
      kind: 'upload',
      url,
      path: '/api/v1/tickets/{n}/attachments',
      min: 1,
      max: state.tickets,
      headers,
      fields: { user },
      fileBytes,
      concurrency,
      warmup: opts.warmup,
      duration: opts.duration,
    });
  let downloads: string[] = [];
  return [
    { id: 'upload', name: 'POST /tickets/{id}/attachments, one 100 KB file (multipart)', job: upload(SMALL_FILE, opts.connections) },
    {
      id: 'download',
      name: 'GET /tickets/{id}/attachments/{id}/content, 100 KB',
      prepare: async (url) => {
        downloads = await makeFiles(url, headers, user, 32, SMALL_FILE);
      },
      job: (url) => ({
        kind: 'http',
        url,
        connections: opts.connections,
        warmup: opts.warmup,
        duration: opts.duration,
        request: { method: 'GET', paths: downloads, headers },
      }),
    },
    {
      id: 'upload-large',
      name: `16 uploads of ${large / 2 ** 20} MB at once`,
      target: { maxRssMb: 300, text: 'server RSS ≤ 300 MB' },
      job: upload(large, 16),
    },
  ];
}

/**
 * With BENCH_WINDOWS=file, each scenario's time window (the monotonic clock in µs, as a V8 CPU
 * profile's timestamps) is appended to that file as a JSON line, to cut a server profile taken
 * with BENCH_NODE_FLAGS=--cpu-prof into scenarios (bench/profile-windows.mjs). The window includes
 * the warm-up; `rps` is the measured part's.
 */
function noteProfileWindow(id: string, startedUs: bigint, rps: number): void {
  const file = process.env.BENCH_WINDOWS;
  if (file) appendFileSync(file, `${JSON.stringify({ id, rps, startUs: Number(startedUs), endUs: Number(process.hrtime.bigint() / 1000n) })}\n`);
}

function toRow(
  id: string,
  name: string,
  result: LoadResult,
  window: { peakRssMb: number; cpuPercent: number; mainThreadCpuPercent?: number },
  raw: LoadResult | undefined,
  target: Target | undefined,
): Row {
  const errors = result.non2xx + result.errors + result.timeouts;
  const ticketsPerSecond = result.items !== undefined ? result.items / result.seconds : undefined;
  let met: boolean | null = null;
  if (target) {
    met = errors === 0;
    if (target.rps !== undefined) met &&= result.rps >= target.rps;
    if (target.p99 !== undefined) met &&= result.p99 <= target.p99;
    if (target.ticketsPerSecond !== undefined) met &&= (ticketsPerSecond ?? 0) >= target.ticketsPerSecond;
    if (target.maxRssMb !== undefined) met &&= window.peakRssMb <= target.maxRssMb;
  }
  return {
    id,
    scenario: name,
    rps: Math.round(result.rps * 10) / 10,
    p50: result.p50,
    p99: result.p99,
    errors,
    requests: result.requests,
    rssMb: Math.round(window.peakRssMb),
    serverCpuPercent: Math.round(window.cpuPercent),
    rpsPerCore: window.cpuPercent > 0 ? Math.round((result.rps * 100) / window.cpuPercent) : null,
    ...(window.mainThreadCpuPercent !== undefined && result.rps > 0
      ? {
          mainThreadCpuPercent: Math.round(window.mainThreadCpuPercent),
          eventLoopUsPerRequest: Math.round((window.mainThreadCpuPercent * 10_000) / result.rps),
        }
      : {}),
    ratioToRaw: raw ? Math.round((result.rps / raw.rps) * 1000) / 1000 : null,
    target: target?.text ?? '',
    met,
    ...(ticketsPerSecond !== undefined ? { ticketsPerSecond: Math.round(ticketsPerSecond), complete: result.complete } : {}),
    ...(/upload|download/.test(id) && result.bytes ? { megabytesPerSecond: Math.round(result.bytes / result.seconds / 1e5) / 10 } : {}),
    ...(result.itemCount !== undefined ? { itemCounts: { [name]: result.itemCount } } : {}),
    ...(result.statusCodes ? { statusCodes: result.statusCodes } : {}),
    loadAverage: Math.round(os.loadavg()[0]! * 100) / 100,
  };
}

/**
 * The itemCount each listing URL of a scenario answers: every listing counts the tickets matching
 * its filters over all pages, so the scenarios measure that too (docs/decisions/014).
 */
async function listingCounts(url: string, job: HttpJob | WalkJob | UploadJob): Promise<Record<string, number> | undefined> {
  if (job.kind !== 'http' || job.request.method !== 'GET') return undefined;
  const listings = job.request.paths.filter((path) => /^\/api\/v1\/tickets(\?|$)/.test(path));
  if (listings.length === 0) return undefined;
  const counts: Record<string, number> = {};
  for (const path of listings) {
    const response = await fetch(`${url}${path}`, { headers: job.request.headers });
    if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
    counts[path] = ((await response.json()) as { itemCount: number }).itemCount;
  }
  return counts;
}

// ---------------------------------------------------------------------------------------------
// Webhooks (bench/webhooks.ts)

/** The scenarios that need the webhook receiver. */
const WEBHOOK_SCENARIOS = ['create-webhook', 'comment-webhook', 'webhook-backlog', 'get-ticket-undelivered', 'create-undelivered'];

/** The backlog scenario as a row: deliveries per second in place of requests. */
function backlogRow(count: number, figures: WebhookFigures & { seconds: number }, window: { peakRssMb: number; cpuPercent: number }, raw: LoadResult): Row {
  const complete = figures.delivered === count && figures.duplicates === 0 && figures.badSignatures === 0;
  return {
    id: 'webhook-backlog',
    scenario: `webhook backlog: ${fmt(count)} events delivered to a local receiver (deliveries/s; latency from release)`,
    rps: figures.deliveriesPerSecond,
    p50: figures.p50,
    p99: figures.p99,
    errors: count - figures.delivered + figures.duplicates + figures.badSignatures,
    requests: figures.delivered,
    rssMb: Math.round(window.peakRssMb),
    serverCpuPercent: Math.round(window.cpuPercent),
    rpsPerCore: window.cpuPercent > 0 ? Math.round((figures.deliveriesPerSecond * 100) / window.cpuPercent) : null,
    ratioToRaw: Math.round((figures.deliveriesPerSecond / raw.rps) * 1000) / 1000,
    target: '≥ 2,000 deliveries/s',
    met: complete && figures.deliveriesPerSecond >= 2_000,
    webhook: figures,
    loadAverage: Math.round(os.loadavg()[0]! * 100) / 100,
  };
}

/**
 * Each webhook row against the same requests without the webhook (or without the waiting
 * deliveries): within 10 %, with every delivery received once and correctly signed.
 */
function compareWebhookRows(rows: Row[]): void {
  const pairs: [string, string][] = [...WEBHOOK_PAIRS, ['get-ticket-undelivered', 'get-ticket'], ['create-undelivered', 'create-webhook']];
  for (const [id, baseId] of pairs) {
    const row = rows.find((r) => r.id === id);
    const base = rows.find((r) => r.id === baseId);
    if (!row) continue;
    row.vsWithout = base && base.rps > 0 ? Math.round((row.rps / base.rps) * 1000) / 1000 : null;
    if (row.rounds && base?.rounds?.length === row.rounds.length) {
      row.roundRatios = row.rounds.map((rps, i) => Math.round((rps / base.rounds![i]!) * 1000) / 1000);
    }
    row.target = id.endsWith('undelivered') ? `within 10 % of ${baseId}` : `≤ 10 % below ${baseId}`;
    const deliveries = !row.webhook || (row.webhook.duplicates === 0 && row.webhook.badSignatures === 0 && row.webhook.delivered > 0);
    row.met = row.errors === 0 && deliveries && row.vsWithout !== null && row.vsWithout >= 0.9;
  }
}

/** Ticket writes measured with and without the webhook (with, without): alternated in rounds. */
const WEBHOOK_PAIRS: [string, string][] = [
  ['create-webhook', 'create'],
  ['comment-webhook', 'comment'],
];

/** The median of the values (the upper one of an even count). */
const middle = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/** One row from the rounds of a scenario: throughput and CPU averaged, latencies the median round's, peaks the highest. */
function mergeRounds(rounds: Row[], raw: LoadResult | undefined): Row {
  const mean = (f: (r: Row) => number) => rounds.reduce((sum, r) => sum + f(r), 0) / rounds.length;
  const median = (f: (r: Row) => number) => middle(rounds.map(f));
  const rps = Math.round(mean((r) => r.rps) * 10) / 10;
  const cpu = mean((r) => r.serverCpuPercent);
  const merged: Row = {
    ...rounds[0]!,
    rps,
    p50: median((r) => r.p50),
    p99: median((r) => r.p99),
    errors: rounds.reduce((sum, r) => sum + r.errors, 0),
    requests: rounds.reduce((sum, r) => sum + r.requests, 0),
    rssMb: Math.max(...rounds.map((r) => r.rssMb)),
    serverCpuPercent: Math.round(cpu),
    rpsPerCore: cpu > 0 ? Math.round((rps * 100) / cpu) : null,
    ratioToRaw: raw ? Math.round((rps / raw.rps) * 1000) / 1000 : null,
    loadAverage: Math.max(...rounds.map((r) => r.loadAverage)),
    rounds: rounds.map((r) => r.rps),
  };
  if (rounds.every((r) => r.eventLoopUsPerRequest !== undefined)) {
    merged.mainThreadCpuPercent = Math.round(mean((r) => r.mainThreadCpuPercent!));
    merged.eventLoopUsPerRequest = Math.round(mean((r) => r.eventLoopUsPerRequest!));
  }
  merged.met = rounds.every((r) => r.met !== false) && (rounds[0]!.met === null ? null : true);
  const webhooks = rounds.map((r) => r.webhook).filter((w) => w !== undefined);
  if (webhooks.length > 0) {
    merged.webhook = {
      delivered: webhooks.reduce((sum, w) => sum + w.delivered, 0),
      duplicates: webhooks.reduce((sum, w) => sum + w.duplicates, 0),
      badSignatures: webhooks.reduce((sum, w) => sum + w.badSignatures, 0),
      deliveriesPerSecond: Math.round(webhooks.reduce((sum, w) => sum + w.deliveriesPerSecond, 0) / webhooks.length),
      p50: middle(webhooks.map((w) => w.p50)),
      p99: middle(webhooks.map((w) => w.p99)),
      max: Math.max(...webhooks.map((w) => w.max)),
      receiverCpuUsPerDelivery: middle(webhooks.map((w) => w.receiverCpuUsPerDelivery)),
    };
  }
  return merged;
}

/** What the receiver saw of each webhook scenario. */
function webhookLines(rows: Row[]): string[] {
  return rows
    .filter((r) => r.webhook)
    .map((r) => {
      const w = r.webhook!;
      const ratio = r.vsWithout != null ? `, ${fmt(r.vsWithout * 100, 1)} % of the throughput without` : '';
      const rounds = r.roundRatios ? ` (rounds: ${r.roundRatios.map((x) => `${fmt(x * 100, 1)} %`).join(', ')})` : '';
      const base = rows.find((b) => b.id === WEBHOOK_PAIRS.find(([id]) => id === r.id)?.[1]);
      const eventLoop =
        r.eventLoopUsPerRequest !== undefined && base?.eventLoopUsPerRequest !== undefined
          ? `; the server's event loop: ${fmt(r.eventLoopUsPerRequest)} µs CPU per request, ${fmt(base.eventLoopUsPerRequest)} without (+${fmt(((r.eventLoopUsPerRequest - base.eventLoopUsPerRequest) * 100) / base.eventLoopUsPerRequest, 1)} %)`
          : '';
      // The whole server process (its sending thread and SQLite's workers too), from its CPU % and req/s.
      const processUs = (row: Row) => (row.serverCpuPercent * 10_000) / row.rps;
      const serverProcess =
        base && base.rps > 0 && r.rps > 0
          ? `; the server process: ${fmt(processUs(r))} µs CPU per request, ${fmt(processUs(base))} without (+${fmt(((processUs(r) - processUs(base)) * 100) / processUs(base), 1)} %)`
          : '';
      const receiver = `; the receiver: ${fmt(w.receiverCpuUsPerDelivery)} µs CPU per delivery`;
      return `  ${r.id}: ${fmt(w.delivered)} delivered (${fmt(w.deliveriesPerSecond)}/s), event→receipt p50 ${fmt(w.p50)} ms, p99 ${fmt(w.p99)} ms, max ${fmt(w.max)} ms; duplicates ${w.duplicates}, bad signatures ${w.badSignatures}${ratio}${rounds}${eventLoop}${serverProcess}${receiver}`;
    });
}

// ---------------------------------------------------------------------------------------------
// Output

const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

function printTable(rows: Row[], store: string): string {
  const withSqlite = rows.some((r) => r.vsSqlite !== undefined);
  const header = [
    'scenario',
    'req/s',
    'p50 ms',
    'p99 ms',
    'errors',
    'RSS MB',
    'CPU %',
    'req/s/core',
    '× raw',
    'target',
    'met?',
    ...(withSqlite ? ['÷ SQLite', '≤ 2×?'] : []),
  ];
  const lines = rows.map((r) => [
    r.scenario,
    r.ticketsPerSecond !== undefined
      ? `${fmt(r.rps, 1)} pages (${fmt(r.ticketsPerSecond)} tickets/s${r.complete === false ? ', partial' : ''})`
      : r.id === 'memory'
        ? ''
        : r.megabytesPerSecond !== undefined
          ? `${fmt(r.rps, r.rps < 100 ? 1 : 0)} (${fmt(r.megabytesPerSecond, 1)} MB/s)`
          : fmt(r.rps),
    r.id === 'memory' ? '' : fmt(r.p50, 2),
    r.id === 'memory' ? '' : fmt(r.p99, 2),
    r.id === 'memory' ? '' : fmt(r.errors),
    fmt(r.rssMb),
    r.id === 'memory' ? '' : fmt(r.serverCpuPercent),
    r.rpsPerCore === null ? '' : fmt(r.rpsPerCore),
    r.ratioToRaw === null ? '' : fmt(r.ratioToRaw, 3),
    r.target,
    r.met === null ? '' : r.met ? 'yes' : 'NO',
    ...(withSqlite ? [r.vsSqlite == null ? '' : fmt(r.vsSqlite, 2), r.withinTwiceSqlite == null ? '' : r.withinTwiceSqlite ? 'yes' : 'NO'] : []),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => (i === 0 || i === 9 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  const text = [`Results (${store})`, line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...lines.map(line)].join('\n');
  process.stdout.write(`\n${text}\n`);
  return text;
}

/** The newest SQLite result with the same number of tickets, to hold PostgreSQL to "within 2×". */
function latestSqliteResult(out: string, tickets: number): { file: string; rows: Row[] } | undefined {
  if (!existsSync(out)) return undefined;
  const files = readdirSync(out)
    .filter((f) => f.endsWith('-sqlite.json'))
    .sort()
    .reverse();
  for (const file of files) {
    try {
      const data = JSON.parse(readFileSync(join(out, file), 'utf8')) as { tickets: number; rows: Row[]; smoke?: boolean; options?: { only?: string[] } };
      if (data.tickets === tickets && !data.smoke && !data.options?.only) return { file, rows: data.rows };
    } catch {
      // ignore unreadable files
    }
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const opts = parseOptions(process.argv.slice(2));
  const log = (line: string) => process.stdout.write(`${line}\n`);
  const startedAt = new Date();
  const stamp = startedAt.toISOString().replace(/[:.]/g, '-');
  const base = process.env.DATABASE_URL?.trim();
  const storeName: 'sqlite' | 'postgres' = base && /^postgres(ql)?:\/\//i.test(base) ? 'postgres' : 'sqlite';
  const loadAtStart = os.loadavg();

  log(`Benchmark: ${fmt(opts.tickets)} tickets on ${storeName}, ${opts.duration} s per scenario (+${opts.warmup} s warm-up), ${opts.connections} connections`);
  log(
    `Machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${fmt(os.totalmem() / 2 ** 30, 1)} GiB, Node ${process.version}, load average ${loadAtStart.map((l) => l.toFixed(2)).join(' ')}`,
  );

  let state: BenchState;
  if (opts.reuse) {
    state = JSON.parse(readFileSync(opts.reuse, 'utf8')) as BenchState;
    log(`Reusing ${redact(state.databaseUrl)} (${fmt(state.tickets)} tickets) from ${opts.reuse}`);
  } else {
    let databaseUrl: string;
    if (storeName === 'postgres') {
      databaseUrl = await createPostgresDatabase(base!);
      if (!opts.keep) cleanup = () => dropPostgresDatabase(databaseUrl);
    } else {
      mkdirSync(join(ROOT, 'bench', 'data'), { recursive: true });
      const file = join(ROOT, 'bench', 'data', `bench-${stamp}.db`);
      databaseUrl = `sqlite:${file}`;
      if (!opts.keep)
        cleanup = async () => {
          for (const suffix of ['', '-wal', '-shm', '-journal']) rmSync(`${file}${suffix}`, { force: true });
        };
    }
    log(`Seeding ${redact(databaseUrl)} …`);
    try {
      const seeded = await seed(databaseUrl, opts.tickets, log);
      const { setup } = seeded;
      state = {
        store: storeName,
        databaseUrl,
        instanceId: seeded.instanceId,
        primaryKey: seeded.primaryKey,
        tickets: seeded.result.lastTicketNumber,
        setup: { fields: setup.fields, categories: setup.categories, requestors: setup.requestors, agents: setup.agents },
        seeding: { seconds: Math.round(seeded.seconds * 10) / 10, finishSeconds: Math.round(seeded.finishSeconds * 10) / 10, ...seeded.result },
      };
      const r = seeded.result;
      log(
        `Seeded ${fmt(r.tickets)} tickets, ${fmt(r.activities)} activities, ${fmt(r.tags)} tags in ${seeded.seconds.toFixed(1)} s ` +
          `(${fmt(r.tickets / seeded.seconds)} tickets/s; indexes + commit ${seeded.finishSeconds.toFixed(1)} s) — ${Object.entries(r.timings)
            .map(([k, v]) => `${k} ${(v / 1000).toFixed(1)} s`)
            .join(', ')}`,
      );
      if (opts.keep) {
        const stateFile = join(ROOT, 'bench', 'data', `bench-${stamp}-${storeName}.json`);
        writeFileSync(stateFile, JSON.stringify(state, null, 2));
        log(`Kept the store; rerun on it with --reuse ${stateFile}`);
      }
    } catch (error) {
      await cleanup().catch(() => undefined);
      throw error;
    }
  }

  if (opts.seedOnly) return;
  const rows: Row[] = [];
  const attachmentRows: Row[] = [];
  // Attachments go to a folder of this run's (removed with it), or to STORAGE_URL when it is set (say, an S3 bucket).
  const filesDir = join(ROOT, 'bench', 'data', `files-${stamp}`);
  const storageUrl = process.env.STORAGE_URL?.trim() || `file:${filesDir}`;
  const cleanupStore = cleanup;
  cleanup = async () => {
    rmSync(filesDir, { recursive: true, force: true });
    await cleanupStore();
  };
  let serverOutput = '';
  let peakRss = 0;
  let desk: DeskFigures | undefined;
  let searchInfo: Awaited<ReturnType<typeof pickSearchWords>>;
  try {
    searchInfo = await pickSearchWords(state.databaseUrl, state.instanceId, state.tickets);
  } catch (error) {
    await cleanup().catch(() => undefined);
    throw error;
  }
  log(`Search words: ${searchInfo.words.map((w) => `${w.word} (${w.matches})`).join(', ')}; common: ${searchInfo.common.word} (${searchInfo.common.matches})`);

  const load = new LoadGenerator();
  try {
    // The ceiling: a bare node:http server, measured like the scenarios.
    const rawServer = await startProcess(['--import', 'tsx', join(ROOT, 'bench', 'raw-server.ts')], {}, /listening on (http:\/\/\S+)/, 'raw server');
    const rawSampler = new Sampler(rawServer.child.pid!);
    const rawWindow = rawSampler.window();
    const raw = await load.run({
      kind: 'http',
      url: rawServer.url,
      connections: opts.connections,
      warmup: opts.warmup,
      duration: opts.duration,
      request: { method: 'GET', paths: ['/'], headers: {} },
    });
    rows.push(toRow('raw', 'raw node:http, 1 KB JSON (ceiling)', raw, rawWindow(), raw, undefined));
    log(`  ${rows.at(-1)!.scenario}: ${fmt(raw.rps)} req/s`);
    // The ceilings of the attachment scenarios, shown beside them.
    const rawUploadWindow = rawSampler.window();
    const rawUpload = await load.run({
      kind: 'upload',
      url: rawServer.url,
      path: '/upload',
      min: 1,
      max: 1,
      headers: {},
      fields: { user: '{}' },
      fileBytes: SMALL_FILE,
      concurrency: opts.connections,
      warmup: opts.warmup,
      duration: opts.duration,
    });
    attachmentRows.push(toRow('raw-upload', 'raw node:http, 100 KB upload read and dropped (ceiling)', rawUpload, rawUploadWindow(), rawUpload, undefined));
    const rawDownloadWindow = rawSampler.window();
    const rawDownload = await load.run({
      kind: 'http',
      url: rawServer.url,
      connections: opts.connections,
      warmup: opts.warmup,
      duration: opts.duration,
      request: { method: 'GET', paths: [`/bytes/${SMALL_FILE}`], headers: {} },
    });
    const rawDownloadRow = toRow('raw-download', 'raw node:http, 100 KB from memory (ceiling)', rawDownload, rawDownloadWindow(), rawDownload, undefined);
    rawSampler.stop();
    await stopProcess(rawServer.child);

    // The real server, as `npm start` runs it (bundled first, as its prestart does), plus whatever BENCH_NODE_FLAGS adds
    // (e.g. BENCH_NODE_FLAGS="--cpu-prof --cpu-prof-dir=bench/profiles").
    execFileSync(process.execPath, [join(ROOT, 'scripts', 'build-server.mjs')], { stdio: 'inherit' });
    // The desk scenario runs only when asked for by name (--only desk): it needs Chromium and the web app built.
    const deskWanted = opts.only?.includes('desk') ?? false;
    if (deskWanted) execFileSync(process.execPath, [join(ROOT, 'scripts', 'build-web.mjs')], { stdio: 'inherit' });
    const nodeFlags = (process.env.BENCH_NODE_FLAGS ?? '').split(/\s+/).filter(Boolean);
    const server = await startProcess(
      [...nodeFlags, 'dist/server.mjs'],
      {
        DATABASE_URL: state.databaseUrl,
        PORT: '0',
        HOST: '127.0.0.1',
        RATE_LIMIT_MAX: '1000000000',
        LOG_LEVEL: 'warn',
        ADMIN_TOKEN: BENCH_ADMIN_TOKEN,
        PUBLIC_URL: '',
        STORAGE_URL: storageUrl,
        // The benchmark's webhook receiver runs on 127.0.0.1.
        WEBHOOK_ALLOW_PRIVATE: '1',
      },
      /listening on (http:\/\/\S+)/,
      'server',
    );
    const sampler = new Sampler(server.child.pid!);
    const wanted = (id: string) => !opts.only || opts.only.includes(id);
    const api = async (method: string, path: string, body?: unknown) => {
      const response = await fetch(`${server.url}${path}`, {
        method,
        headers: { 'x-api-key': state.primaryKey, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await response.text();
      return { status: response.status, body: text ? JSON.parse(text) : undefined };
    };
    let receiver: ReceiverProcess | undefined;
    let webhook: BenchWebhook | undefined;
    try {
      if (WEBHOOK_SCENARIOS.some(wanted)) {
        receiver = await ReceiverProcess.start(ROOT, children);
        webhook = await BenchWebhook.create(api, receiver, { databaseUrl: state.databaseUrl, instanceId: state.instanceId });
      }
      const all = scenarios(opts, state, searchInfo, webhook);
      /** Measures one scenario into `into` (the ticket rows unless said), against `ceiling` (the 1 KB raw server unless said). */
      const measure = async (scenario: Scenario, options: { id?: string; name?: string; ceiling?: LoadResult | undefined; into?: Row[] } = {}) => {
        const { id = scenario.id, name = scenario.name, into = rows } = options;
        const ceiling = 'ceiling' in options ? options.ceiling : raw;
        await drain(server.url, state.databaseUrl, log);
        await scenario.prepare?.(server.url);
        const job = scenario.job(server.url);
        const itemCounts = await listingCounts(server.url, job);
        const end = sampler.window();
        const startedUs = process.hrtime.bigint() / 1000n;
        const result = await load.run(job);
        const row = toRow(id, name, result, end(), ceiling, scenario.target);
        noteProfileWindow(id, startedUs, result.rps);
        Object.assign(row, await scenario.after?.(row));
        if (itemCounts) row.itemCounts = itemCounts;
        if (id === 'list-default' && itemCounts && Object.values(itemCounts)[0] !== state.tickets) {
          log(`  WRONG itemCount: GET /tickets counted ${Object.values(itemCounts)[0]} tickets of ${state.tickets}`);
        }
        if (id === 'walk' && result.complete && result.items !== (result.itemCount ?? 0) * Math.max(1, opts.walkers)) {
          log(`  WRONG itemCount: the walk received ${result.items} tickets, its first page counted ${result.itemCount} per walker`);
        }
        into.push(row);
        const codes =
          row.errors > 0 ? ` status codes ${JSON.stringify(result.statusCodes ?? {})}, socket errors ${result.errors}, timeouts ${result.timeouts}` : '';
        const counted = row.itemCounts
          ? `, itemCount ${Object.values(row.itemCounts)
              .map((n) => fmt(n))
              .join(' / ')}`
          : '';
        const delivered = row.webhook ? `; webhook: ${fmt(row.webhook.delivered)} delivered, p99 event→receipt ${fmt(row.webhook.p99)} ms` : '';
        log(
          `  ${row.scenario}: ${row.ticketsPerSecond !== undefined ? `${fmt(row.ticketsPerSecond)} tickets/s, ` : ''}${fmt(row.rps)} req/s${row.megabytesPerSecond !== undefined ? ` (${fmt(row.megabytesPerSecond, 1)} MB/s)` : ''}, p50 ${row.p50} ms, p99 ${row.p99} ms, errors ${row.errors}, peak RSS ${row.rssMb} MB${row.eventLoopUsPerRequest !== undefined ? `, event loop ${fmt(row.eventLoopUsPerRequest)} µs CPU/request` : ''}${codes}${counted}${delivered}`,
        );
      };
      const paired = new Map(WEBHOOK_PAIRS.map(([withId, baseId]) => [baseId, withId]));
      const done = new Set<string>();
      for (const scenario of all) {
        if (!wanted(scenario.id) || done.has(scenario.id)) continue;
        const partner = all.find((s) => s.id === paired.get(scenario.id) && wanted(s.id));
        if (!partner || opts.rounds === 1) {
          await measure(scenario);
          continue;
        }
        // With and without the webhook alternated, round after round, and which goes first too
        // (without, with; with, without; …): the machine's drift over a run (other load, the WAL,
        // the data growing with every write) falls on both alike, not always on the second
        // (bench/README.md).
        const rounds: Row[][] = [[], []];
        for (let round = 1; round <= opts.rounds; round++) {
          log(`  round ${round} of ${opts.rounds}:`);
          const order = round % 2 === 1 ? [0, 1] : [1, 0];
          for (const which of order) await measure(which === 0 ? scenario : partner, { into: rounds[which] });
        }
        rows.push(mergeRounds(rounds[0]!, raw), mergeRounds(rounds[1]!, raw));
        done.add(partner.id);
      }
      if (deskWanted) {
        await drain(server.url, state.databaseUrl, log);
        log(`  desk in Chromium: first row, then ${fmt(Math.min(5_000, state.tickets))} rows scrolled …`);
        desk = await measureDesk({
          serverUrl: server.url,
          instanceId: state.instanceId,
          adminToken: BENCH_ADMIN_TOKEN,
          rows: Math.min(5_000, state.tickets),
          log,
        });
      }

      if (webhook && wanted('webhook-backlog')) {
        await drain(server.url, state.databaseUrl, log);
        await webhook.enable(true);
        log(`  webhook backlog: queuing ${fmt(opts.webhookBacklog)} events …`);
        const end = sampler.window();
        const figures = await webhook.backlog(opts.webhookBacklog, log);
        const window = end();
        await webhook.enable(false);
        rows.push(backlogRow(opts.webhookBacklog, figures, window, raw));
        log(
          `  ${rows.at(-1)!.scenario}: ${fmt(figures.deliveriesPerSecond)} deliveries/s (${figures.seconds} s), p50 ${figures.p50} ms, p99 ${figures.p99} ms`,
        );
      }
      if (webhook && opts.undelivered > 0 && (wanted('get-ticket-undelivered') || wanted('create-undelivered'))) {
        log(`  queuing ${fmt(opts.undelivered)} deliveries due in a day (undelivered: waiting for a retry) …`);
        await webhook.undelivered(opts.undelivered, log);
        const byId = new Map(all.map((scenario) => [scenario.id, scenario]));
        const waiting = `${fmt(opts.undelivered)} deliveries waiting`;
        if (wanted('get-ticket-undelivered')) await measure(byId.get('get-ticket')!, { id: 'get-ticket-undelivered', name: `GET /tickets/{id}, ${waiting}` });
        if (wanted('create-undelivered'))
          await measure(byId.get('create-webhook')!, { id: 'create-undelivered', name: `POST /tickets, a webhook on every event, ${waiting}` });
      }
      if (opts.keep) await webhook?.delete();

      // The memory target is of the ticket and webhook scenarios; the attachment ones report their own peaks.
      peakRss = sampler.peakRssMb;
      const [upload, download, large] = attachmentScenarios(opts, state);
      if (wanted(upload!.id)) await measure(upload!, { ceiling: rawUpload, into: attachmentRows });
      attachmentRows.push(rawDownloadRow);
      if (wanted(download!.id)) await measure(download!, { ceiling: rawDownload, into: attachmentRows });
      // A 25 MB upload has no 100 KB ceiling.
      if (wanted(large!.id)) await measure(large!, { ceiling: undefined, into: attachmentRows });
    } finally {
      receiver?.close();
      sampler.stop();
      serverOutput = server.output();
      await stopProcess(server.child);
    }
  } finally {
    await load.close();
    await cleanup().catch((error: unknown) => log(`cleanup failed: ${String(error)}`));
  }

  rows.push({
    id: 'memory',
    scenario: 'server RSS, peak over the ticket scenarios above',
    rps: 0,
    p50: 0,
    p99: 0,
    errors: 0,
    requests: 0,
    rssMb: Math.round(peakRss),
    serverCpuPercent: 0,
    rpsPerCore: null,
    ratioToRaw: null,
    target: 'RSS ≤ 250 MB',
    met: peakRss <= 250,
    loadAverage: Math.round(os.loadavg()[0]! * 100) / 100,
  });
  rows.push(...attachmentRows);

  compareWebhookRows(rows);

  let comparedWith: string | undefined;
  if (storeName === 'postgres') {
    const sqlite = latestSqliteResult(opts.out, state.tickets);
    if (sqlite) {
      comparedWith = sqlite.file;
      for (const row of rows) {
        const other = sqlite.rows.find((r) => r.id === row.id);
        if (!other || row.id === 'memory' || row.id === 'raw') continue;
        const mine = row.ticketsPerSecond ?? row.rps;
        const theirs = other.ticketsPerSecond ?? other.rps;
        row.vsSqlite = theirs > 0 ? Math.round((mine / theirs) * 100) / 100 : null;
        row.withinTwiceSqlite = theirs > 0 ? mine * 2 >= theirs : null;
      }
    }
  }

  const table = printTable(rows, `${storeName}, ${fmt(state.tickets)} tickets${comparedWith ? `; ÷ SQLite: against ${comparedWith}` : ''}`);
  const deliveries = webhookLines(rows);
  if (deliveries.length > 0) log(['', 'Webhook deliveries (the receiver’s view):', ...deliveries].join('\n'));
  // Warnings and errors the server logged, grouped by message.
  const warnings = new Map<string, number>();
  for (const line of serverOutput.split('\n')) {
    if (!/"level":(40|50|60)/.test(line)) continue;
    let message = line.slice(0, 200);
    try {
      const entry = JSON.parse(line) as { msg?: string; err?: { message?: string } };
      message = `${entry.msg ?? ''}${entry.err?.message ? ` (${entry.err.message})` : ''}`;
    } catch {
      // not JSON: keep the start of the line
    }
    warnings.set(message, (warnings.get(message) ?? 0) + 1);
  }
  if (warnings.size > 0) {
    log('\nThe server logged warnings/errors:');
    for (const [message, count] of warnings) log(`  ${count} × ${message}`);
  }

  mkdirSync(opts.out, { recursive: true });
  const file = join(opts.out, `${stamp}-${storeName}.json`);
  writeFileSync(
    file,
    JSON.stringify(
      {
        startedAt: startedAt.toISOString(),
        finishedAt: new Date().toISOString(),
        store: storeName,
        tickets: state.tickets,
        smoke: opts.smoke,
        options: { ...opts, out: undefined },
        machine: {
          cpus: os.cpus().length,
          model: os.cpus()[0]?.model,
          memoryGiB: Math.round(os.totalmem() / 2 ** 30),
          node: process.version,
          loadAverageAtStart: loadAtStart,
          loadAverageAtEnd: os.loadavg(),
        },
        serverNodeFlags: process.env.BENCH_NODE_FLAGS ?? '',
        seeding: state.seeding ?? null,
        searchWords: searchInfo,
        comparedWith: comparedWith ?? null,
        rows,
        table,
        desk: desk ?? null,
        serverWarnings: Object.fromEntries(warnings),
      },
      null,
      2,
    ),
  );
  log(`\nWrote ${file}`);
}

const killChildren = () => {
  for (const child of children) child.kill('SIGKILL');
};
process.on('exit', killChildren);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    killChildren();
    process.stderr.write('\ninterrupted: cleaning up the benchmark store\n');
    const timer = setTimeout(() => process.exit(130), 15_000);
    cleanup()
      .catch(() => undefined)
      .finally(() => {
        clearTimeout(timer);
        process.exit(130);
      });
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
