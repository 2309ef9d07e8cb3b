import { parse as parseQueryString } from 'node:querystring';

/*
 * The one parser of query strings. Authentication reads `key` from what it returns, and log
 * redaction (redactUrl) asks it which parameters are `key`, so every spelling that
 * authenticates (`?%6Bey=`, `?+key=`, `? key =`) is also one that gets redacted.
 */

/** A parameter's name as the API reads it: percent- and plus-decoded, then trimmed. */
function parameterName(pair: string): string {
  const name = Object.keys(parseQueryString(pair))[0];
  return name === undefined ? '' : name.trim();
}

/**
 * Query strings are trimmed: the reference's own example has `& orderBy=status`, so names and
 * values lose surrounding spaces (comma-separated lists are trimmed where they are parsed).
 */
export function parseTrimmedQuery(text: string): Record<string, string> {
  const parsed = parseQueryString(text);
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(parsed)) {
    if (value === undefined) continue;
    const key = name.trim();
    if (key === '' || key === '__proto__') continue;
    // A repeated parameter (status=Open&status=Closed) reads as the comma-separated list.
    out[key] = Array.isArray(value) ? value.map((v) => v.trim()).join(',') : value.trim();
  }
  return out;
}

/** Names whose values never reach a log line. Compared case-insensitively: over-redacting is harmless. */
const SECRET_PARAMETERS = new Set(['key']);

/**
 * The URL with the value of every parameter that the API would read as a key replaced, so keys
 * never reach a log line. Pairs are split exactly as node:querystring splits them (on `&`, the
 * name ending at the first `=`), and each name is decoded as parseTrimmedQuery decodes it.
 */
export function redactUrl(url: string): string {
  const question = url.indexOf('?');
  if (question === -1) return url;
  const pairs = url.slice(question + 1).split('&');
  const redacted = pairs.map((pair) => {
    if (!SECRET_PARAMETERS.has(parameterName(pair).toLowerCase())) return pair;
    const equals = pair.indexOf('=');
    return `${equals === -1 ? pair : pair.slice(0, equals)}=[REDACTED]`;
  });
  return `${url.slice(0, question + 1)}${redacted.join('&')}`;
}
