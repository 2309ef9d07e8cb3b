import { describe, expect, it } from 'vitest';
import {
  checkDownloadSignature,
  classifyFile,
  classifyLink,
  contentDisposition,
  displayFilename,
  downloadSigningKey,
  downloadType,
  isBlocked,
  linkExpiry,
  linkFilename,
  nextSweepAt,
  parseLink,
  parseRange,
  signedDownloadPath,
} from './attachments.js';

describe('attachment rules', () => {
  it('keeps file names as labels: no path, no control or bidi characters, at most 255 characters with the extension', () => {
    expect(displayFilename('../../etc/passwd')).toBe('passwd');
    expect(displayFilename('C:\\Users\\me\\report.pdf')).toBe('report.pdf');
    expect(displayFilename('..')).toBe('file');
    expect(displayFilename('')).toBe('file');
    expect(displayFilename(undefined)).toBe('file');
    expect(displayFilename('  a\u0000b\u202ec.txt ')).toBe('abc.txt');
    expect(displayFilename('résumé.pdf')).toBe('résumé.pdf');
    const long = displayFilename(`${'é'.repeat(400)}.tar.gz`);
    expect([...long]).toHaveLength(255);
    expect(long.endsWith('.gz')).toBe(true);
  });

  it('writes RFC 6266 dispositions: an ASCII fallback and the exact UTF-8 name', () => {
    expect(contentDisposition('attachment', 'report.pdf')).toBe(`attachment; filename="report.pdf"; filename*=UTF-8''report.pdf`);
    expect(contentDisposition('inline', 'a "b"\\c%.png')).toBe(`inline; filename="a _b__c_.png"; filename*=UTF-8''a%20%22b%22%5Cc%25.png`);
    expect(contentDisposition('attachment', "Übersicht (1)'.txt")).toBe(
      `attachment; filename="_bersicht (1)'.txt"; filename*=UTF-8''%C3%9Cbersicht%20%281%29%27.txt`,
    );
  });

  it('reads single byte ranges and ignores what it may ignore', () => {
    expect(parseRange('bytes=0-9', 100)).toEqual({ start: 0, end: 9 });
    expect(parseRange('bytes=90-', 100)).toEqual({ start: 90, end: 99 });
    expect(parseRange('bytes=-10', 100)).toEqual({ start: 90, end: 99 });
    expect(parseRange('bytes=-500', 100)).toEqual({ start: 0, end: 99 });
    expect(parseRange('bytes=50-500', 100)).toEqual({ start: 50, end: 99 });
    expect(parseRange('bytes=100-', 100)).toBe('unsatisfiable');
    expect(parseRange('bytes=-0', 100)).toBe('unsatisfiable');
    for (const ignored of [undefined, '', 'bytes=0-1,5-6', 'items=0-1', 'bytes=5-1', 'bytes=-']) expect(parseRange(ignored, 100)).toBeUndefined();
    expect(parseRange('bytes=0-10', 0)).toBeUndefined();
  });

  it('takes absolute http(s) links only', () => {
    expect(parseLink(' https://example.com/a ')).toBeInstanceOf(URL);
    expect(parseLink('http://example.com')).toBeInstanceOf(URL);
    for (const bad of [
      'javascript:alert(1)',
      'JAVASCRIPT:alert(1)',
      'data:text/html,x',
      'ftp://x',
      'file:///etc/passwd',
      '/a/b',
      'example.com',
      `https://e.com/${'a'.repeat(2048)}`,
    ]) {
      expect(typeof parseLink(bad), bad).toBe('string');
    }
    const url = parseLink('https://example.com/shots/Screen%20Shot.PNG?x=1') as URL;
    expect(linkFilename(url)).toBe('Screen Shot.PNG');
    expect(classifyLink(url)).toEqual({ isImage: true, isArchive: false });
    expect(linkFilename(parseLink('https://example.com/') as URL)).toBe('example.com');
  });

  it("tells a file's type from its bytes, the declared type only where the bytes say nothing", () => {
    expect(classifyFile('image/png', 'text/html', 'x.html')).toEqual({ contentType: 'image/png', isImage: true, isArchive: false });
    expect(classifyFile('application/zip', undefined, 'a.zip')).toEqual({ contentType: 'application/zip', isImage: false, isArchive: true });
    expect(classifyFile(undefined, 'text/plain', 'a.log')).toEqual({ contentType: 'text/plain', isImage: false, isArchive: false });
    expect(classifyFile(undefined, 'application/octet-stream', 'a.csv').contentType).toBe('text/csv');
    // A declared image or archive whose bytes are not one is just bytes.
    expect(classifyFile(undefined, 'image/png', 'fake.png')).toEqual({ contentType: 'application/octet-stream', isImage: false, isArchive: false });
    expect(classifyFile('image/tiff', undefined, 'scan.tiff').isImage).toBe(false);
  });

  it('blocks by the type read from the bytes or by the extension', () => {
    const list = ['application/x-msdownload', '.exe', '.ps1'];
    expect(isBlocked(list, 'application/x-msdownload', 'report.pdf')).toBe(true);
    expect(isBlocked(list, undefined, 'SETUP.EXE')).toBe(true);
    expect(isBlocked(list, undefined, 'run.ps1')).toBe(true);
    expect(isBlocked(list, 'application/pdf', 'report.pdf')).toBe(false);
    expect(isBlocked([], 'application/x-msdownload', 'a.exe')).toBe(false);
  });

  it('never sends active types as themselves', () => {
    for (const active of ['text/html', 'image/svg+xml', 'application/xhtml+xml', 'text/xml', 'application/javascript', null]) {
      expect(downloadType(active)).toBe('application/octet-stream');
    }
    expect(downloadType('text/plain')).toBe('text/plain; charset=utf-8');
    expect(downloadType('application/pdf')).toBe('application/pdf');
  });

  it('signs download links over instance, attachment and expiry; any change or the passing of time refuses them', () => {
    const key = downloadSigningKey('secret');
    const now = Date.parse('2026-01-01T10:02:00Z');
    const expires = linkExpiry(now, 3600);
    expect(expires * 1000).toBe(Date.parse('2026-01-01T11:05:00Z'));
    const path = signedDownloadPath(key, 'inst', 'att', 'a b.png', expires);
    expect(path).toMatch(/^\/files\/inst\/att\/a%20b\.png\?expires=\d+&signature=[\w-]{43}$/);
    const signature = new URLSearchParams(path.split('?')[1]).get('signature')!;
    const link = { instanceId: 'inst', attachmentId: 'att', expires: String(expires), signature };
    expect(checkDownloadSignature(key, link, now)).toBe('ok');
    expect(checkDownloadSignature(key, link, expires * 1000 + 1)).toBe('expired');
    expect(checkDownloadSignature(key, { ...link, attachmentId: 'other' }, now)).toBe('invalid');
    expect(checkDownloadSignature(key, { ...link, instanceId: 'other' }, now)).toBe('invalid');
    expect(checkDownloadSignature(key, { ...link, expires: String(expires + 300) }, now)).toBe('invalid');
    expect(checkDownloadSignature(downloadSigningKey('another secret'), link, now)).toBe('invalid');
    expect(checkDownloadSignature(key, { ...link, signature: undefined }, now)).toBe('invalid');
    expect(checkDownloadSignature(key, { ...link, expires: '1e12' }, now)).toBe('invalid');
  });

  it('sweeps nightly at 03:00 UTC', () => {
    expect(nextSweepAt('2026-11-23T08:00:00.000Z')).toBe('2026-11-24T03:00:00.000Z');
    expect(nextSweepAt('2026-11-23T02:59:59.000Z')).toBe('2026-11-23T03:00:00.000Z');
    expect(nextSweepAt('2026-11-23T03:00:00.000Z')).toBe('2026-11-24T03:00:00.000Z');
  });
});
