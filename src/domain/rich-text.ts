import { createRequire } from 'node:module';
import type sanitizeHtml from 'sanitize-html';
import { FieldErrors } from './errors.js';
import { isLongerThan } from './limits.js';
import { BLOCK_TAGS, DROPPED_WITH_CONTENT, LINK_SCHEMES, newTabLink, RICH_TEXT_ATTRIBUTES, RICH_TEXT_TAGS } from './rich-text-policy.js';

/*
 * Rich text: a description or a comment may come as HTML (description_HTML, comment_HTML),
 * as plain text, or as both. The HTML is sanitised on the way in with sanitize-html and the
 * allow-list of rich-text-policy.ts; the plain text is what search indexes and what plain
 * clients read, so it is derived from the HTML when only the HTML is given. When only plain
 * text is given, its HTML is the text escaped with its line breaks kept, made when it is asked
 * for rather than stored (docs/decisions/015-rich-text.md).
 */

const SANITIZE_OPTIONS: sanitizeHtml.IOptions = {
  allowedTags: [...RICH_TEXT_TAGS],
  allowedAttributes: Object.fromEntries(Object.entries(RICH_TEXT_ATTRIBUTES).map(([tag, names]) => [tag, [...names]])),
  allowedSchemes: [...LINK_SCHEMES],
  allowedSchemesByTag: {},
  allowedSchemesAppliedToAttributes: ['href'],
  allowProtocolRelative: false,
  disallowedTagsMode: 'discard',
  nonTextTags: [...DROPPED_WITH_CONTENT],
  // Every link is rebuilt from its href and title alone: target and rel are ours to set.
  transformTags: { a: (_tag, attributes) => ({ tagName: 'a', attribs: newTabLink(attributes.href, attributes.title) }) },
};

/**
 * sanitize-html, loaded the first time HTML arrives: with its parser and postcss it adds about
 * 10 MB to a process's resident memory, which servers whose clients send only plain text
 * (most of them) need not carry.
 */
let sanitizer: typeof sanitizeHtml | undefined;

/** The HTML with only the allowed tags, attributes and links left; text is escaped. */
export function sanitizeRichText(html: string): string {
  sanitizer ??= createRequire(import.meta.url)('sanitize-html') as typeof sanitizeHtml;
  // Dropping an unknown element keeps its children where it stood, which can leave a <p> inside
  // a <p> (`<p>a<x><p>b`); parsed again, that closes the first. Sanitising the output again until
  // nothing changes makes what is stored what any later edit or reader parses it as.
  let clean = sanitizer(html, SANITIZE_OPTIONS);
  for (let pass = 0; pass < 3; pass++) {
    const again = sanitizer(clean, SANITIZE_OPTIONS);
    if (again === clean) break;
    clean = again;
  }
  return clean;
}

