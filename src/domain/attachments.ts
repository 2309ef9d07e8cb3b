import { createHmac, timingSafeEqual } from 'node:crypto';
import { extname } from 'node:path';
import type { IUser } from './ticket.js';

/*
 * Attachments: files uploaded to a ticket and links added to it, each recorded with the activity
 * that added them (docs/api.md §12, docs/decisions/018-attachments.md). Decisions only here: names,
 * types, limits, download links; the bytes and the rows are the storage's and the store's.
 */

/** Display name of a file, in characters; longer names are cut (keeping the extension). */
export const FILENAME_MAX = 255;
export const CAPTION_MAX = 500;
/** A link's `src`, in characters. */
export const LINK_MAX = 2048;
/** Attachments (files and links) per ticket; a follow-up ticket takes more. */
export const ATTACHMENTS_PER_TICKET = 1000;
/** Links in one request. */
export const LINKS_PER_REQUEST = 50;

/** The wire shape (IAttachment). */
export interface IAttachment {
  id: string;
  filename: string;
  caption: string | null;
  /** A file: a signed download URL that works without a key until it expires. A link: the link. */
  src: string;
  isHyperlink: boolean;
  isImage: boolean;
  isArchive: boolean;
  contentType: string | null;
  size: number | null;
  sha256: string | null;
  createdDateTime: string;
  /** The id of the user who added it. */
  createdBy: string;
  /** The activity that added it. */
  activityId: string;
  /** Added with a private note: shown to agents, never sent to the requestor. */
  isPrivate: boolean;
}

/** An attachment as stored: a file's storage key instead of its signed URL. */
export interface StoredAttachment {
  id: string;
  ticketId: string;
  ticketNumber: number;
  activityId: string;
  filename: string;
  caption: string | null;
  /** The link, for a hyperlink; null for a file. */
  link: string | null;
  sha256: string | null;
  size: number | null;
  contentType: string | null;
  storageKey: string | null;
  isImage: boolean;
  isArchive: boolean;
  isPrivate: boolean;
  createdOn: string;
  createdBy: IUser;
}

/** Images every browser shows and none of them runs code in: the only types served inline. */
export const INLINE_IMAGE_TYPES: ReadonlySet<string> = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp']);

const ARCHIVE_TYPES = new Set([
  'application/zip',
  'application/x-tar',
  'application/gzip',
  'application/x-bzip2',
  'application/x-7z-compressed',
  'application/x-rar-compressed',
  'application/vnd.rar',
  'application/x-xz',
  'application/zstd',
  'application/x-lzip',
  'application/x-compress',
  'application/x-lzh-compression',
  'application/vnd.ms-cab-compressed',
]);
const IMAGE_EXTENSIONS = new Set(['.png', '.jpg', '.jpeg', '.gif', '.webp']);
const ARCHIVE_EXTENSIONS = new Set(['.zip', '.tar', '.gz', '.tgz', '.bz2', '.7z', '.rar', '.xz', '.zst', '.lz', '.cab']);

/** Types a browser would render and run script in: downloads name them application/octet-stream. */
const ACTIVE_TYPES = /html|xml|svg|javascript|ecmascript/i;

/**
 * The name a file is shown and downloaded under. Never a path: whatever precedes the last `/` or
 * `\` goes, control characters go, and `.`/`..` become `file`. Storage never uses it (bytes are
 * stored by their SHA-256), so a name can only ever be a label.
 */
export function displayFilename(raw: string | undefined | null): string {
  const base = (raw ?? '').split(/[/\\]/).pop() ?? '';
  const clean = base.replace(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g, '').trim();
  if (clean === '' || clean === '.' || clean === '..') return 'file';
  const chars = [...clean];
  if (chars.length <= FILENAME_MAX) return clean;
  const extension = [...extname(clean)].slice(0, 20).join('');
  return chars.slice(0, FILENAME_MAX - extension.length).join('') + extension;
}

