import { randomUUID } from 'node:crypto';
import { request } from 'node:http';

/*
 * What a .NET client of the original product puts on the wire, and how it reads the answer: the
 * two halves of the real-client replay (real-client.test.ts). Written from what HttpClient and
 * System.Text.Json do, so that a shape or an encoding such a client cannot take fails here.
 */

// ------------------------------------------------------------------ requests

/**
 * Uri.EscapeDataString: everything but RFC 3986's unreserved characters is percent-encoded
 * (so `,` in `select=id,ticketId` goes as `%2C`, and `:` in a date-time as `%3A`).
 */
export function escapeDataString(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** A JSON value that is sent as it is, nulls included (a JsonElement member, like customFields). */
export class RawJson {
  constructor(readonly value: unknown) {}
}

/**
 * JsonSerializer.Serialize with JsonIgnoreCondition.WhenWritingNull and the default encoder:
 * null members are left out, and strings escape `"`, `'`, `<`, `>`, `&`, `+`, `` ` `` and every
 * non-ASCII character as \uXXXX (what JavaScriptEncoder.Default does), so an HTML comment goes as
 * `\u003Cp\u003E…`. Member order is the order given (a C# record's declaration order).
 */
export function dotnetJson(value: unknown, keepNulls = false): string {
  if (value instanceof RawJson) return dotnetJson(value.value, true);
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return dotnetString(value);
  if (typeof value === 'number' || typeof value === 'boolean') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map((v) => dotnetJson(v, keepNulls)).join(',')}]`;
  const members = Object.entries(value as Record<string, unknown>).filter(([, v]) => keepNulls || (v !== null && v !== undefined));
  return `{${members.map(([k, v]) => `${dotnetString(k)}:${dotnetJson(v, keepNulls)}`).join(',')}}`;
}

const SHORT_ESCAPES: Record<string, string> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\b': '\\b', '\f': '\\f' };

function dotnetString(text: string): string {
  let out = '"';
  for (const char of text) {
    const code = char.codePointAt(0)!;
    if (SHORT_ESCAPES[char]) out += SHORT_ESCAPES[char];
    else if (code < 0x20 || code > 0x7e || `"'<>&+\``.includes(char)) {
      // Characters outside the BMP go as their two UTF-16 code units.
      for (let i = 0; i < char.length; i++) out += `\\u${char.charCodeAt(i).toString(16).toUpperCase().padStart(4, '0')}`;
    } else out += char;
  }
  return `${out}"`;
}

export interface WireRequest {
  method: 'GET' | 'POST' | 'PUT';
  /** The path under the base URL, as the client writes it: `tickets/{uuid}/activities`. */
  path: string;
  /** Sent as `&timezone=` right after the key, when the operation sends one. */
  timezone?: number;
  /** Query pairs in the order the client lists them; empty or missing values are left out. */
  query?: [string, string | number | boolean | undefined | null][];
  /** Sent in the `continuationToken` request header. */
  continuationToken?: string;
  body?: unknown;
}

export interface WireAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  /** The body as received (a download's bytes). */
  bytes: Buffer;
  /** The URL as sent (path and query), for failure messages. */
  url: string;
}

/** The request line's path of an API request: `?key=` first, then `&timezone=`, then the parameters. */
function apiPath(apiKey: string, wire: Pick<WireRequest, 'path' | 'timezone' | 'query'>): string {
  let path = `/api/v1/${wire.path}?key=${escapeDataString(apiKey)}`;
  if (wire.timezone !== undefined) path += `&timezone=${wire.timezone}`;
  for (const [name, value] of wire.query ?? []) {
    if (value === undefined || value === null || value === '') continue;
    path += `&${escapeDataString(name)}=${escapeDataString(String(value))}`;
  }
  return path;
}

/**
 * One request as the client's HttpClient sends it: `?key=` first, then `&timezone=`, then the
 * operation's parameters in its order; `Accept: application/json`; the continuation token in a
 * header; a JSON body as `application/json; charset=utf-8`, chunked (JsonContent does not know
 * its length in advance); no other headers (no User-Agent, no Accept-Encoding).
 */
