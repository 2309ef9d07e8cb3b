import type { BlobStorage } from './blob-storage.js';
import { DiskStorage } from './disk-storage.js';
import { openS3Storage, parseS3Url } from './s3-storage.js';

export type { BlobStorage } from './blob-storage.js';
export { BlobMissingError } from './blob-storage.js';

/** The storage STORAGE_URL names: `file:PATH` (the local disk) or `s3://…` (S3-compatible). */
export async function openStorage(storageUrl: string): Promise<BlobStorage> {
  if (/^s3:\/\//i.test(storageUrl)) return openS3Storage(parseS3Url(storageUrl));
  return new DiskStorage(storageUrl.replace(/^file:(\/\/)?/i, ''));
}
