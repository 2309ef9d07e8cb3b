import type { Readable } from 'node:stream';

/**
 * Where attachments' bytes live (docs/decisions/018-attachments.md): one small interface, two
 * implementations, the local disk (disk-storage.ts) and S3-compatible object storage
 * (s3-storage.ts). Objects are named by the caller (`<instance>/<sha256 prefix>/<sha256>.<generation>`);
 * an upload first goes to a temporary object, which is made durable and then moved to its name,
 * so a name never holds half a file.
 */
export interface BlobStorage {
  /** For start-up messages: where the files are, without credentials. */
  readonly description: string;
  /**
   * Streams `body` into a new temporary object and makes it durable; answers its name. When
   * `body` fails (too large, the client went away) nothing is left and the promise rejects with
   * the body's error.
   */
  writeTemp(body: Readable): Promise<string>;
  /** Moves a temporary object to `key` (replacing what is there: the same bytes), durably. */
  promote(temp: string, key: string): Promise<void>;
  /** Removes a temporary object; nothing when it is gone already. */
  discardTemp(temp: string): Promise<void>;
  /** Reads an object whole or one inclusive byte range; BlobMissingError when there is none. */
  read(key: string, range?: { start: number; end: number }): Promise<Readable>;
  /** Removes an object; nothing when it is gone already. */
  remove(key: string): Promise<void>;
  /** Temporary objects last written before `before` (left by uploads that died), for the sweep. */
  staleTemps(before: Date): Promise<string[]>;
  close(): Promise<void>;
}

export class BlobMissingError extends Error {
  constructor(readonly key: string) {
    super(`no stored object ${key}`);
    this.name = 'BlobMissingError';
  }
}
