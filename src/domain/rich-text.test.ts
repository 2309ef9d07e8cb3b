import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { changeText, changesOf, presentActivity, presentComment, type Activity } from './activity.js';
import { FieldErrors } from './errors.js';
import { htmlFromPlain, parseInclude, plainFromHtml, resolveRichText, sanitizeRichText } from './rich-text.js';
import { RICH_TEXT_ATTRIBUTES, RICH_TEXT_TAGS, safeHref, type RichTextTag } from './rich-text-policy.js';

describe('sanitizeRichText', () => {
  it('keeps the allowed formatting and drops everything executable or styled', () => {
    expect(sanitizeRichText('<p class="c" style="x" onclick="y">a <strong>b</strong> <em>c</em> <s>d</s> <code>e</code></p>')).toBe(
      '<p>a <strong>b</strong> <em>c</em> <s>d</s> <code>e</code></p>',
    );
    expect(sanitizeRichText('<table><tr><td colspan="2" onclick="x">1</td></tr></table>')).toBe('<table><tr><td colspan="2">1</td></tr></table>');
    expect(sanitizeRichText('a<script>alert(1)</script><style>*{}</style><noscript>n</noscript><template>t</template>b')).toBe('ab');
    expect(sanitizeRichText('<img src=x onerror=alert(1)><video src=x></video><object data=x></object><form><input></form>ok')).toBe('ok');
    expect(sanitizeRichText('<!-- a comment --><x-custom>text</x-custom>')).toBe('text');
  });

  it('keeps only absolute http, https and mailto links, opening in a new tab', () => {
    const link = (href: string) => sanitizeRichText(`<a href="${href}" target="_top" rel="opener">x</a>`);
    expect(link('https://example.com/a?b=1&amp;c=2')).toBe('<a href="https://example.com/a?b=1&amp;c=2" target="_blank" rel="noopener noreferrer">x</a>');
    expect(link('mailto:help@example.com')).toBe('<a href="mailto:help@example.com" target="_blank" rel="noopener noreferrer">x</a>');
    for (const bad of [
      'javascript:alert(1)',
      ' JavaScript:alert(1)',
      'java&#x09;script:alert(1)',
      'jav&#x0A;ascript:alert(1)',
      '&#106;avascript:alert(1)',
      'vbscript:x',
      'data:text/html,<b>',
      'file:///etc/passwd',
      '//evil.example/x',
      '/relative',
      '#top',
      'ftp://example.com',
      'tel:123',
    ]) {
      expect(link(bad), bad).toBe('<a>x</a>');
    }
  });

  it('is stable where a dropped element left a paragraph inside a paragraph (found by the property below)', () => {
    const html = sanitizeRichText('<p style="color:red" onmouseover="x()"><text<script><p style="color:red" onmouseover="x()">');
    expect(html).not.toMatch(/<p><p>/);
    expect(sanitizeRichText(html)).toBe(html);
  });

  it('never lets script, event handlers, style or javascript: through, and is stable', () => {
    const fragment = fc.constantFrom(
      '<script>',
      '</script>',
      '<a href="javascript:alert(1)">',
      '<a href="https://x.example/">',
      '</a>',
      '<img src=x onerror=alert(1)>',
      '<p style="color:red" onmouseover="x()">',
      '</p>',
      '<svg onload=alert(1)>',
      '<b>',
      '</b>',
      '<li>',
      '&lt;script&gt;',
      '&#106;avascript:',
      '"',
      "'",
      '<',
      '>',
      '=',
      ' on',
      'text',
      '<![CDATA[',
      '<!--',
      '-->',
    );
    fc.assert(
      fc.property(fc.array(fragment, { maxLength: 30 }), (parts) => {
        const html = sanitizeRichText(parts.join(''));
        // Every tag is allowed, with allowed attributes only, and links are http(s) or mailto.
        for (const [, name, attributes] of html.matchAll(/<\/?([a-z0-9]+)([^>]*)>/gi)) {
          expect(RICH_TEXT_TAGS).toContain(name);
          for (const [, attribute, value] of attributes!.matchAll(/\s([^\s=]+)="([^"]*)"/g)) {
            expect(RICH_TEXT_ATTRIBUTES[name as RichTextTag] ?? []).toContain(attribute);
            if (attribute === 'href') expect(value).toMatch(/^(https?|mailto):/);
          }
        }
        // Outside the tags, no markup: text is escaped.
        expect(html.replace(/<\/?[a-z0-9]+[^>]*>/gi, '')).not.toMatch(/[<>]/);
        expect(sanitizeRichText(html)).toBe(html);
      }),
      { numRuns: 500 },
    );
  });
});

