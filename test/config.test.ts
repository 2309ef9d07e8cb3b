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
