import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSiteConfigFile, MAX_CONFIG_FILE_BYTES, parseSiteConfigText } from '../../../../agent/config/loadSiteConfig.js';
import { configRejection } from '../../../helpers/configRejection.js';

const yaml = (password: string, url: string): string => `
version: 1
site: { id: site-a }
mqtt:
  urls: [mqtt://127.0.0.1:1883]
  username: agent
  password: ${password}
cameras:
  - id: cam-1
    source: { url: "${url}" }
`;

describe('loadSiteConfig', () => {
  it('resolves env: and file: references and hashes the exact bytes', () => {
    const dir = mkdtempSync(join(tmpdir(), 'c5-config-'));
    writeFileSync(join(dir, 'pw'), 's3cret\n');
    const text = yaml(`file:${join(dir, 'pw')}`, 'env:CAM1_URL');
    const loaded = parseSiteConfigText(text, 'site.yaml', { CAM1_URL: 'rtsp://u:p@10.0.0.9/stream' });
    expect(loaded.config.mqtt.password).toBe('s3cret');
    expect(loaded.config.cameras[0]!.source.url).toBe('rtsp://u:p@10.0.0.9/stream');
    expect(loaded.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(parseSiteConfigText(text + '\n', 'site.yaml', { CAM1_URL: 'x' }).sha256).not.toBe(loaded.sha256);
  });

  it('resolves the metrics endpoint credentials, naming the field of a missing one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'c5-config-'));
    writeFileSync(join(dir, 'metrics-pw'), 'scrape-pw\n');
    const withAuth = (auth: string): string => `${yaml('p', 'rtsp://cam')}metrics:\n  host: 0.0.0.0\n  auth: ${auth}\n`;
    const bearer = parseSiteConfigText(withAuth('{ bearerToken: env:METRICS_TOKEN }'), 'site.yaml', { METRICS_TOKEN: 'tok-1' });
    expect(bearer.config.metrics.auth).toEqual({ bearerToken: 'tok-1' });
    const basic = parseSiteConfigText(withAuth(`{ username: prometheus, password: "file:${join(dir, 'metrics-pw')}" }`), 'site.yaml', {});
    expect(basic.config.metrics.auth).toEqual({ username: 'prometheus', password: 'scrape-pw' });
    const error = configRejection(() => parseSiteConfigText(withAuth('{ bearerToken: env:METRICS_TOKEN }'), 'site.yaml', {}));
    expect(error.message).toBe('metrics.auth.bearerToken: environment variable METRICS_TOKEN is not set (from "env:METRICS_TOKEN")');
  });

  it('names the config path and variable of a missing secret, never a value', () => {
    const error = configRejection(() => parseSiteConfigText(yaml('env:MQTT_PW', 'rtsp://cam'), 'site.yaml', {}));
    expect(error.code).toBe('secret_unresolved');
    expect(error.message).toBe('mqtt.password: environment variable MQTT_PW is not set (from "env:MQTT_PW")');
  });

  it('reports YAML syntax errors, schema errors and unreadable files with the source', () => {
    expect(configRejection(() => parseSiteConfigText('version: [1', 'bad.yaml', {})).code).toBe('config_syntax');
    const invalid = configRejection(() => parseSiteConfigText('version: 1\nsite: {id: A B}\n', 'bad.yaml', {}));
    expect(invalid.code).toBe('config_invalid');
    expect(invalid.message).toContain('site.id: expected an id');
    expect(invalid.message).toContain('mqtt: ');
    const missing = configRejection(() => loadSiteConfigFile('/nonexistent/site.yaml', {}));
    expect(missing.code).toBe('config_unreadable');
    expect(missing.message).toContain('/nonexistent/site.yaml (ENOENT)');
  });

  it('reports every unresolved secret in one error, each with its field and reference', () => {
    const text = `${yaml('env:MQTT_PW', 'file:/nonexistent/cam-url')}  - id: cam-2\n    source: { url: "env:CAM2_URL" }\n`;
    const error = configRejection(() => parseSiteConfigText(text, 'site.yaml', { UNRELATED: 'value' }));
    expect(error.code).toBe('secret_unresolved');
    expect(error.message.split('\n')).toEqual([
      '3 secrets do not resolve:',
      '  mqtt.password: environment variable MQTT_PW is not set (from "env:MQTT_PW")',
      '  cameras[0].source.url: cannot read secret file "/nonexistent/cam-url" (ENOENT)',
      '  cameras[1].source.url: environment variable CAM2_URL is not set (from "env:CAM2_URL")',
    ]);
  });

  it('reports schema errors and unresolved secrets together', () => {
    const text = yaml('env:MQTT_PW', 'rtsp://cam').replace('id: cam-1', 'id: Cam 1\n    analyticsFps: -1');
    const error = configRejection(() => parseSiteConfigText(text, 'site.yaml', {}));
    expect(error.code).toBe('config_invalid');
    expect(error.message).toContain('cameras[0].id: expected an id');
    expect(error.message).toContain('cameras[0].analyticsFps: ');
    expect(error.message).toContain('mqtt.password: environment variable MQTT_PW is not set (from "env:MQTT_PW")');
  });
});

describe('the size of a site config', () => {
  const dir = mkdtempSync(join(tmpdir(), 'c5-config-size-'));

  it('is capped at 1 MiB before anything is parsed, from a file or as text', () => {
    expect(MAX_CONFIG_FILE_BYTES).toBe(1_048_576);
    const path = join(dir, 'huge.yaml');
    // valid YAML all the way, so only the cap can refuse it
    writeFileSync(path, `${yaml('p', 'rtsp://cam')}# ${'x'.repeat(MAX_CONFIG_FILE_BYTES)}\n`);
    const error = configRejection(() => loadSiteConfigFile(path, {}));
    expect(error.code).toBe('config_too_large');
    const size = yaml('p', 'rtsp://cam').length + '# \n'.length + MAX_CONFIG_FILE_BYTES;
    expect(error.message).toBe(`${path}: site config too large (${size} bytes, over the limit of ${MAX_CONFIG_FILE_BYTES})`);
    const text = `${yaml('p', 'rtsp://cam')}# ${'é'.repeat(MAX_CONFIG_FILE_BYTES / 2)}\n`;
    expect(configRejection(() => parseSiteConfigText(text, 'push', {})).code).toBe('config_too_large');
  });

  it('refuses a 50 MB file without reading it', () => {
    const path = join(dir, 'fifty.yaml');
    writeFileSync(path, Buffer.alloc(50 * 1024 * 1024, 0x61));
    const before = process.memoryUsage().rss;
    expect(configRejection(() => loadSiteConfigFile(path, {})).code).toBe('config_too_large');
    // the cap is checked on the open descriptor's size: nothing near 50 MB is allocated
    expect(process.memoryUsage().rss - before).toBeLessThan(20 * 1024 * 1024);
  });

  it('refuses a FIFO or a device as the config file at once', () => {
    const fifo = join(dir, 'site.fifo');
    execFileSync('mkfifo', [fifo]);
    expect(configRejection(() => loadSiteConfigFile(fifo, {})).message).toBe(`cannot read site config ${fifo} (not a regular file but a FIFO)`);
    expect(configRejection(() => loadSiteConfigFile('/dev/zero', {})).message).toBe(
      'cannot read site config /dev/zero (not a regular file but a character device)',
    );
  });
});
