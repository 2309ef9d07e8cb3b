import { createElement, Fragment, useEffect, useMemo, useRef, type KeyboardEvent, type ReactNode } from 'react';
import { DROPPED_WITH_CONTENT, newTabLink, RICH_TEXT_ATTRIBUTES, RICH_TEXT_TAGS, safeHref, type RichTextTag } from '../../../src/domain/rich-text-policy.js';

/*
 * Rich text in the web app. The server sanitises every description_HTML and comment_HTML on the
 * way in; the page does not rely on that alone: it never hands HTML to the DOM as HTML. It
 * parses it into an inert document (DOMParser runs no script and loads nothing) and builds React
 * elements from the same allow-list the server uses (src/domain/rich-text-policy.ts), so only
 * those tags and attributes can reach the page, and every link opens in a new tab.
 */

const TAGS: ReadonlySet<string> = new Set(RICH_TEXT_TAGS);
const DROPPED: ReadonlySet<string> = new Set(DROPPED_WITH_CONTENT);
/** Elements whose text children are only the whitespace between rows and cells. */
const TABLE_PARTS = new Set(['table', 'thead', 'tbody', 'tfoot', 'tr']);
const VOID = new Set(['br', 'hr']);
const REACT_NAMES: Record<string, string> = { colspan: 'colSpan', rowspan: 'rowSpan' };

function toReact(node: Node, key: number, parentTag: string): ReactNode {
  if (node.nodeType === Node.TEXT_NODE) {
    const text = node.textContent ?? '';
    return TABLE_PARTS.has(parentTag) && text.trim() === '' ? null : text;
  }
  if (node.nodeType !== Node.ELEMENT_NODE) return null;
  const element = node as Element;
  const tag = element.tagName.toLowerCase();
  if (DROPPED.has(tag)) return null;
  const children = Array.from(element.childNodes, (child, i) => toReact(child, i, tag));
  // An element not on the list goes, its text stays (as the server's sanitiser does).
  if (!TAGS.has(tag)) return createElement(Fragment, { key }, ...children);
  const props: Record<string, string | number> = { key };
  if (tag === 'a') {
    Object.assign(props, newTabLink(element.getAttribute('href') ?? undefined, element.getAttribute('title') ?? undefined));
  } else {
    for (const name of RICH_TEXT_ATTRIBUTES[tag as RichTextTag] ?? []) {
      const value = element.getAttribute(name);
      if (value !== null) props[REACT_NAMES[name] ?? name] = value;
    }
  }
  return VOID.has(tag) ? createElement(tag, props) : createElement(tag, props, ...children);
}

/** Sanitised HTML shown as React elements of the allow-list only. */
export function RichText({ html, className }: { html: string; className?: string }) {
  const content = useMemo(() => {
    const body = new DOMParser().parseFromString(html, 'text/html').body;
    return Array.from(body.childNodes, (node, i) => toReact(node, i, 'body'));
  }, [html]);
  return <div className={`rich-text${className ? ` ${className}` : ''}`}>{content}</div>;
}

/**
 * HTML of the allow-list only, as a string for the editor to hold again (a kept draft): built
 * element by element from an inert parse, like RichText, so nothing else reaches the page.
 */
export function cleanHtml(html: string): string {
  const source = new DOMParser().parseFromString(html, 'text/html').body;
  const target = document.implementation.createHTMLDocument('');
  const copy = (node: Node, into: Node) => {
    if (node.nodeType === Node.TEXT_NODE) {
      into.appendChild(target.createTextNode(node.textContent ?? ''));
      return;
    }
    if (node.nodeType !== Node.ELEMENT_NODE) return;
    const element = node as Element;
    const tag = element.tagName.toLowerCase();
    if (DROPPED.has(tag)) return;
    if (!TAGS.has(tag)) {
      for (const child of Array.from(element.childNodes)) copy(child, into);
      return;
    }
    const out = target.createElement(tag);
    if (tag === 'a') {
      const href = safeHref(element.getAttribute('href') ?? '');
      if (href) out.setAttribute('href', href);
    } else {
      for (const name of RICH_TEXT_ATTRIBUTES[tag as RichTextTag] ?? []) {
        const value = element.getAttribute(name);
        if (value !== null) out.setAttribute(name, value);
      }
    }
    for (const child of Array.from(element.childNodes)) copy(child, out);
    into.appendChild(out);
  };
  for (const child of Array.from(source.childNodes)) copy(child, target.body);
  return target.body.innerHTML;
}

/** What the editor holds: its HTML and whether it has any text at all. */
export interface EditorContent {
  html: string;
  isEmpty: boolean;
}

