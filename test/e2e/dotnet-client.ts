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
  /** The URL as sent (path and query), for failure messages. */
  url: string;
}

/**
 * One request as the client's HttpClient sends it: `?key=` first, then `&timezone=`, then the
 * operation's parameters in its order; `Accept: application/json`; the continuation token in a
 * header; a JSON body as `application/json; charset=utf-8`, chunked (JsonContent does not know
 * its length in advance); no other headers (no User-Agent, no Accept-Encoding).
 */
export function sendAsDotnet(baseUrl: string, apiKey: string, wire: WireRequest): Promise<WireAnswer> {
  let path = `/api/v1/${wire.path}?key=${escapeDataString(apiKey)}`;
  if (wire.timezone !== undefined) path += `&timezone=${wire.timezone}`;
  for (const [name, value] of wire.query ?? []) {
    if (value === undefined || value === null || value === '') continue;
    path += `&${escapeDataString(name)}=${escapeDataString(String(value))}`;
  }
  const url = new URL(baseUrl);
  const headers: Record<string, string> = { Host: url.host, Accept: 'application/json' };
  if (wire.continuationToken) headers.continuationToken = wire.continuationToken;
  const body = wire.body === undefined ? undefined : Buffer.from(dotnetJson(wire.body), 'utf8');
  if (body) {
    headers['Content-Type'] = 'application/json; charset=utf-8';
    headers['Transfer-Encoding'] = 'chunked';
  }
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, method: wire.method, path, headers, setHost: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8'), url: path.replace(apiKey, '<key>') }),
      );
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
