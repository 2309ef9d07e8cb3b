import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import type * as ClientS3 from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import type * as LibStorage from '@aws-sdk/lib-storage';
import { BlobMissingError, type BlobStorage } from './blob-storage.js';

/*
 * The AWS SDK is loaded only when S3 storage is used (openS3Storage): about 25 MB of a server's
 * memory that the default disk storage does not need.
 */
type Sdk = Pick<
  typeof ClientS3,
  'S3Client' | 'CopyObjectCommand' | 'DeleteObjectCommand' | 'GetObjectCommand' | 'ListObjectsV2Command' | 'NoSuchKey' | 'S3ServiceException'
> &
  Pick<typeof LibStorage, 'Upload'>;

/** The S3 storage of a location, with the SDK loaded. */
export async function openS3Storage(location: S3Location): Promise<S3Storage> {
  const [client, storage] = await Promise.all([import('@aws-sdk/client-s3'), import('@aws-sdk/lib-storage')]);
  return new S3Storage(location, { ...client, ...storage });
}

/** S3's smallest part: with one part in flight an upload holds at most two parts in memory (~10 MiB). */
const PART_BYTES = 5 * 1024 * 1024;

export interface S3Location {
  bucket: string;
  /** Prepended to every key (the URL's path), '' or ending in '/'. */
  prefix: string;
  endpoint?: string;
  region: string;
  forcePathStyle: boolean;
}

/** `s3://bucket[/prefix]?endpoint=…&region=…&forcePathStyle=true` (checked by config.ts). */
export function parseS3Url(url: string): S3Location {
  const parsed = new URL(url);
  const prefix = decodeURIComponent(parsed.pathname).replace(/^\/+/, '');
  const endpoint = parsed.searchParams.get('endpoint') ?? undefined;
  return {
    bucket: parsed.hostname,
    prefix: prefix && !prefix.endsWith('/') ? `${prefix}/` : prefix,
    ...(endpoint ? { endpoint } : {}),
    // config.ts puts AWS_REGION (or us-east-1) in a URL that names none.
    region: parsed.searchParams.get('region') ?? 'us-east-1',
    forcePathStyle: parsed.searchParams.get('forcePathStyle') === 'true',
  };
}

/**
 * S3-compatible object storage through the AWS SDK v3 (STORAGE_URL=s3://…). Credentials come
 * from the SDK's usual chain (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, AWS_PROFILE, web
 * identity, instance metadata). An upload streams to `tmp/<uuid>` with lib-storage's multipart
 * upload (never the whole file in memory), then is copied to its name server-side.
 */
export class S3Storage implements BlobStorage {
  readonly description: string;
  private readonly client: S3Client;

  constructor(
    private readonly location: S3Location,
    private readonly sdk: Sdk,
  ) {
    this.client = new sdk.S3Client({
      region: location.region,
      forcePathStyle: location.forcePathStyle,
      ...(location.endpoint ? { endpoint: location.endpoint } : {}),
      // A stalled object store must not hold an upload or a download for ever.
      requestHandler: { connectionTimeout: 5_000, requestTimeout: 60_000 },
      maxAttempts: 3,
    });
    this.description = `S3 bucket ${location.bucket}${location.prefix ? `/${location.prefix}` : ''}${location.endpoint ? ` at ${location.endpoint}` : ''}`;
  }

  private key(name: string): string {
    return this.location.prefix + name;
  }

  async writeTemp(body: Readable): Promise<string> {
    const temp = randomUUID();
    const upload = new this.sdk.Upload({
      client: this.client,
      params: { Bucket: this.location.bucket, Key: this.key(`tmp/${temp}`), Body: body },
      queueSize: 1,
      partSize: PART_BYTES,
      leavePartsOnError: false,
    });
    try {
      await upload.done();
    } catch (error) {
      // What the body failed with (too large, the client went away) is the error to report.
      const cause = body.errored ?? error;
      await upload.abort().catch(() => undefined);
      await this.discardTemp(temp).catch(() => undefined);
      throw cause;
    }
    return temp;
  }

  async promote(temp: string, key: string): Promise<void> {
    const source = this.key(`tmp/${temp}`);
    await this.client.send(
      new this.sdk.CopyObjectCommand({
        Bucket: this.location.bucket,
        Key: this.key(key),
        CopySource: `${this.location.bucket}/${source.split('/').map(encodeURIComponent).join('/')}`,
      }),
    );
    await this.discardTemp(temp);
  }

  async discardTemp(temp: string): Promise<void> {
    await this.client.send(new this.sdk.DeleteObjectCommand({ Bucket: this.location.bucket, Key: this.key(`tmp/${temp}`) }));
  }

  async read(key: string, range?: { start: number; end: number }): Promise<Readable> {
    try {
      const answer = await this.client.send(
        new this.sdk.GetObjectCommand({ Bucket: this.location.bucket, Key: this.key(key), ...(range ? { Range: `bytes=${range.start}-${range.end}` } : {}) }),
      );
      return answer.Body as Readable;
    } catch (error) {
      if (error instanceof this.sdk.NoSuchKey || (error instanceof this.sdk.S3ServiceException && error.$metadata.httpStatusCode === 404))
        throw new BlobMissingError(key);
      throw error;
    }
  }

  async remove(key: string): Promise<void> {
    await this.client.send(new this.sdk.DeleteObjectCommand({ Bucket: this.location.bucket, Key: this.key(key) }));
  }

  async staleTemps(before: Date): Promise<string[]> {
    const stale: string[] = [];
    const prefix = this.key('tmp/');
    let token: string | undefined;
    do {
      const page = await this.client.send(
        new this.sdk.ListObjectsV2Command({ Bucket: this.location.bucket, Prefix: prefix, ...(token ? { ContinuationToken: token } : {}) }),
      );
      for (const object of page.Contents ?? []) {
        if (object.Key && object.LastModified && object.LastModified < before) stale.push(object.Key.slice(prefix.length));
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return stale;
  }

  async close(): Promise<void> {
    this.client.destroy();
  }
}