export function sendAsDotnet(baseUrl: string, apiKey: string, wire: WireRequest): Promise<WireAnswer> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (wire.continuationToken) headers.continuationToken = wire.continuationToken;
  const body = wire.body === undefined ? undefined : Buffer.from(dotnetJson(wire.body), 'utf8');
  if (body) {
    headers['Content-Type'] = 'application/json; charset=utf-8';
    headers['Transfer-Encoding'] = 'chunked';
  }
  return exchange(baseUrl, wire.method, apiPath(apiKey, wire), headers, body, apiKey);
}

/**
 * A part of a MultipartFormDataContent: a StringContent (`Content-Type: text/plain;
 * charset=utf-8` unless another media type is given) added with `Add(content, name)`, or a
 * ByteArrayContent/StreamContent whose `Headers.ContentType` the client set before
 * `Add(content, name, fileName)`.
 */
export type DotnetPart = { name: string; value: string; mediaType?: string } | { name: string; fileName: string; data: Buffer; mediaType?: string };

/** HttpRuleParser's token characters (RFC 7230 tchar). */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * ContentDispositionHeaderValue's `name=` / `filename=` value (EncodeAndQuoteMime): a token as
 * it is (so `name=files`, unquoted), anything else in quotes, and a value with non-ASCII
 * characters as a quoted MIME encoded-word (`"=?utf-8?B?…?="`).
 */
export function dotnetMimeValue(value: string): string {
  let text = value;
  let quoted = false;
  if (text.length > 1 && text.startsWith('"') && text.endsWith('"')) {
    text = text.slice(1, -1);
    quoted = true;
  }
  // .NET throws ArgumentException for an inner quote: no such request can be sent.
  if (text.includes('"')) throw new Error(`.NET refuses a quote inside a Content-Disposition value: ${value}`);
  if ([...text].some((c) => c.charCodeAt(0) > 0x7f)) return `"=?utf-8?B?${Buffer.from(text, 'utf8').toString('base64')}?="`;
  return quoted || !TOKEN.test(text) ? `"${text}"` : text;
}

/**
 * HeaderUtilities.Encode5987, for `filename*=`: `utf-8''`, then every UTF-8 byte that is not a
 * token character, or is `*`, `'` or `%`, as %XX (upper-case hex).
 */
export function dotnetEncode5987(value: string): string {
  let out = "utf-8''";
  for (const byte of Buffer.from(value, 'utf8')) {
    const char = String.fromCharCode(byte);
    if (byte > 0x7f || !TOKEN.test(char) || char === '*' || char === "'" || char === '%') out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
    else out += char;
  }
  return out;
}

/**
 * The bytes MultipartFormDataContent writes (MultipartContent.SerializeToStreamAsync): the
 * Content-Type `multipart/form-data; boundary="<Guid>"` (the boundary quoted), `--boundary`
 * CRLF, then per part its headers in the order they were set (Content-Type first: the content
 * carries it before Add sets Content-Disposition), a blank line and the content, parts divided
 * by CRLF `--boundary` CRLF, and CRLF `--boundary--` CRLF at the end. The Content-Disposition is
 * `form-data; name=files; filename=a.txt; filename*=utf-8''a.txt` (ContentDispositionHeaderValue:
 * unquoted tokens, filename* always beside filename).
 */