const ENTITY = /&(#x[0-9a-f]+|#\d+|amp|lt|gt|quot|apos|nbsp);/gi;
const NAMED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0' };

function decodeEntities(text: string): string {
  return text.replace(ENTITY, (entity, name: string) => {
    if (name[0] !== '#') return NAMED[name.toLowerCase()] ?? entity;
    const code = name[1] === 'x' || name[1] === 'X' ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
    return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : entity;
  });
}

/**
 * A tag or a run of text of SANITISED HTML. sanitize-html writes text and attribute values
 * escaped (no raw `<` in text, no raw `>` or `"` in attributes), so this simple split is exact
 * on its output; it is not a parser for HTML from elsewhere.
 */
const TOKEN = /<(\/?)([a-z][a-z0-9]*)((?:\s[^>]*)?)\/?>|([^<]+)/gi;
const ATTRIBUTE = (name: string) => new RegExp(`\\s${name}="([^"]*)"`);

/**
 * The plain text of sanitised HTML: block elements and <br> start new lines, list items get
 * "- " or "1. ", a link whose text is not its address is followed by the address, whitespace
 * runs collapse as a browser shows them (but not in <pre>), entities are decoded.
 */
export function plainFromHtml(html: string): string {
  let out = '';
  let preDepth = 0;
  const lists: { ordered: boolean; next: number }[] = [];
  const links: { href: string | undefined; start: number }[] = [];
  const trimLineEnd = () => {
    out = out.replace(/[ \t]+$/, '');
  };
  const newLine = () => {
    trimLineEnd();
    if (out !== '' && !out.endsWith('\n')) out += '\n';
  };
  for (const [, closing, rawName, attributes = '', text] of html.matchAll(TOKEN)) {
    if (text !== undefined) {
      let value = decodeEntities(text);
      if (preDepth === 0) {
        value = value.replace(/\s+/g, ' ');
        if (out === '' || out.endsWith('\n') || out.endsWith(' ')) value = value.replace(/^ /, '');
      }
      out += value;
      continue;
    }
    const name = rawName!.toLowerCase();
    if (name === 'br') {
      trimLineEnd();
      out += '\n';
      continue;
    }
    if (BLOCK_TAGS.has(name)) newLine();
    if (closing) {
      if (name === 'pre') preDepth = Math.max(0, preDepth - 1);
      else if (name === 'ul' || name === 'ol') lists.pop();
      else if (name === 'a') {
        const link = links.pop();
        const shown = out.slice(link?.start ?? out.length).trim();
        const href = link?.href;
        const same = (a: string, b: string) => a.replace(/\/$/, '') === b.replace(/\/$/, '');
        if (href && !same(shown, href) && !same(`mailto:${shown}`, href)) out += shown ? ` (${href})` : href;
      }
      continue;
    }
    if (name === 'pre') preDepth++;
    else if (name === 'ul') lists.push({ ordered: false, next: 1 });
    else if (name === 'ol') {
      const start = Number(decodeEntities(ATTRIBUTE('start').exec(attributes)?.[1] ?? '1'));
      lists.push({ ordered: true, next: Number.isSafeInteger(start) ? start : 1 });
    } else if (name === 'li') {
      const list = lists[lists.length - 1];
      out += list?.ordered ? `${list.next++}. ` : '- ';
    } else if (name === 'a') {
      const href = ATTRIBUTE('href').exec(attributes)?.[1];
      links.push({ href: href === undefined ? undefined : decodeEntities(href), start: out.length });
    } else if ((name === 'td' || name === 'th') && out !== '' && !out.endsWith('\n') && !out.endsWith(' ')) out += ' ';
  }
  return out
    .split('\n')
    .map((line) => line.replace(/[ \t]+$/, ''))
    .join('\n')
    .replace(/^\n+|\n+$/g, '');
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** The HTML of plain text: escaped, each line break a <br>. */
export function htmlFromPlain(plain: string): string {
  return plain.replace(/[&<>"']/g, (c) => ESCAPES[c]!).replace(/\r\n|\r|\n/g, '<br>');
}

/** A rich text as stored: its plain text, and its sanitised HTML or null when that is derived from the plain text. */
export interface StoredRichText {
  plain: string;
  html: string | null;
}

/** The HTML of a stored rich text, as answered. */
export const htmlOf = (text: { plain: string; html: string | null }): string => text.html ?? htmlFromPlain(text.plain);

const hasText = (value: string | null | undefined): value is string => typeof value === 'string' && value.trim() !== '';

/**
 * What to store of a rich text given as plain text, HTML or both. Blank HTML counts as not given.
 * The HTML is sanitised; with no plain text beside it, the plain text is derived from it. Sizes
 * are checked on what is stored (sanitising may lengthen HTML: links gain target and rel).
 */
export function resolveRichText(
  given: { plain?: string | null | undefined; html?: string | null | undefined },
  field: { plainPath: string; htmlPath: string; max: number; errors: FieldErrors },
): StoredRichText {
  const html = hasText(given.html) ? sanitizeRichText(given.html) : '';
  if (html.trim() === '') return { plain: given.plain ?? '', html: null };
  if (isLongerThan(html, field.max)) field.errors.add(field.htmlPath, `is longer than ${field.max} characters once sanitised`);
  const plain = hasText(given.plain) ? given.plain : plainFromHtml(html);
  if (isLongerThan(plain, field.max)) field.errors.add(field.plainPath, `is longer than ${field.max} characters`);
  return { plain, html };
}

/** What `include=` may ask for: the HTML of descriptions and of comments. */
export const INCLUDABLE = ['description_HTML', 'comment_HTML'] as const;
export type Includable = (typeof INCLUDABLE)[number];

/**
 * The comma-separated `include` parameter (names case-insensitive), its errors added to `errors`.
 * Every route that takes it takes both names and ignores the one that does not apply to it, so a
 * client may send the same value everywhere; an unknown name is an error.
 */
export function readInclude(raw: string | undefined, errors: FieldErrors): ReadonlySet<Includable> {
  const included = new Set<Includable>();
  for (const name of (raw ?? '').split(',').map((part) => part.trim())) {
    if (name === '') continue;
    const known = INCLUDABLE.find((n) => n.toLowerCase() === name.toLowerCase());
    if (known) included.add(known);
    else errors.add('/query/include', `unknown name "${name.slice(0, 50)}" in include; one of ${INCLUDABLE.join(', ')}`);
  }
  return included;
}

/** readInclude on its own: a 400 listing the unknown names. */
export function parseInclude(raw: string | undefined): ReadonlySet<Includable> {
  const errors = new FieldErrors();
  const included = readInclude(raw, errors);
  errors.throwIfAny('Some query parameters are invalid');
  return included;
}
