import type { FastifyBaseLogger } from 'fastify';
import { Engine } from '../services/engine.js';
import type { Store } from '../store/db.js';
import { claimDueJob, insertJobIfAbsent, postponeJob, upsertJob, type Job } from '../store/engine.repo.js';
import { findInstance } from '../store/instances.repo.js';

export interface SchedulerDeps {
  store: Store;
  now?: () => string;
  log?: Pick<FastifyBaseLogger, 'error' | 'info' | 'warn'>;
  /** How often to look for due jobs. */
  pollMs?: number;
  /** Store-wide recurring work (the attachment sweep), claimed like any job, so one process runs each turn. */
  housekeeping?: readonly HousekeepingTask[];
}

/**
 * Recurring work of the whole store. Its job row (instance '', ticket 0) is moved to the next run
 * in the transaction that claims it; the work itself runs after that commit, outside any
 * transaction (it may take long and do I/O beyond the store), and must be safe to cut short.
 */
export interface HousekeepingTask {
  kind: string;
  /** When it runs next, after `now`. */
  nextRunAt(now: string): string;
  run(): Promise<unknown>;
}

/** The instance id of store-wide jobs. */
const STORE_WIDE = '';

const RETRY_MS = 60_000;
const UNKNOWN_TASK_RETRY_MS = 3_600_000;

/**
 * The durable scheduler: jobs live in the store, so they survive restarts, and each is claimed,
 * run and deleted in one transaction (on PostgreSQL with SKIP LOCKED, so several processes share
 * the work and never run one job twice). Finding due work is one indexed lookup per poll.
 */
export class Scheduler {
  private readonly engine: Engine;
  private readonly now: () => string;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  private stopped = true;
  /** While the store is away: logged once when it goes, once when it is back. */
  private storeAway = false;
  /** Housekeeping tasks running now, by kind. */
  private readonly housekeeping = new Map<string, Promise<unknown>>();

  constructor(private readonly deps: SchedulerDeps) {
    this.engine = new Engine(deps.store.dialect);
    this.now = deps.now ?? (() => new Date().toISOString());
  }

  /** Runs every job due now; returns how many ran. Tests call this with a fake clock. */
  async runDue(limit = 1000): Promise<number> {
    let ran = 0;
    while (ran < limit) {
      const now = this.now();
      let claimed: Job | undefined;
      let housekeeping: HousekeepingTask | undefined;
      try {
        await this.deps.store.dialect.transaction(this.deps.store.db, async (tx) => {
          claimed = await claimDueJob(tx, this.deps.store.dialect, now);
          if (!claimed) return;
          if (claimed.instanceId === STORE_WIDE) {
            housekeeping = this.deps.housekeeping?.find((task) => task.kind === claimed!.kind);
            // A task this process does not know (another version's): left for a process that does.
            const next = housekeeping ? housekeeping.nextRunAt(now) : new Date(Date.parse(now) + UNKNOWN_TASK_RETRY_MS).toISOString();
            return upsertJob(tx, STORE_WIDE, 0, claimed.kind, next);
          }
          const instance = await findInstance(tx, claimed.instanceId);
          await this.engine.runJob(tx, claimed, instance?.settings, now);
        });
        if (housekeeping) this.runHousekeeping(housekeeping);
      } catch (error) {
        // The store went away mid-job: the claim rolled back with it, and the job is not at
        // fault, so it runs again on a later poll rather than being pushed back.
        if (!claimed || this.deps.store.dialect.fault(error)?.code === 'unavailable') throw error;
        await this.postponeFailed(claimed, now, error);
        ran++;
        continue;
      }
      if (!claimed) break;
      ran++;
    }
    return ran;
  }

  /** Runs a housekeeping task in the background (one at a time per task), logging its failure. */
  private runHousekeeping(task: HousekeepingTask): void {
    if (this.housekeeping.has(task.kind)) return; // still at it from the last turn
    const running = task
      .run()
      .then((result) => this.deps.log?.info({ task: task.kind, result }, 'housekeeping done'))
      .catch((error: unknown) => this.deps.log?.error({ err: error, task: task.kind }, 'housekeeping failed'))
      .finally(() => this.housekeeping.delete(task.kind));
    this.housekeeping.set(task.kind, running);
  }

  /** Makes sure each housekeeping task has its job row (processes starting together make one). */
  private async scheduleHousekeeping(): Promise<void> {
    const now = this.now();
    for (const task of this.deps.housekeeping ?? []) {
      await this.deps.store.dialect.transaction(this.deps.store.db, (tx) => insertJobIfAbsent(tx, STORE_WIDE, 0, task.kind, task.nextRunAt(now)));
    }
  }

  /** A job that throws is pushed back a minute (and logged) so it cannot block the queue. */
  private async postponeFailed(job: Job, now: string, error: unknown): Promise<void> {
    this.deps.log?.error({ err: error, job }, 'scheduled job failed');
    const runAt = new Date(Date.parse(now) + RETRY_MS * (job.attempts + 1)).toISOString();
    await this.deps.store.dialect.transaction(this.deps.store.db, (tx) => postponeJob(tx, job, runAt)).catch(() => undefined);
  }

  start(): void {
    this.stopped = false;
    let housekeepingScheduled = false;
    const tick = async () => {
      if (this.stopped) return;
      if (!housekeepingScheduled)
        housekeepingScheduled = await this.scheduleHousekeeping().then(
          () => true,
          () => false,
        );
      this.running = this.runDue().then(
        () => {
          if (this.storeAway) this.deps.log?.info('scheduler: the database is back');
          this.storeAway = false;
        },
        (error: unknown) => {
          if (this.deps.store.dialect.fault(error)?.code !== 'unavailable') return this.deps.log?.error({ err: error }, 'scheduler poll failed');
          if (!this.storeAway) this.deps.log?.warn({ cause: (error as Error).message }, 'scheduler: the database is unavailable; retrying every poll');
          this.storeAway = true;
        },
      );
      await this.running;
      if (!this.stopped) this.timer = setTimeout(() => void tick(), this.deps.pollMs ?? 1000);
    };
    this.timer = setTimeout(() => void tick(), 0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }
}
