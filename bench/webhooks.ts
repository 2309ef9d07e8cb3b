import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { ReceiverStats } from './webhook-receiver.js';
import { insertWebhookBacklog, releaseWebhookBacklog } from './webhook-backlog.js';

/*
 * The webhook part of the benchmark (bench/README.md): a receiver process, a webhook on the
 * benchmark's instance pointing at it, and the measurements that need them — ticket writes with
 * the webhook enabled (deliveries made as they happen), a backlog drained at once, and the API
 * with a million deliveries waiting for a retry.
 */

/** The receiver (bench/webhook-receiver.ts) in its own process, driven over IPC. */
export class ReceiverProcess {
  private next = 1;
  private readonly waiting = new Map<number, (stats: ReceiverStats) => void>();
  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
  ) {
    child.on('message', (message: { id: number; stats: ReceiverStats }) => {
      this.waiting.get(message.id)?.(message.stats);
      this.waiting.delete(message.id);
    });
  }

  static async start(root: string, children: Set<ChildProcess>): Promise<ReceiverProcess> {
    const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'bench', 'webhook-receiver.ts')], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
    });
    children.add(child);
    child.on('exit', () => children.delete(child));
    const url = await new Promise<string>((resolve, reject) => {
      let output = '';
      const timer = setTimeout(() => reject(new Error(`webhook receiver did not start:\n${output}`)), 60_000);
      child.stdout!.on('data', (chunk) => {
        output += chunk;
        const match = /listening on (http:\/\/\S+)/.exec(output);
        if (match) {
          clearTimeout(timer);
          resolve(match[1]!);
        }
      });
    });
    return new ReceiverProcess(child, url);
  }

  private call(message: Record<string, unknown>): Promise<ReceiverStats> {
    const id = this.next++;
    return new Promise((resolve) => {
      this.waiting.set(id, resolve);
      this.child.send({ id, ...message });
    });
  }

  setSecret = (secret: string) => this.call({ cmd: 'secret', secret });
  /** Forgets what it received; latencies then count from `floor` (epoch ms) at the earliest. */
  reset = (floor = 0) => this.call({ cmd: 'reset', floor });
  stats = () => this.call({ cmd: 'stats' });
  /** Once `count` distinct deliveries arrived and then none for `idleMs`. */
  waitFor = (count: number, idleMs = 1000, timeoutMs = 900_000) => this.call({ cmd: 'wait', count, idleMs, timeoutMs });

  close(): void {
    this.child.kill('SIGTERM');
  }
}

export interface WebhookFigures {
  delivered: number;
  duplicates: number;
  badSignatures: number;
  deliveriesPerSecond: number;
  /** Event to receipt, ms. */
  p50: number;
  p99: number;
  max: number;
  /** The receiver's CPU time per delivery received, µs: the benchmark's own share of the machine. */
  receiverCpuUsPerDelivery: number;
}

const figures = (stats: ReceiverStats, since: number): WebhookFigures => ({
  delivered: stats.unique,
  duplicates: stats.duplicates,
  badSignatures: stats.badSignatures,
  deliveriesPerSecond: stats.lastAt > since ? Math.round((stats.unique * 1000) / (stats.lastAt - since)) : 0,
  p50: stats.p50,
  p99: stats.p99,
  max: stats.max,
  receiverCpuUsPerDelivery: stats.received > 0 ? Math.round(stats.cpuUs / stats.received) : 0,
});

type Api = (method: string, path: string, body?: unknown) => Promise<{ status: number; body: any }>;

/** A webhook on the benchmark's instance, subscribed to every event, pointing at the receiver. */
export class BenchWebhook {
  /** Deliveries queued for tomorrow by undelivered(): pending for the rest of the run. */
  private parked = 0;

  private constructor(
    private readonly api: Api,
    readonly receiver: ReceiverProcess,
    readonly id: string,
    private readonly target: { databaseUrl: string; instanceId: string },
  ) {}

  static async create(api: Api, receiver: ReceiverProcess, target: { databaseUrl: string; instanceId: string }): Promise<BenchWebhook> {
    const created = await api('POST', '/api/v1/instance/webhooks', { url: receiver.url, events: ['*'], enabled: false, description: 'benchmark receiver' });
    if (created.status !== 201) throw new Error(`creating the benchmark webhook failed: ${created.status} ${JSON.stringify(created.body)}`);
    await receiver.setSecret(created.body.secret);
    return new BenchWebhook(api, receiver, created.body.item.id, target);
  }

  async enable(enabled: boolean): Promise<void> {
    const answer = await this.api('PUT', `/api/v1/instance/webhooks/${this.id}`, { enabled });
    if (answer.status !== 200) throw new Error(`switching the benchmark webhook failed: ${answer.status}`);
  }

  /** Whether any delivery of the webhook is still pending (1) or not (0). */
  async pending(): Promise<number> {
    const answer = await this.api('GET', `/api/v1/instance/webhooks/${this.id}/deliveries?status=pending&limit=1`);
    return answer.body.items.length;
  }

  /** Waits for the deliveries of a load run to drain, and answers how they went. */
  async drainLive(since: number): Promise<WebhookFigures> {
    // Deliveries parked for tomorrow (undelivered()) stay pending: then the receiver going quiet
    // is the only sign that this run's deliveries are in.
    if (this.parked === 0) {
      const deadline = Date.now() + 600_000;
      while ((await this.pending()) > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const stats = await this.receiver.waitFor(0, this.parked === 0 ? 1000 : 3000);
    return figures(stats, since);
  }

  /**
   * A backlog of `count` events queued for the webhook (not due), then released at once: how
   * fast the server's worker delivers them all.
   */
  async backlog(count: number, log: (line: string) => void): Promise<WebhookFigures & { seconds: number }> {
    const later = () => new Date(Date.now() + 3_600_000).toISOString();
    await insertWebhookBacklog(this.target.databaseUrl, { instanceId: this.target.instanceId, webhookId: this.id }, count, later, log);
    await this.receiver.reset(Date.now());
    const released = await releaseWebhookBacklog(this.target.databaseUrl, { instanceId: this.target.instanceId, webhookId: this.id });
    const stats = await this.receiver.waitFor(count, 1000);
    if (stats.unique < count) log(`  the receiver got ${stats.unique} of ${count} deliveries`);
    return { ...figures(stats, released), seconds: Math.round((stats.lastAt - released) / 100) / 10 };
  }

  /** `count` deliveries waiting for a retry a day from now: the API should not notice them. */
  async undelivered(count: number, log: (line: string) => void): Promise<void> {
    const tomorrow = () => new Date(Date.now() + 86_400_000).toISOString();
    await insertWebhookBacklog(this.target.databaseUrl, { instanceId: this.target.instanceId, webhookId: this.id }, count, tomorrow, log);
    this.parked += count;
  }

  async delete(): Promise<void> {
    await this.api('DELETE', `/api/v1/instance/webhooks/${this.id}`);
  }
}