export function dotnetMultipart(parts: DotnetPart[], boundary: string = randomUUID()): { contentType: string; body: Buffer } {
  const chunks: Buffer[] = [Buffer.from(`--${boundary}\r\n`, 'latin1')];
  parts.forEach((part, index) => {
    if (index > 0) chunks.push(Buffer.from(`\r\n--${boundary}\r\n`, 'latin1'));
    let headers: string;
    if ('fileName' in part) {
      const disposition = `form-data; name=${dotnetMimeValue(part.name)}; filename=${dotnetMimeValue(part.fileName)}; filename*=${dotnetEncode5987(part.fileName)}`;
      headers = `${part.mediaType ? `Content-Type: ${part.mediaType}\r\n` : ''}Content-Disposition: ${disposition}\r\n`;
    } else {
      headers = `Content-Type: ${part.mediaType ?? 'text/plain'}; charset=utf-8\r\nContent-Disposition: form-data; name=${dotnetMimeValue(part.name)}\r\n`;
    }
    // Header values go as Latin-1 (HttpRuleParser.DefaultHttpEncoding); they are ASCII here.
    chunks.push(Buffer.from(`${headers}\r\n`, 'latin1'), 'fileName' in part ? part.data : Buffer.from(part.value, 'utf8'));
  });
  chunks.push(Buffer.from(`\r\n--${boundary}--\r\n`, 'latin1'));
  return { contentType: `multipart/form-data; boundary="${boundary}"`, body: Buffer.concat(chunks) };
}

/**
 * An upload as the client's HttpClient posts a MultipartFormDataContent: the API path as for
 * any request, `Accept: application/json`, and a Content-Length (every part's length is known,
 * so MultipartContent.TryComputeLength gives the whole, and HttpClient does not chunk).
 */
export function postMultipartAsDotnet(baseUrl: string, apiKey: string, wire: Pick<WireRequest, 'path' | 'query'>, parts: DotnetPart[]): Promise<WireAnswer> {
  const { contentType, body } = dotnetMultipart(parts);
  const headers = { Accept: 'application/json', 'Content-Type': contentType, 'Content-Length': String(body.length) };
  return exchange(baseUrl, 'POST', apiPath(apiKey, wire), headers, body, apiKey);
}

/**
 * A GET of an absolute URL (a file's signed `src`) with the client's HttpClient: no key added
 * (the client adds `?key=` to the API paths it builds, not to a URL it was given), and its
 * default `Accept: application/json`.
 */
export function getUrlAsDotnet(absoluteUrl: string): Promise<WireAnswer> {
  const url = new URL(absoluteUrl);
  return exchange(url.origin, 'GET', `${url.pathname}${url.search}`, { Accept: 'application/json' }, undefined);
}

function exchange(
  baseUrl: string,
  method: string,
  path: string,
  headers: Record<string, string>,
  body: Buffer | undefined,
  apiKey?: string,
): Promise<WireAnswer> {
  const url = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, method, path, headers: { Host: url.host, ...headers }, setHost: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const bytes = Buffer.concat(chunks);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text: bytes.toString('utf8'), bytes, url: apiKey ? path.replace(apiKey, '<key>') : path });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    if (body) {
      // Two chunks, as a streamed body may arrive.
      const half = Math.floor(body.length / 2);
      req.write(body.subarray(0, half));
      req.write(body.subarray(half));
    }
    req.end();
  });
}

// ------------------------------------------------------------------ answers

/**
 * The type a client's model declares for a member, and what System.Text.Json accepts for it:
 * a string only from a JSON string (a number there fails), a number only from a JSON number (an
 * `int` only from an integer in range), a boolean only from true or false, an object or a list
 * only from one. `nullable` admits null; `optional` admits a missing member (the model's member
 * stays null). Unknown members are ignored, as System.Text.Json ignores them.
 */
export type Shape =
  | { kind: 'string'; format?: 'uuid' | 'date-time' }
  | { kind: 'int' }
  | { kind: 'bool' }
  | { kind: 'any' }
  | { kind: 'dictionary' }
  | { kind: 'array'; of: Shape }
  | { kind: 'object'; members: Record<string, Member> };
export interface Member {
  shape: Shape;
  nullable: boolean;
  optional: boolean;
}

const member = (shape: Shape | Member): Member => ('shape' in shape ? shape : { shape, nullable: false, optional: false });