/** A media type as the client declared it, if it is one (`type/subtype`, parameters dropped). */
export function declaredType(raw: string | undefined | null): string | undefined {
  const type = (raw ?? '').split(';')[0]!.trim().toLowerCase();
  return /^[a-z0-9!#$&^_.+-]{1,64}\/[a-z0-9!#$&^_.+-]{1,128}$/.test(type) ? type : undefined;
}

/** Text formats have no signature bytes; clients (curl among them) often declare them as plain bytes. */
const TEXT_TYPES_BY_EXTENSION: Record<string, string> = {
  '.txt': 'text/plain',
  '.log': 'text/plain',
  '.csv': 'text/csv',
  '.tsv': 'text/tab-separated-values',
  '.md': 'text/markdown',
  '.json': 'application/json',
  '.yaml': 'application/yaml',
  '.yml': 'application/yaml',
};

/**
 * What a file is, from the type read from its bytes (`detected`; clients' headers are not
 * trusted for this) and, for text formats that have no signature bytes, the declared type (or,
 * when that says nothing, the name's extension).
 */
export function classifyFile(
  detected: string | undefined,
  declared: string | undefined,
  filename: string,
): { contentType: string; isImage: boolean; isArchive: boolean } {
  const claimed = declared && declared !== 'application/octet-stream' ? declared : TEXT_TYPES_BY_EXTENSION[extname(filename).toLowerCase()];
  const contentType = detected ?? (claimed && !INLINE_IMAGE_TYPES.has(claimed) && !ARCHIVE_TYPES.has(claimed) ? claimed : 'application/octet-stream');
  return { contentType, isImage: detected !== undefined && INLINE_IMAGE_TYPES.has(detected), isArchive: detected !== undefined && ARCHIVE_TYPES.has(detected) };
}

/** A link looks like an image or an archive by its path's extension (nothing is fetched). */
export function classifyLink(url: URL): { isImage: boolean; isArchive: boolean } {
  const extension = extname(decodeURIComponentSafe(url.pathname)).toLowerCase();
  return { isImage: IMAGE_EXTENSIONS.has(extension), isArchive: ARCHIVE_EXTENSIONS.has(extension) };
}

/** The name a link is shown under: the last segment of its path, else its host. */
export function linkFilename(url: URL): string {
  const last = decodeURIComponentSafe(url.pathname).split('/').filter(Boolean).pop();
  return displayFilename(last ?? url.hostname);
}

function decodeURIComponentSafe(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** A link's URL when it is an absolute http(s) URL; otherwise the reason it is refused. */
export function parseLink(src: string): URL | string {
  const trimmed = src.trim();
  if ([...trimmed].length > LINK_MAX) return `is longer than ${LINK_MAX} characters`;
  let url: URL;
  try {
    url = new URL(trimmed);
  } catch {
    return 'is not an absolute URL';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `must be an http or https URL, not ${url.protocol}`;
  return url;
}

/**
 * Whether the operator's list (ATTACHMENT_BLOCKED_TYPES) refuses a file: by the type read from its
 * bytes, or by its name's extension (scripts have no signature bytes).
 */
export function isBlocked(blockedTypes: readonly string[], detected: string | undefined, filename: string): boolean {
  const extension = extname(filename).toLowerCase();
  return blockedTypes.some((entry) => (entry.startsWith('.') ? entry === extension : entry === detected));
}

/** Content-Type of a download: active types (HTML, SVG, XML, script) are sent as bytes, never as themselves. */
export function downloadType(contentType: string | null): string {
  if (!contentType || ACTIVE_TYPES.test(contentType)) return 'application/octet-stream';
  return contentType.startsWith('text/') ? `${contentType}; charset=utf-8` : contentType;
}

/**
 * Content-Disposition with an RFC 6266 file name: an ASCII fallback in `filename` and the exact
 * name in `filename*` (RFC 8187, UTF-8, percent-encoded).
 */
export function contentDisposition(disposition: 'attachment' | 'inline', filename: string): string {
  const fallback = filename.replace(/[^\x20-\x7e]|["\\%]/g, '_');
  const encoded = encodeURIComponent(filename).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `${disposition}; filename="${fallback}"; filename*=UTF-8''${encoded}`;
}

/** A single byte range of a representation of `size` bytes (RFC 9110 §14). */
export type RangeRequest = { start: number; end: number } | 'unsatisfiable' | undefined;

/**
 * The Range header of a download. Undefined (send everything) when there is none, when it is not
 * a single well-formed byte range (ignoring it is what RFC 9110 allows), or when the file is empty.
 */
export function parseRange(header: string | undefined, size: number): RangeRequest {
  if (!header || size === 0) return undefined;
  const match = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (!match || (match[1] === '' && match[2] === '')) return undefined;
  if (match[1] === '') {
    const suffix = Number(match[2]);
    if (suffix === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(match[1]);
  const end = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1);
  if (start >= size) return 'unsatisfiable';
  if (end < start) return undefined;
  return { start, end };
}

/*
 * Download links: `src` works without a key until it expires, so that an <img>, a browser tab or
 * a link in an e-mail can fetch the file. The signature is an HMAC-SHA256 over the instance, the
 * attachment and the expiry, keyed with a key derived from the server's token secret (shared by
 * every process on the store, so any of them accepts the others' links).
 */

/** Links are made to expire on a 5-minute boundary, so a page shown twice in a while gets the same URLs (and the browser's cache). */
const EXPIRY_STEP_SECONDS = 300;

export function downloadSigningKey(tokenSecret: string): Buffer {
  return createHmac('sha256', tokenSecret).update('attachment download links v1').digest();
}

function signature(key: Buffer, instanceId: string, attachmentId: string, expires: number): string {
  return createHmac('sha256', key).update(`${instanceId}\n${attachmentId}\n${expires}`).digest('base64url');
}

/** The expiry (Unix seconds) of a link made now: at least `ttlSeconds` away. */
export function linkExpiry(nowMs: number, ttlSeconds: number): number {
  return Math.ceil((nowMs / 1000 + ttlSeconds) / EXPIRY_STEP_SECONDS) * EXPIRY_STEP_SECONDS;
}

/** The path and query of a file's download link (the caller puts PUBLIC_URL in front). */
export function signedDownloadPath(key: Buffer, instanceId: string, attachmentId: string, filename: string, expires: number): string {
  return `/files/${instanceId}/${attachmentId}/${encodeURIComponent(filename)}?expires=${expires}&signature=${signature(key, instanceId, attachmentId, expires)}`;
}

/** Whether a download link's signature is right and it has not expired. */
export function checkDownloadSignature(
  key: Buffer,
  link: { instanceId: string; attachmentId: string; expires: string | undefined; signature: string | undefined },
  nowMs: number,
): 'ok' | 'expired' | 'invalid' {
  if (!link.expires || !/^\d{1,12}$/.test(link.expires) || !link.signature) return 'invalid';
  const expected = Buffer.from(signature(key, link.instanceId, link.attachmentId, Number(link.expires)));
  const given = Buffer.from(link.signature);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return 'invalid';
  return Number(link.expires) * 1000 < nowMs ? 'expired' : 'ok';
}

/** The wire shape of a stored attachment; `src` of a file is its signed link, made by the caller. */
export function presentAttachment(stored: StoredAttachment, fileSrc: (stored: StoredAttachment) => string): IAttachment {
  return {
    id: stored.id,
    filename: stored.filename,
    caption: stored.caption,
    src: stored.link ?? fileSrc(stored),
    isHyperlink: stored.link !== null,
    isImage: stored.isImage,
    isArchive: stored.isArchive,
    contentType: stored.contentType,
    size: stored.size,
    sha256: stored.sha256,
    createdDateTime: stored.createdOn,
    createdBy: stored.createdBy.id,
    activityId: stored.activityId,
    isPrivate: stored.isPrivate,
  };
}

/** The housekeeping job of the nightly sweep of blobs nothing points at. */
export const SWEEP_JOB = 'attachments.sweep';
/** Nightly, at this hour (UTC): a quiet hour for most help desks. */
const SWEEP_HOUR_UTC = 3;

/** The next sweep after `now`: the coming SWEEP_HOUR_UTC o'clock. */
export function nextSweepAt(now: string): string {
  const next = new Date(now);
  next.setUTCHours(SWEEP_HOUR_UTC, 0, 0, 0);
  if (next.getTime() <= Date.parse(now)) next.setUTCDate(next.getUTCDate() + 1);
  return next.toISOString();
}
