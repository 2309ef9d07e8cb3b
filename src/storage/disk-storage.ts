import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { BlobMissingError, type BlobStorage } from './blob-storage.js';

/** Names the caller gives: letters, digits, `-`, `_`, `.` and `/` between them, never `..`. */
const SAFE_KEY = /^(?!.*\.\.)[A-Za-z0-9_-][A-Za-z0-9_./-]*$/;

/**
 * Files on the local disk under `root` (STORAGE_URL=file:PATH). A temporary file is written in
 * `root/tmp`, fsynced, and renamed to its name; the rename is made durable by fsyncing the folder
 * it lands in, so a name that a committed row points at survives a power cut.
 */
export class DiskStorage implements BlobStorage {
  readonly description: string;
  private readonly root: string;
  private readonly tmp: string;

  constructor(root: string) {
    this.root = resolve(root);
    this.tmp = join(this.root, 'tmp');
    this.description = `files in ${root}`;
  }

  private path(key: string): string {
    if (!SAFE_KEY.test(key) || key.startsWith('tmp/')) throw new Error(`not a storage key: ${key}`);
    return join(this.root, key);
  }

  private tempPath(temp: string): string {
    if (!/^[0-9a-f-]{36}$/.test(temp)) throw new Error(`not a temporary object: ${temp}`);
    return join(this.tmp, temp);
  }

  async writeTemp(body: Readable): Promise<string> {
    await mkdir(this.tmp, { recursive: true });
    const temp = randomUUID();
    const path = this.tempPath(temp);
    try {
      // flush: fsync before the file is closed, which pipeline waits for.
      await pipeline(body, createWriteStream(path, { flags: 'wx', mode: 0o600, flush: true }));
    } catch (error) {
      await rm(path, { force: true });
      throw error;
    }
    return temp;
  }

  async promote(temp: string, key: string): Promise<void> {
    const target = this.path(key);
    await mkdir(dirname(target), { recursive: true });
    await rename(this.tempPath(temp), target);
    await syncFolder(dirname(target));
  }

  async discardTemp(temp: string): Promise<void> {
    await rm(this.tempPath(temp), { force: true });
  }

  async read(key: string, range?: { start: number; end: number }): Promise<Readable> {
    let handle;
    try {
      handle = await open(this.path(key), 'r');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new BlobMissingError(key);
      throw error;
    }
    return handle.createReadStream(range ? { start: range.start, end: range.end } : {});
  }

  async remove(key: string): Promise<void> {
    await rm(this.path(key), { force: true });
  }

  async staleTemps(before: Date): Promise<string[]> {
    let names: string[];
    try {
      names = await readdir(this.tmp);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const stale: string[] = [];
    for (const name of names) {
      const info = await stat(join(this.tmp, name)).catch(() => undefined);
      if (info && info.mtime < before && /^[0-9a-f-]{36}$/.test(name)) stale.push(name);
    }
    return stale;
  }

  async close(): Promise<void> {}
}

/** fsync of a folder: makes the names created or renamed in it durable. */
async function syncFolder(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