describe('plain text from HTML and HTML from plain text', () => {
  it('makes block elements and <br> line breaks, lists items, links their address, entities characters', () => {
    expect(plainFromHtml(sanitizeRichText('<h1>Title</h1><p>One\n   two</p><div>three<br>four</div><blockquote>q</blockquote>'))).toBe(
      'Title\nOne two\nthree\nfour\nq',
    );
    expect(plainFromHtml(sanitizeRichText('<ol start="7"><li>a</li><li>b<ul><li>c</li></ul></li></ol>'))).toBe('7. a\n8. b\n- c');
    expect(plainFromHtml(sanitizeRichText('<pre>  keep\n    this</pre>x'))).toBe('  keep\n    this\nx');
    expect(
      plainFromHtml(
        sanitizeRichText('<a href="https://e.example/">https://e.example</a> <a href="mailto:a@b.c">a@b.c</a> <a href="https://e.example/p">page</a>'),
      ),
    ).toBe('https://e.example a@b.c page (https://e.example/p)');
    expect(plainFromHtml(sanitizeRichText('5 &lt; 6 &amp;&amp; &quot;q&quot; &#39;s&#39; &eacute;&nbsp;&#x1F600;'))).toBe(`5 < 6 && "q" 's' é 😀`);
    expect(plainFromHtml(sanitizeRichText('<table><tr><th>h1</th><th>h2</th></tr><tr><td>c1</td><td>c2</td></tr></table>'))).toBe('h1 h2\nc1 c2');
  });

  it('escapes plain text and keeps its line breaks; the plain text of that HTML is the text again', () => {
    expect(htmlFromPlain('a < b & "c" \'d\'\r\ne\rf\ng')).toBe('a &lt; b &amp; &quot;c&quot; &#39;d&#39;<br>e<br>f<br>g');
    const word = fc.string({ unit: fc.constantFrom('a', 'é', '<', '>', '&', '"', "'", '/', ';', '#', '1', '😀'), minLength: 1, maxLength: 8 });
    const line = fc.array(word, { minLength: 1, maxLength: 5 }).map((words) => words.join(' '));
    const text = fc.array(fc.oneof(line, fc.constant('')), { minLength: 1, maxLength: 5 }).filter((lines) => lines[0] !== '' && lines[lines.length - 1] !== '');
    fc.assert(
      fc.property(text, (lines) => {
        const plain = lines.join('\n');
        expect(plainFromHtml(htmlFromPlain(plain))).toBe(plain);
        expect(sanitizeRichText(htmlFromPlain(plain)).replace(/<br \/>/g, '<br>')).toBe(
          htmlFromPlain(plain)
            .replace(/&#39;/g, "'")
            .replace(/&quot;/g, '"'),
        );
      }),
      { numRuns: 300 },
    );
  });
});

describe('resolveRichText', () => {
  const field = () => ({ plainPath: '/p', htmlPath: '/h', max: 50, errors: new FieldErrors() });
  it('stores plain text alone with no HTML, HTML with the plain text made from it, or both as given', () => {
    expect(resolveRichText({ plain: 'just text' }, field())).toEqual({ plain: 'just text', html: null });
    expect(resolveRichText({ html: '<b>bold</b>' }, field())).toEqual({ plain: 'bold', html: '<b>bold</b>' });
    expect(resolveRichText({ plain: 'mine', html: '<i>x</i>' }, field())).toEqual({ plain: 'mine', html: '<i>x</i>' });
    expect(resolveRichText({ plain: 'kept', html: '  ' }, field())).toEqual({ plain: 'kept', html: null });
    expect(resolveRichText({ plain: 'kept', html: '<script>x</script>' }, field())).toEqual({ plain: 'kept', html: null });
    expect(resolveRichText({}, field())).toEqual({ plain: '', html: null });
  });

  it('reports HTML longer than the limit once sanitised', () => {
    const f = field();
    resolveRichText({ html: `<a href="https://e.x/">${'x'.repeat(20)}</a>` }, f);
    expect(f.errors.list).toEqual([{ path: '/h', message: 'is longer than 50 characters once sanitised' }]);
  });
});

describe('safeHref and include', () => {
  it('normalises allowed links and refuses others', () => {
    expect(safeHref('  https://Example.com ')).toBe('https://example.com/');
    expect(safeHref('https://x.example/\tjavascript:')).toBe('https://x.example/javascript:');
    expect(safeHref('java\nscript:alert(1)')).toBeUndefined();
    expect(safeHref(undefined)).toBeUndefined();
  });

  it('reads include names case-insensitively and refuses unknown ones', () => {
    expect([...parseInclude(' comment_html , DESCRIPTION_HTML,')]).toEqual(['comment_HTML', 'description_HTML']);
    expect(parseInclude(undefined).size).toBe(0);
    expect(() => parseInclude('comment_HTML,attachments')).toThrow(/attachments/);
  });
});

describe('activity presentation', () => {
  const user = { id: 'u1', name: 'Ann', email: 'ann@example.com' };
  const ticket = { id: '0190a000-0000-7000-8000-000000000001', ticketId: 42 };
  const base = { id: 'a1', ticketId: 42, user, createdOn: '2026-01-02T03:04:05.678Z' };

  it('answers the ticket UUID as ticketId and the number as ticketNo, the same user and instant twice', () => {
    const activity: Activity = { ...base, type: 'comment', comment: 'hi\nthere', isPrivate: true };
    const presented = presentActivity(activity, ticket, { commentHtml: true });
    expect(presented).toEqual({
      type: 'comment',
      id: 'a1',
      ticketId: ticket.id,
      ticketNo: 42,
      user,
      createdBy: user,
      createdOn: base.createdOn,
      createdDateTime: base.createdOn,
      comment: 'hi\nthere',
      comment_HTML: 'hi<br>there',
      isPrivate: true,
      attachments: [],
      changes: [],
    });
    expect(presentActivity(activity, ticket, { commentHtml: false })).not.toHaveProperty('comment_HTML');
    expect(presentComment({ ...activity, commentHtml: '<b>hi</b>' }, ticket)).toMatchObject({ activityId: 'a1', comment_HTML: '<b>hi</b>' });
  });

  it('lists changes as text, keeping the typed values in from and to', () => {
    const change = presentActivity({ ...base, type: 'fieldChange', field: 'assignee', from: null, to: user }, ticket, { commentHtml: true });
    expect(change).toMatchObject({ field: 'assignee', from: null, to: user, comment: null, comment_HTML: null, isPrivate: false });
    expect(change.changes).toEqual([{ name: 'assignee', oldValue: null, newValue: 'Ann <ann@example.com>' }]);
    expect(changesOf({ ...base, type: 'escalation', escalation: 'resolution', dueOn: base.createdOn })).toEqual([
      { name: 'isRtEscalated', oldValue: 'false', newValue: 'true' },
    ]);
    expect(changesOf({ ...base, type: 'statusChange', from: 'Resolved', to: 'Closed', resolution: null })).toEqual([
      { name: 'status', oldValue: 'Resolved', newValue: 'Closed' },
    ]);
    expect(changesOf({ ...base, type: 'idle', idleDays: 3 })).toEqual([]);
    expect(
      changeText([
        { tagCategoryId: 'c', text: 'printer' },
        { tagCategoryId: 'c', text: 'paper' },
      ]),
    ).toBe('printer, paper');
    expect(changeText([])).toBeNull();
    expect(changeText(true)).toBe('true');
    expect(changeText(['opt-1', 'opt-2'])).toBe('opt-1, opt-2');
    expect(changeText({ id: 'x', name: '', email: 'e@x' })).toBe('e@x');
    expect(changeText({ odd: 1 })).toBe('{"odd":1}');
  });
});
