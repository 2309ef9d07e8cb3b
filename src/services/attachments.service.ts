import { createHash, randomBytes } from 'node:crypto';
import { Transform, pipeline, type Readable } from 'node:stream';
import { v7 as uuidv7 } from 'uuid';
import type * as FileType from 'file-type';
import type { AttachmentConfig } from '../config.js';
import type { CommentActivity, IComment } from '../domain/activity.js';
import {
  ATTACHMENTS_PER_TICKET,
  checkDownloadSignature,
  classifyFile,
  classifyLink,
  declaredType,
  displayFilename,
  downloadSigningKey,
  isBlocked,
  linkExpiry,
  linkFilename,
  nextSweepAt,
  parseLink,
  parseRange,
  presentAttachment,
  signedDownloadPath,
  SWEEP_JOB,
  type IAttachment,
  type StoredAttachment,
} from '../domain/attachments.js';
import { DomainError, FieldErrors, notFound } from '../domain/errors.js';
import type { IUser, StoredTicket } from '../domain/ticket.js';
import type { HousekeepingTask } from '../jobs/scheduler.js';
import { BlobMissingError, type BlobStorage } from '../storage/open-storage.js';
import * as repo from '../store/attachments.repo.js';
import type { Store } from '../store/db.js';
import * as events from './events.service.js';
import { findInstance } from '../store/instances.repo.js';
import type { Tx } from '../store/schema.js';
import { findTicket } from '../store/tickets.repo.js';
import { parseTicketRef, type TicketsService } from './tickets.service.js';

/** One part of a multipart/form-data upload, as @fastify/multipart hands them over. */
export type UploadPart =
  | { type: 'file'; fieldname: string; filename: string | undefined; mimetype: string | undefined; file: Readable }
  | { type: 'field'; fieldname: string; value: unknown; valueTruncated?: boolean };

/** The comment an upload or a set of links comes with. */
export interface CommentFields {
  comment?: string | undefined;
  comment_HTML?: string | undefined;
  isPrivate?: boolean | undefined;
  user: IUser;
}

export interface AttachmentsDeps {
  store: Store;
  storage: BlobStorage;
  tickets: TicketsService;
  /** Keys the download links (a key derived from it; every process on the store shares it). */
  tokenSecret: string;
  /** PUBLIC_URL (without a trailing `/`): download links are absolute URLs under it. Asked each time: the port may be known only once listening. */
  publicUrl: () => string;
  limits: AttachmentConfig;
  now?: () => string;
  log?: { warn(object: unknown, message: string): void; error(object: unknown, message: string): void };
}

/** A file received and in temporary storage, not yet attached. */
interface StagedFile {
  temp: string;
  /** Moved to its blob's object (no longer a temporary object). */
  promoted: boolean;
  filename: string;
  sha256: string;
  size: number;
  contentType: string;
  isImage: boolean;
  isArchive: boolean;
}

/** An opened download: the attachment, the part of it to send, and its bytes (none for HEAD or an unsatisfiable range). */
export interface Download {
  attachment: StoredAttachment;
  range: { start: number; end: number } | undefined;
  unsatisfiable: boolean;
  body: Readable | undefined;
}

/** The bytes read to tell a file's type from its signature (file-type needs a few KiB; some zip-based formats more). */
const HEAD_BYTES = 64 * 1024;
/** An upload holds its blob this long between receiving the bytes and committing the rows. */
const PIN_MS = 60 * 60 * 1000;
/** A temporary object this old was left by an upload that died. */
const STALE_TEMP_MS = 24 * 60 * 60 * 1000;

const tooLarge = (maxBytes: number) =>
  new DomainError('payload_too_large', `a file is larger than ${maxBytes} bytes, the most one file may have (ATTACHMENT_MAX_BYTES)`, [
    { path: '/body/files', message: `at most ${maxBytes} bytes per file` },
  ]);