const FORMATS = [
  { command: 'bold', label: 'Bold', text: 'B', className: 'fmt-bold' },
  { command: 'italic', label: 'Italic', text: 'I', className: 'fmt-italic' },
  { command: 'insertUnorderedList', label: 'Bulleted list', text: '•', className: '' },
  { command: 'insertOrderedList', label: 'Numbered list', text: '1.', className: '' },
] as const;

const escapeHtml = (text: string) => text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

/**
 * A small rich-text box: bold, italic, lists and links, over the browser's own editing
 * (contentEditable), which writes the tags the allow-list keeps. Pasting inserts plain text, so
 * what is sent is what the buttons made. Changing `resetKey` empties it.
 */
export function RichTextEditor(props: {
  labelId: string;
  placeholder: string;
  onChange: (content: EditorContent) => void;
  onSubmit?: () => void;
  resetKey: number;
  /** What the box starts with (a kept draft), cleaned to the allow-list; a reset empties it. */
  initialHtml?: string;
  className?: string;
  invalid?: boolean;
  /** HTML to insert where the cursor is (a canned response); a new `key` inserts it again. */
  insert?: { html: string; key: number } | undefined;
}) {
  const editor = useRef<HTMLDivElement>(null);
  const applied = useRef<number | undefined>(undefined);
  // The owner resets its copy of the content when it changes resetKey; this empties the box.
  // The first run fills it with the initial HTML instead (once, though an effect may run twice).
  useEffect(() => {
    if (!editor.current || applied.current === props.resetKey) return;
    editor.current.innerHTML = applied.current === undefined && props.initialHtml ? cleanHtml(props.initialHtml) : '';
    applied.current = props.resetKey;
  }, [props.resetKey]);
  const { insert, onChange } = props;
  useEffect(() => {
    const element = editor.current;
    if (!insert || !element) return;
    // Through the browser's editing, so that undo takes it out again.
    element.focus();
    document.execCommand('insertHTML', false, insert.html);
    onChange({ html: element.innerHTML, isEmpty: (element.textContent ?? '').trim() === '' });
    // Only a new insertion is inserted; onChange changing is no reason to insert again.
  }, [insert?.key]);

  const changed = () => {
    const element = editor.current;
    if (!element) return;
    const isEmpty = (element.textContent ?? '').trim() === '';
    // A box emptied by deleting keeps a stray <br>: clear it, so the placeholder shows again.
    if (isEmpty && !element.querySelector('li')) element.innerHTML = '';
    props.onChange({ html: element.innerHTML, isEmpty });
  };
  const format = (command: string, value?: string) => {
    editor.current?.focus();
    document.execCommand(command, false, value);
    changed();
  };
  const addLink = () => {
    const given = window.prompt('Link address (https://…, or mailto:…)');
    if (given === null) return;
    const href = safeHref(given.trim()) ?? safeHref(`https://${given.trim()}`);
    if (!href) return;
    const selection = window.getSelection();
    if (selection && !selection.isCollapsed && editor.current?.contains(selection.anchorNode)) format('createLink', href);
    else format('insertHTML', `<a href="${escapeHtml(href)}">${escapeHtml(href)}</a>&nbsp;`);
  };
  const keyDown = (event: KeyboardEvent) => {
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      props.onSubmit?.();
    }
  };

  return (
    <div className={`rich-editor${props.className ? ` ${props.className}` : ''}`}>
      <div className="rich-toolbar" role="toolbar" aria-label="Formatting">
        {FORMATS.map((f) => (
          <button
            key={f.command}
            type="button"
            className={f.className || undefined}
            aria-label={f.label}
            title={f.label}
            // Keep the selection in the text while the button is pressed.
            onMouseDown={(e) => e.preventDefault()}
            onClick={() => format(f.command)}
            // The symbol is drawn by the style sheet: as text, "1." would be a visible label
            // that is not in the button's name (a speech user says "Numbered list").
            data-symbol={f.text}
          />
        ))}
        <button type="button" aria-label="Link" title="Link" onMouseDown={(e) => e.preventDefault()} onClick={addLink}>
          Link
        </button>
      </div>
      <div
        ref={editor}
        className="rich-input"
        contentEditable
        suppressContentEditableWarning
        role="textbox"
        aria-multiline="true"
        aria-labelledby={props.labelId}
        aria-invalid={props.invalid || undefined}
        data-placeholder={props.placeholder}
        onInput={changed}
        onKeyDown={keyDown}
        onFocus={() => document.execCommand('defaultParagraphSeparator', false, 'p')}
        onPaste={(event) => {
          event.preventDefault();
          document.execCommand('insertText', false, event.clipboardData.getData('text/plain'));
          changed();
        }}
      />
    </div>
  );
}
