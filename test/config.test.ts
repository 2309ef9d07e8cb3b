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