/**
 * Attachments end to end (docs/decisions/018-attachments.md): receiving uploads into storage,
 * recording them with one comment activity, listing them, downloads with and without a key, and
 * the nightly sweep of blobs nothing points at.
 *
 * An upload: each file streams through a hash into a temporary object (nothing held in memory);
 * then one transaction holds its blob (the row, pinned) and counts it against the quota; then the
 * temporary object becomes the blob's object (fsynced and renamed, or copied); then the comment
 * transaction writes the activity, the attachment rows and the blob's reference count. A failure
 * anywhere leaves no row and, after the sweep, no object.
 */
export class AttachmentsService {
  private readonly now: () => string;
  private readonly signingKey: Buffer;

  constructor(private readonly deps: AttachmentsDeps) {
    this.now = deps.now ?? (() => new Date().toISOString());
    this.signingKey = downloadSigningKey(deps.tokenSecret);
  }

  /** The limits uploads are held to (ATTACHMENT_MAX_BYTES, …): the route sizes its multipart parser by them. */
  get limits(): AttachmentConfig {
    return this.deps.limits;
  }

  private tx<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    return this.deps.store.dialect.transaction(this.deps.store.db, fn);
  }

  private async ticketOf(instanceId: string, ref: string) {
    const found = await findTicket(this.deps.store.db, this.deps.store.dialect, instanceId, parseTicketRef(ref));
    if (!found) throw notFound('Ticket');
    return found;
  }

  /** The signed, expiring download link of a file: absolute, under PUBLIC_URL. */
  private fileSrc(instanceId: string, attachment: StoredAttachment): string {
    const expires = linkExpiry(Date.parse(this.now()), this.deps.limits.urlTtlSeconds);
    return this.deps.publicUrl().replace(/\/+$/, '') + signedDownloadPath(this.signingKey, instanceId, attachment.id, attachment.filename, expires);
  }

  private present(instanceId: string, stored: readonly StoredAttachment[]): IAttachment[] {
    return stored.map((a) => presentAttachment(a, (file) => this.fileSrc(instanceId, file)));
  }

  /** `GET /tickets/{id}/attachments`: every attachment of the ticket, oldest first. */
  async listForTicket(instanceId: string, ref: string): Promise<{ items: IAttachment[]; itemCount: number }> {
    const { seq } = await this.ticketOf(instanceId, ref);
    const items = this.present(instanceId, await repo.listTicketAttachments(this.deps.store.db, instanceId, seq, ATTACHMENTS_PER_TICKET));
    return { items, itemCount: items.length };
  }

  /** `GET /tickets/activity/{activityId}/attachments`. */
  async listForActivity(instanceId: string, activityId: string): Promise<{ items: IAttachment[]; itemCount: number }> {
    if (!(await repo.activityExists(this.deps.store.db, instanceId, activityId))) throw notFound('Activity');
    const items = this.present(instanceId, await repo.listActivityAttachments(this.deps.store.db, instanceId, [activityId]));
    return { items, itemCount: items.length };
  }

  /**
   * The attachments of a page of activities, by activity id, in one query: what the activity
   * presentation fills each activity's `attachments` with (an activity without any is absent).
   */
  async forActivities(instanceId: string, activityIds: readonly string[]): Promise<Map<string, IAttachment[]>> {
    const byActivity = new Map<string, IAttachment[]>();
    const stored = await repo.listActivityAttachments(this.deps.store.db, instanceId, activityIds);
    for (const attachment of this.present(instanceId, stored)) {
      const list = byActivity.get(attachment.activityId);
      if (list) list.push(attachment);
      else byActivity.set(attachment.activityId, [attachment]);
    }
    return byActivity;
  }

  /** `POST /tickets/{id}/attachments` with JSON: links, recorded with one comment activity. */
  async addLinks(instanceId: string, ref: string, links: readonly { src: string; caption?: string | null }[], fields: CommentFields) {
    const errors = new FieldErrors();
    const parsed = links.map((link, i) => {
      const url = parseLink(link.src);
      if (typeof url === 'string') errors.add(`/body/attachments/${i}/src`, url);
      return { url, caption: link.caption?.trim() || null };
    });
    errors.throwIfAny();
    await this.ticketOf(instanceId, ref);
    return this.record(
      instanceId,
      ref,
      fields,
      parsed.map(({ url, caption }) => {
        const href = url as URL;
        return {
          link: href.toString(),
          filename: linkFilename(href),
          caption,
          ...classifyLink(href),
          sha256: null,
          size: null,
          contentType: null,
          storageKey: null,
        };
      }),
    );
  }

  /**
   * `POST /tickets/{id}/attachments` with multipart/form-data: `files` parts streamed to storage,
   * then recorded with one comment activity. `parseFields` checks the text parts (the route owns
   * the wire format). On any failure every temporary object of the request is removed.
   */
  async upload(instanceId: string, ref: string, parts: AsyncIterable<UploadPart>, parseFields: (raw: Map<string, unknown[]>) => CommentFields) {
    // Unknown ticket: 404 before a byte is stored.
    await this.ticketOf(instanceId, ref);
    const files: StagedFile[] = [];
    const raw = new Map<string, unknown[]>();
    try {
      for await (const part of parts) {
        if (part.type === 'field') {
          if (part.valueTruncated)
            throw new DomainError('validation_failed', `/body/${part.fieldname} is too long`, [{ path: `/body/${part.fieldname}`, message: 'is too long' }]);
          raw.set(part.fieldname, [...(raw.get(part.fieldname) ?? []), part.value]);
          continue;
        }
        if (part.fieldname !== 'files' && part.fieldname !== 'file') {
          throw new DomainError('validation_failed', `/body/${part.fieldname} is not a known part; send files as "files"`, [
            { path: `/body/${part.fieldname}`, message: 'is not a known part; files go in "files" parts' },
          ]);
        }
        if (files.length >= this.deps.limits.maxFiles) {
          throw new DomainError('payload_too_large', `at most ${this.deps.limits.maxFiles} files per request (ATTACHMENT_MAX_FILES)`, [
            { path: '/body/files', message: `at most ${this.deps.limits.maxFiles} files per request` },
          ]);
        }
        const filename = displayFilename(part.filename);
        const path = `/body/files/${files.length}`;
        // A refused name costs no storage: checked before reading the bytes.
        if (isBlocked(this.deps.limits.blockedTypes, undefined, filename)) throw blocked(path, filename);
        const staged = await this.stage(part.file, filename, declaredType(part.mimetype));
        files.push(staged);
        if (isBlocked(this.deps.limits.blockedTypes, staged.contentType, filename)) throw blocked(path, filename, staged.contentType);
      }
      if (files.length === 0) {
        throw new DomainError('validation_failed', '/body/files is required: one or more files', [{ path: '/body/files', message: 'is required' }]);
      }
      const fields = parseFields(raw);
      return await this.commitFiles(instanceId, ref, files, fields);
    } finally {
      // What a failure left, and the copies of bytes that were in storage already.
      await Promise.all(files.filter((f) => !f.promoted).map((f) => this.deps.storage.discardTemp(f.temp).catch(() => undefined)));
    }
  }

  /** Streams one file into a temporary object, hashing and counting it; too large: nothing is left. */
  private async stage(source: Readable, filename: string, declared: string | undefined): Promise<StagedFile> {
    const maxBytes = this.deps.limits.maxBytes;
    const hash = createHash('sha256');
    const head: Buffer[] = [];
    let headBytes = 0;
    let size = 0;
    const meter = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        size += chunk.length;
        if (size > maxBytes) return done(tooLarge(maxBytes));
        hash.update(chunk);
        if (headBytes < HEAD_BYTES) {
          const piece = chunk.subarray(0, HEAD_BYTES - headBytes);
          head.push(piece);
          headBytes += piece.length;
        }
        done(null, chunk);
      },
    });
    // Either side failing destroys the other: a client gone away fails the write, a full disk stops the read.
    pipeline(source, meter, () => undefined);
    let temp;
    try {
      temp = await this.deps.storage.writeTemp(meter);
    } catch (error) {
      // The parser stops a file one byte past the limit and marks it truncated. If the request
      // then ends before the meter has read that far (the client sent faster than storage
      // took it), the file fails with "Part terminated early" instead: still a file too large.
      if ((source as Readable & { truncated?: boolean }).truncated) throw tooLarge(maxBytes);
      throw error;
    }
    const detected = size === 0 ? undefined : (await detectType(Buffer.concat(head)))?.mime;
    return { temp, promoted: false, filename, sha256: hash.digest('hex'), size, ...classifyFile(detected, declared, filename) };
  }

  private async commitFiles(instanceId: string, ref: string, files: StagedFile[], fields: CommentFields) {
    const now = this.now();
    const pinnedUntil = new Date(Date.parse(now) + PIN_MS).toISOString();
    // In hash order: two uploads of the same files lock their blob rows in the same order (no deadlock).
    const bySha = new Map<string, StagedFile>();
    for (const file of [...files].sort((a, b) => (a.sha256 < b.sha256 ? -1 : a.sha256 > b.sha256 ? 1 : 0))) {
      if (!bySha.has(file.sha256)) bySha.set(file.sha256, file);
    }

    // 1. Hold each blob (a row, pinned) and count new bytes against the quota: one transaction.
    const blobs = await this.tx(async (tx) => {
      const held = new Map<string, { storageKey: string; refCount: number; created: boolean }>();
      let added = 0;
      for (const [sha256, file] of bySha) {
        const blob = await repo.reserveBlob(tx, instanceId, { sha256, size: file.size, storageKey: storageKey(instanceId, sha256), pinnedUntil, now });
        held.set(sha256, blob);
        if (blob.created) added += file.size;
      }
      if (added > 0) {
        const used = await repo.addUsage(tx, instanceId, added);
        const quota = (await findInstance(tx, instanceId))?.settings.storageQuotaBytes ?? null;
        if (quota !== null && used > quota) {
          throw new DomainError(
            'insufficient_storage',
            `these files need ${added} bytes more than the instance's storage quota of ${quota} bytes allows (${used - added} bytes used); the operator sets the quota`,
          );
        }
      }
      return held;
    });

    // 2. Each temporary object becomes its blob's object. A blob some attachment already points at
    // is in storage; one that none does may still be on its way there from a concurrent upload of
    // the same bytes, so this upload puts it there too (same bytes, same name: either wins).
    const promoted = new Set<string>();
    for (const file of files) {
      const blob = blobs.get(file.sha256)!;
      if (blob.refCount > 0 || promoted.has(file.sha256)) continue;
      await this.deps.storage.promote(file.temp, blob.storageKey);
      file.promoted = true;
      promoted.add(file.sha256);
    }

    // 3. The comment, the attachment rows and the blobs' reference counts: one transaction.
    try {
      return await this.record(
        instanceId,
        ref,
        fields,
        files.map((file) => ({
          link: null,
          filename: file.filename,
          caption: null,
          sha256: file.sha256,
          size: file.size,
          contentType: file.contentType,
          storageKey: blobs.get(file.sha256)!.storageKey,
          isImage: file.isImage,
          isArchive: file.isArchive,
        })),
        async (tx) => {
          for (const [sha256, blob] of blobs) {
            const count = files.filter((f) => f.sha256 === sha256).length;
            if (!(await repo.referenceBlob(tx, instanceId, sha256, blob.storageKey, count))) throw new BlobSwept(blob.storageKey);
          }
        },
      );
    } catch (error) {
      if (error instanceof BlobSwept) {
        // Held past its pin and swept meanwhile: the object just put there is nobody's.
        await this.deps.storage.remove(error.storageKey).catch(() => undefined);
        throw new DomainError('unavailable', 'the upload took too long to record; send it again');
      }
      throw error;
    }
  }

  /** Writes the comment activity with its attachments (and the event), in one transaction; answers the comment (contract §10). */
  private async record(
    instanceId: string,
    ref: string,
    fields: CommentFields,
    attachments: Omit<StoredAttachment, 'id' | 'ticketId' | 'ticketNumber' | 'activityId' | 'isPrivate' | 'createdOn' | 'createdBy'>[],
    alsoInTransaction?: (tx: Tx) => Promise<void>,
  ): Promise<IComment> {
    const { comment, comment_HTML, isPrivate } = fields;
    return this.deps.tickets.addComment(instanceId, ref, { comment, comment_HTML, isPrivate: isPrivate ?? false }, fields.user, {
      write: async (tx, found, activity) => {
        // The ticket is locked (PostgreSQL) or writes are serial (SQLite): the count holds.
        const count = await repo.countTicketAttachments(tx, instanceId, found.seq, ATTACHMENTS_PER_TICKET);
        if (count + attachments.length > ATTACHMENTS_PER_TICKET) {
          throw new DomainError(
            'conflict',
            `ticket ${found.ticket.ticketId} has ${count} attachments; a ticket holds at most ${ATTACHMENTS_PER_TICKET}: open a follow-up ticket`,
            [{ path: '/body', message: `at most ${ATTACHMENTS_PER_TICKET} attachments per ticket` }],
          );
        }
        const stored = attachments.map((a) => ({
          ...a,
          id: uuidv7(),
          ticketId: found.ticket.id,
          ticketNumber: found.ticket.ticketId,
          activityId: activity.id,
          isPrivate: activity.isPrivate,
          createdOn: activity.createdOn,
          createdBy: activity.user,
        }));
        await alsoInTransaction?.(tx);
        await repo.insertAttachments(tx, instanceId, found.seq, stored);
        await recordAttachmentAdded(tx, instanceId, found.ticket, activity, stored);
        return this.present(instanceId, stored);
      },
    });
  }

  /** `GET /tickets/{id}/attachments/{attachmentId}/content` (with a key): the ticket must be the attachment's. */
  async openContent(instanceId: string, ref: string, attachmentId: string, request: { range?: string | undefined; head: boolean }): Promise<Download> {
    const attachment = await repo.findAttachment(this.deps.store.db, instanceId, attachmentId);
    const ticketRef = parseTicketRef(ref);
    if (!attachment || (ticketRef.id !== undefined ? ticketRef.id !== attachment.ticketId : ticketRef.number !== attachment.ticketNumber)) {
      throw notFound('Attachment');
    }
    return this.open(attachment, request);
  }

  /** A download through a signed link (no key): 403 when the signature is wrong or expired. */
  async openSigned(
    link: { instanceId: string; attachmentId: string; expires: string | undefined; signature: string | undefined },
    request: { range?: string | undefined; head: boolean },
  ): Promise<{ download: Download; expiresAt: number }> {
    const check = checkDownloadSignature(this.signingKey, link, Date.parse(this.now()));
    if (check !== 'ok') {
      throw new DomainError(
        'forbidden',
        check === 'expired' ? 'this download link has expired; get a fresh one from the API' : 'this download link is not valid',
      );
    }
    const instance = await findInstance(this.deps.store.db, link.instanceId);
    if (!instance) throw notFound('Attachment');
    if (!instance.settings.enabled) throw new DomainError('instance_disabled', 'This instance is disabled by the operator');
    const attachment = await repo.findAttachment(this.deps.store.db, link.instanceId, link.attachmentId);
    if (!attachment) throw notFound('Attachment');
    return { download: await this.open(attachment, request), expiresAt: Number(link.expires) * 1000 };
  }

  private async open(attachment: StoredAttachment, request: { range?: string | undefined; head: boolean }): Promise<Download> {
    if (attachment.link !== null || attachment.storageKey === null) {
      throw new DomainError('not_found', 'this attachment is a link: it has no content here; its src is the link');
    }
    const range = parseRange(request.range, attachment.size ?? 0);
    if (range === 'unsatisfiable') return { attachment, range: undefined, unsatisfiable: true, body: undefined };
    if (request.head) return { attachment, range, unsatisfiable: false, body: undefined };
    try {
      return { attachment, range, unsatisfiable: false, body: await this.deps.storage.read(attachment.storageKey, range) };
    } catch (error) {
      if (error instanceof BlobMissingError) this.deps.log?.error({ attachment: attachment.id, key: error.key }, 'an attachment has no object in storage');
      throw error;
    }
  }

  /** The nightly sweep as the scheduler's housekeeping task. */
  sweepTask(): HousekeepingTask {
    return { kind: SWEEP_JOB, nextRunAt: nextSweepAt, run: () => this.sweep() };
  }

  /**
   * The nightly sweep: deletes blobs no attachment points at and no upload holds (their pin ran
   * out), then removes their objects, then temporary objects older than a day (uploads that died).
   * Safe beside uploads in flight: see repo.reserveBlob and deleteUnreferencedBlobs.
   */
  async sweep(): Promise<{ blobs: number; objects: number; temps: number }> {
    const now = this.now();
    const db = this.deps.store.db;
    let blobs = 0;
    let objects = 0;
    for (const instanceId of await repo.instanceIds(db)) {
      blobs += await this.tx((tx) => repo.deleteUnreferencedBlobs(tx, instanceId, now));
      // Also what a sweep that crashed before removing its objects left queued.
      for (;;) {
        const keys = await repo.queuedRemovals(db, instanceId, 500);
        for (const key of keys) {
          await this.deps.storage.remove(key);
          await this.tx((tx) => repo.forgetRemoval(tx, instanceId, key));
          objects++;
        }
        if (keys.length < 500) break;
      }
    }
    const temps = await this.deps.storage.staleTemps(new Date(Date.parse(now) - STALE_TEMP_MS));
    for (const temp of temps) await this.deps.storage.discardTemp(temp);
    return { blobs, objects, temps: temps.length };
  }
}

