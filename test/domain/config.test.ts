import { describe, expect, it } from 'vitest';
import { ConfigError, DEFAULT_RETRY_SCHEDULE, loadConfig } from '../../src/config.js';

describe('loadConfig', () => {
  it('has working defaults for an empty environment', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      port: 8080,
      host: '0.0.0.0',
      publicUrl: 'http://127.0.0.1:8080',
      publicUrlExplicit: false,
      databaseUrl: 'sqlite:./data/shouyin.db',
      logLevel: 'info',
      allowPrivateCallbacks: false,
      graceSeconds: 600,
      monitorOfflineAfter: 90,
    });
    expect(c.notifyRetrySchedule).toEqual(DEFAULT_RETRY_SCHEDULE);
  });

  it('treats empty variables as unset', () => {
    expect(loadConfig({ PORT: '', DATABASE_URL: '', LOG_LEVEL: '' })).toMatchObject({
      port: 8080,
      databaseUrl: 'sqlite:./data/shouyin.db',
      logLevel: 'info',
    });
  });

  it('reads PORT, 0 included, and derives the default public URL from it', () => {
    expect(loadConfig({ PORT: '3000' })).toMatchObject({ port: 3000, publicUrl: 'http://127.0.0.1:3000' });
    expect(loadConfig({ PORT: '0' }).port).toBe(0);
    expect(loadConfig({ PORT: '65535' }).port).toBe(65535);
  });

  it.each(['abc', '-1', '65536', '80.5', ' 80', '1e3', '0x50', '８０'])('refuses PORT=%j', (port) => {
    expect(() => loadConfig({ PORT: port })).toThrow(ConfigError);
  });

  it('names the variable in the error', () => {
    expect(() => loadConfig({ PORT: 'abc' })).toThrow(/PORT/);
    expect(() => loadConfig({ LOG_LEVEL: 'verbose' })).toThrow(/LOG_LEVEL/);
  });

  it('accepts each pino log level and refuses others', () => {
    for (const level of ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']) {
      expect(loadConfig({ LOG_LEVEL: level }).logLevel).toBe(level);
    }
    for (const bad of ['verbose', 'warning', 'log']) {
      expect(() => loadConfig({ LOG_LEVEL: bad })).toThrow(ConfigError);
    }
  });

  it.each(['1', 'true', 'yes', 'TRUE', 'Yes'])('reads ALLOW_PRIVATE_CALLBACKS=%j as true', (v) => {
    expect(loadConfig({ ALLOW_PRIVATE_CALLBACKS: v }).allowPrivateCallbacks).toBe(true);
  });

  it.each(['0', 'false', 'no', '', 'FALSE'])('reads ALLOW_PRIVATE_CALLBACKS=%j as false', (v) => {
    expect(loadConfig({ ALLOW_PRIVATE_CALLBACKS: v }).allowPrivateCallbacks).toBe(false);
  });

  it.each(['maybe', '2', 'on', 'y'])('refuses ALLOW_PRIVATE_CALLBACKS=%j', (v) => {
    expect(() => loadConfig({ ALLOW_PRIVATE_CALLBACKS: v })).toThrow(ConfigError);
  });

  it('strips trailing slashes from PUBLIC_URL and marks it explicit', () => {
    expect(loadConfig({ PUBLIC_URL: 'https://pay.example.com//' })).toMatchObject({
      publicUrl: 'https://pay.example.com',
      publicUrlExplicit: true,
    });
  });

  it.each(['ftp://pay.example.com', 'pay.example.com', 'https://'])('refuses PUBLIC_URL=%j', (url) => {
    expect(() => loadConfig({ PUBLIC_URL: url })).toThrow(ConfigError);
  });

  it('accepts sqlite and postgres database URLs and refuses others', () => {
    expect(loadConfig({ DATABASE_URL: 'sqlite:/tmp/x.db' }).databaseUrl).toBe('sqlite:/tmp/x.db');
    expect(loadConfig({ DATABASE_URL: 'postgres://u@h/db' }).databaseUrl).toBe('postgres://u@h/db');
    expect(loadConfig({ DATABASE_URL: 'postgresql://u@h/db' }).databaseUrl).toBe('postgresql://u@h/db');
    for (const bad of ['mysql://h/db', 'sqlite:', './data/x.db']) {
      expect(() => loadConfig({ DATABASE_URL: bad })).toThrow(ConfigError);
    }
  });

  it('bounds GRACE_SECONDS and MONITOR_OFFLINE_AFTER', () => {
    expect(loadConfig({ GRACE_SECONDS: '0' }).graceSeconds).toBe(0);
    expect(() => loadConfig({ GRACE_SECONDS: '86401' })).toThrow(ConfigError);
    expect(() => loadConfig({ MONITOR_OFFLINE_AFTER: '4' })).toThrow(ConfigError);
  });

  it('reads NOTIFY_RETRY_SCHEDULE as comma-separated seconds', () => {
    expect(loadConfig({ NOTIFY_RETRY_SCHEDULE: '1, 2,3' }).notifyRetrySchedule).toEqual([1, 2, 3]);
    expect(() => loadConfig({ NOTIFY_RETRY_SCHEDULE: 'a,b' })).toThrow(ConfigError);
    expect(() => loadConfig({ NOTIFY_RETRY_SCHEDULE: '1,-2' })).toThrow(ConfigError);
  });

  it('refuses an empty entry in NOTIFY_RETRY_SCHEDULE instead of reading it as 0 s', () => {
    expect(() => loadConfig({ NOTIFY_RETRY_SCHEDULE: '2,,15' })).toThrow(ConfigError);
    expect(() => loadConfig({ NOTIFY_RETRY_SCHEDULE: '5,' })).toThrow(ConfigError);
  });
});
