import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';

describe('configuration', () => {
  it('refuses an ADMIN_TOKEN shorter than 32 characters, naming the variable and not the token', () => {
    const short = 'tka_choose-one';
    expect(() => loadConfig({ ADMIN_TOKEN: short })).toThrow(ConfigError);
    expect(() => loadConfig({ ADMIN_TOKEN: short })).toThrow(/ADMIN_TOKEN must be at least 32 characters/);
    try {
      loadConfig({ ADMIN_TOKEN: short });
    } catch (error) {
      expect((error as Error).message).not.toContain(short);
    }
    expect(() => loadConfig({ ADMIN_TOKEN: 'x'.repeat(31) })).toThrow(/ADMIN_TOKEN/);
  });

  it('takes an ADMIN_TOKEN of 32 characters or more, and none at all (one is generated)', () => {
    expect(loadConfig({ ADMIN_TOKEN: 'x'.repeat(32) }).adminToken).toBe('x'.repeat(32));
    expect(loadConfig({ ADMIN_TOKEN: `tka_${'A'.repeat(43)}` }).adminToken).toBe(`tka_${'A'.repeat(43)}`);
    expect(loadConfig({}).adminToken).toBeUndefined();
    expect(loadConfig({ ADMIN_TOKEN: '  ' }).adminToken).toBeUndefined();
  });
});
describe('TRUST_PROXY', () => {
  const trust = (value: string | undefined) => loadConfig(value === undefined ? {} : { TRUST_PROXY: value }).trustProxy;

  it('trusts no proxy unless it is named', () => {
    for (const off of [undefined, '', '0', 'false', 'FALSE']) expect(trust(off), String(off)).toBeUndefined();
  });

  it('takes a hop count or addresses and CIDR ranges, as Fastify does', () => {
    expect(trust('1')).toBe(1);
    expect(trust('2')).toBe(2);
    expect(trust(' 10.0.0.0/8 , 127.0.0.1,::1, fd00::/8 ')).toBe('10.0.0.0/8,127.0.0.1,::1,fd00::/8');
    expect(trust('loopback,uniquelocal')).toBe('loopback,uniquelocal');
  });

  it('refuses `true` (every X-Forwarded-For believed) and anything that is not an address', () => {
    for (const bad of ['true', 'yes', '10.0.0.0/33', '10.0.0', 'proxy.example.com', '::1/129', '1.2.3.4/8/8', '101']) {
      expect(() => trust(bad), bad).toThrow(ConfigError);
      expect(() => trust(bad), bad).toThrow(/TRUST_PROXY/);
    }
  });
});

describe('attachments and request timeout', () => {
  it('stores files beside the SQLite database by default, else under ./data/files', () => {
    expect(loadConfig({}).storageUrl).toBe('file:./data/files');
    expect(loadConfig({ DATABASE_URL: 'sqlite:/var/lib/ticketing/main.db' }).storageUrl).toBe('file:/var/lib/ticketing/files');
    expect(loadConfig({ DATABASE_URL: 'postgres://db/ticketing' }).storageUrl).toBe('file:./data/files');
    expect(loadConfig({ STORAGE_URL: 'file:/srv/files' }).storageUrl).toBe('file:/srv/files');
  });

  it('takes S3 URLs, with the region from AWS_REGION when the URL names none, and refuses others', () => {
    expect(loadConfig({ STORAGE_URL: 's3://bucket?region=eu-west-1' }).storageUrl).toBe('s3://bucket?region=eu-west-1');
    expect(loadConfig({ STORAGE_URL: 's3://bucket/prefix', AWS_REGION: 'eu-central-1' }).storageUrl).toBe('s3://bucket/prefix?region=eu-central-1');
    expect(loadConfig({ STORAGE_URL: 's3://b?endpoint=http://127.0.0.1:9000&forcePathStyle=true' }).storageUrl).toContain('region=us-east-1');
    for (const bad of ['ftp://x', 's3://', 's3://b?endpoint=ftp://x', 's3://b?forcePathStyle=yes', 's3://b?secret=x', './files']) {
      expect(() => loadConfig({ STORAGE_URL: bad }), bad).toThrow(/STORAGE_URL/);
    }
  });

  it('reads the attachment limits and the blocked types, and the request timeout', () => {
    const config = loadConfig({
      ATTACHMENT_MAX_BYTES: '1000',
      ATTACHMENT_MAX_FILES: '2',
      ATTACHMENT_BLOCKED_TYPES: ' .EXE, application/x-elf ',
      REQUEST_TIMEOUT_SECONDS: '300',
    });
    expect(config.attachments).toMatchObject({ maxBytes: 1000, maxFiles: 2, blockedTypes: ['.exe', 'application/x-elf'], urlTtlSeconds: 3600 });
    expect(config.requestTimeoutSeconds).toBe(300);
    expect(loadConfig({}).attachments.maxBytes).toBe(25 * 1024 * 1024);
    expect(loadConfig({}).attachments.blockedTypes).toContain('application/x-msdownload');
    expect(loadConfig({ ATTACHMENT_BLOCKED_TYPES: '' }).attachments.blockedTypes).toEqual([]);
    expect(() => loadConfig({ ATTACHMENT_BLOCKED_TYPES: 'exe' })).toThrow(/ATTACHMENT_BLOCKED_TYPES/);
    expect(() => loadConfig({ ATTACHMENT_MAX_BYTES: '0' })).toThrow(/ATTACHMENT_MAX_BYTES/);
    expect(() => loadConfig({ REQUEST_TIMEOUT_SECONDS: '1' })).toThrow(/REQUEST_TIMEOUT_SECONDS/);
  });
});
