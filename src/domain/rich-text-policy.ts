/*
 * What rich text (description_HTML, comment_HTML) may hold: the allow-list the server sanitises
 * with (src/domain/rich-text.ts, through sanitize-html) and the web app renders with
 * (web/src/components/rich-text.tsx), one definition for both. Why these and nothing more:
 * docs/decisions/015-rich-text.md. Imports nothing, so the web app can take it as it is.
 */

/** Formatting, structure, links and tables: what mail clients, Teams and simple editors write. */
export const RICH_TEXT_TAGS = [
  'p',
  'br',
  'div',
  'span',
  'b',
  'strong',
  'i',
  'em',
  'u',
  's',
  'strike',
  'del',
  'sub',
  'sup',
  'code',
  'pre',
  'blockquote',
  'ul',
  'ol',
  'li',
  'a',
  'h1',
  'h2',
  'h3',
  'h4',
  'h5',
  'h6',
  'hr',
  'table',
  'thead',
  'tbody',
  'tfoot',
  'tr',
  'th',
  'td',
  'caption',
] as const;
export type RichTextTag = (typeof RICH_TEXT_TAGS)[number];

/**
 * The attributes kept, per tag; every other attribute goes (event handlers, style, class, id).
 * A link's target and rel are not the writer's: the sanitiser sets them (newTabLink).
 */
export const RICH_TEXT_ATTRIBUTES: Readonly<Partial<Record<RichTextTag, readonly string[]>>> = {
  a: ['href', 'title', 'target', 'rel'],
  ol: ['start'],
  td: ['colspan', 'rowspan'],
  th: ['colspan', 'rowspan'],
};

/** The URL schemes a link may have. Relative and protocol-relative links are dropped too. */
export const LINK_SCHEMES = ['http', 'https', 'mailto'] as const;

/** Elements whose content is dropped with them: never text, and nothing to show. */
export const DROPPED_WITH_CONTENT = [
  'script',
  'style',
  'template',
  'title',
  'textarea',
  'select',
  'option',
  'noscript',
  'iframe',
  'object',
  'embed',
  'svg',
  'math',
] as const;

/** Elements that start a new line of the plain text (br too). */
export const BLOCK_TAGS: ReadonlySet<string> = new Set([
  'p',
  'div',
  'pre',
  'blockquote',
  'ul',
  'ol',
  'li',
  'h1',
  'h2',
  'h3',
  'h4',
  'h5',
  'h6',
  'hr',
  'table',
  'thead',
  'tbody',
  'tfoot',
  'tr',
  'caption',
]);

/**
 * The link as stored, normalised by the URL parser (which also strips the tabs and line breaks
 * that hide a `javascript:`), or undefined when it is not an absolute http, https or mailto URL.
 */
export function safeHref(href: string | undefined): string | undefined {
  if (!href) return undefined;
  let url: URL;
  try {
    url = new URL(href.trim());
  } catch {
    return undefined; // relative, or not a URL at all
  }
  return (LINK_SCHEMES as readonly string[]).includes(url.protocol.slice(0, -1)) ? url.href : undefined;
}

/** The attributes of a kept link: its safe href opens in a new tab without giving it this page. */
export function newTabLink(href: string | undefined, title: string | undefined): Record<string, string> {
  const safe = safeHref(href);
  return {
    ...(safe ? { href: safe, target: '_blank', rel: 'noopener noreferrer' } : {}),
    ...(title ? { title } : {}),
  };
}