/** file-type, loaded with the first upload (some 6 MB of detectors a server without uploads does not need). */
let fileType: Promise<typeof FileType> | undefined;
const detectType = async (head: Buffer) => (await (fileType ??= import('file-type'))).fileTypeFromBuffer(head);

class BlobSwept extends Error {
  constructor(readonly storageKey: string) {
    super(`blob ${storageKey} was swept before the upload was recorded`);
  }
}

/** A blob's object name: a new generation each time its row is made, so a sweep removing an old one never removes a new one. */
function storageKey(instanceId: string, sha256: string): string {
  return `${instanceId}/${sha256.slice(0, 2)}/${sha256}.${randomBytes(6).toString('hex')}`;
}

function blocked(path: string, filename: string, contentType?: string): DomainError {
  const what = contentType ? `${filename} (${contentType})` : filename;
  return new DomainError('unsupported_media_type', `${what} is of a type this server does not accept (ATTACHMENT_BLOCKED_TYPES)`, [
    { path, message: 'is an executable or script type the server refuses' },
  ]);
}

/**
 * The `ticket.attachmentAdded` event, in the transaction that added the attachments. `isPrivate`
 * lets deliveries that exclude private notes leave it out: a private note's attachments never go
 * to the requestor. Events name the files but hold no download link.
 */
async function recordAttachmentAdded(tx: Tx, instanceId: string, ticket: StoredTicket, activity: CommentActivity, attachments: StoredAttachment[]) {
  await events.record(tx, instanceId, {
    type: 'ticket.attachmentAdded',
    ticket,
    createdOn: activity.createdOn,
    data: {
      activityId: activity.id,
      isPrivate: activity.isPrivate,
      user: activity.user,
      attachments: attachments.map((a) => ({
        id: a.id,
        filename: a.filename,
        caption: a.caption,
        isHyperlink: a.link !== null,
        ...(a.link !== null ? { link: a.link } : {}),
        isImage: a.isImage,
        isArchive: a.isArchive,
        contentType: a.contentType,
        size: a.size,
        sha256: a.sha256,
      })),
    },
  });
}