/** Builders for the expected shapes. */
export const t = {
  string: (format?: 'uuid' | 'date-time'): Shape => ({ kind: 'string', ...(format ? { format } : {}) }),
  int: (): Shape => ({ kind: 'int' }),
  bool: (): Shape => ({ kind: 'bool' }),
  /** A JsonElement member: any JSON value, null included. */
  any: (): Member => ({ shape: { kind: 'any' }, nullable: true, optional: false }),
  /** A Dictionary<string, JsonElement> member: an object, its members kept as they are. */
  dictionary: (): Shape => ({ kind: 'dictionary' }),
  array: (of: Shape): Shape => ({ kind: 'array', of }),
  object: (members: Record<string, Shape | Member>): Shape => ({
    kind: 'object',
    members: Object.fromEntries(Object.entries(members).map(([name, m]) => [name, member(m)])),
  }),
  nullable: (shape: Shape | Member): Member => ({ ...member(shape), nullable: true }),
  optional: (shape: Shape | Member): Member => ({ ...member(shape), optional: true }),
};

export class ShapeError extends Error {}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const UTC_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

const kindOf = (value: unknown): string => (value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`);

/**
 * Reads a JSON text as the model says, or throws ShapeError naming the first member that such a
 * client could not read. Member names match without case (PropertyNameCaseInsensitive); the
 * value returned carries the model's own spelling of each name.
 */
export function readAs<T = any>(text: string, shape: Shape, where = '$'): T {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ShapeError(`${where}: not JSON: ${text.slice(0, 200)}`);
  }
  return readValue(value, member(shape), where) as T;
}

function readValue(value: unknown, m: Member, path: string): unknown {
  if (value === null) {
    if (m.nullable || m.shape.kind === 'any') return null;
    throw new ShapeError(`${path}: null where ${describe(m.shape)} is expected`);
  }
  const shape = m.shape;
  switch (shape.kind) {
    case 'any':
      return value;
    case 'dictionary':
      if (typeof value !== 'object' || Array.isArray(value)) throw new ShapeError(`${path}: ${kindOf(value)} where an object is expected`);
      return value;
    case 'string':
      if (typeof value !== 'string') throw new ShapeError(`${path}: ${kindOf(value)} (${JSON.stringify(value)}) where a string is expected`);
      if (shape.format === 'uuid' && !UUID.test(value)) throw new ShapeError(`${path}: "${value}" is not a UUID`);
      if (shape.format === 'date-time' && !UTC_DATE_TIME.test(value)) throw new ShapeError(`${path}: "${value}" is not an ISO 8601 UTC date-time`);
      return value;
    case 'int':
      if (typeof value !== 'number') throw new ShapeError(`${path}: ${kindOf(value)} (${JSON.stringify(value)}) where a number is expected`);
      if (!Number.isInteger(value) || value < -2147483648 || value > 2147483647) throw new ShapeError(`${path}: ${value} is not an Int32`);
      return value;
    case 'bool':
      if (typeof value !== 'boolean') throw new ShapeError(`${path}: ${kindOf(value)} (${JSON.stringify(value)}) where true or false is expected`);
      return value;
    case 'array':
      if (!Array.isArray(value)) throw new ShapeError(`${path}: ${kindOf(value)} where an array is expected`);
      return value.map((item, i) => readValue(item, member(shape.of), `${path}[${i}]`));
    case 'object': {
      if (typeof value !== 'object' || Array.isArray(value)) throw new ShapeError(`${path}: ${kindOf(value)} where an object is expected`);
      const byLowerName = new Map(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k.toLowerCase(), v]));
      const out: Record<string, unknown> = {};
      for (const [name, inner] of Object.entries(shape.members)) {
        const key = name.toLowerCase();
        if (!byLowerName.has(key)) {
          if (inner.optional) continue;
          throw new ShapeError(`${path}.${name}: missing`);
        }
        out[name] = readValue(byLowerName.get(key), inner, `${path}.${name}`);
      }
      return out;
    }
  }
}

function describe(shape: Shape): string {
  if (shape.kind === 'dictionary') return 'an object';
  return shape.kind === 'int' ? 'a number' : shape.kind === 'bool' ? 'true or false' : shape.kind === 'array' ? 'an array' : `a ${shape.kind}`;
}
