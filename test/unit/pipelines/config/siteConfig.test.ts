import { describe, expect, it } from 'vitest';
import { parseSiteConfig, type SiteConfigInput } from '../../../../pipelines/config/siteConfig.js';

function base(): SiteConfigInput {
  return {
    version: 3,
    site: { id: 'site-001' },
    mqtt: { urls: ['mqtt://127.0.0.1:1883'] },
    cameras: [
      {
        id: 'cam-1',
        source: { url: 'rtsp://cam/stream' },
        zones: [
          {
            id: 'entrance',
            polygon: [
              [0, 0],
              [1, 0],
              [1, 1],
            ],
          },
          {
            id: 'exit',
            polygon: [
              [0, 0],
              [0.5, 0],
              [0.5, 0.5],
            ],
          },
        ],
        rules: [{ id: 'r1', type: 'zone_intrusion', labels: ['person'], zone: 'entrance' }],
      },
    ],
  };
}

function errorsOf(input: unknown): string[] {
  const result = parseSiteConfig(input);
  if (result.ok) throw new Error('expected the config to be rejected');
  return result.errors;
}

describe('site config schema', () => {
  it('accepts a minimal site and fills defaults', () => {
    const result = parseSiteConfig(base());
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const camera = result.config.cameras[0]!;
    expect(camera.analyticsFps).toBe(5);
    expect(camera.stallTimeoutSeconds).toBe(20);
    expect(camera.source.transport).toBe('tcp');
    expect(camera.model).toBe('yolox-nano');
    expect(camera.detection).toEqual({ minScore: 0.25, iouThreshold: 0.45 });
    expect(camera.rules[0]).toMatchObject({ minScore: 0.5, severity: 'medium' });
    expect(result.config.mqtt.prefix).toBe('c5');
    expect(result.config.metrics).toEqual({ host: '127.0.0.1', port: 9464 });
  });

  it('names an unknown zone and the zones that exist', () => {
    const input = base();
    (input.cameras[0]!.rules![0] as { zone: string }).zone = 'gate-b';
    expect(errorsOf(input)).toEqual(['cameras[0].rules[0].zone: unknown zone "gate-b"; defined zones: entrance, exit']);
  });

  it('rejects unknown keys with their path', () => {
    const input = base() as Record<string, unknown>;
    (input['cameras'] as Record<string, unknown>[])[0]!['fps'] = 5;
    expect(errorsOf(input)).toEqual(['cameras[0]: unknown key(s) "fps"']);
  });

  it('names the path, the problem and the value received', () => {
    const input = base();
    input.cameras[0]!.analyticsFps = -2;
    input.cameras[0]!.zones![1]!.polygon = [
      [0, 0],
      [2, 0],
      [1, 1],
    ];
    const errors = errorsOf(input);
    expect(errors).toContainEqual(expect.stringMatching(/^cameras\[0\]\.analyticsFps: .*\(received -2\)$/));
    expect(errors).toContainEqual(expect.stringMatching(/^cameras\[0\]\.zones\[1\]\.polygon\[1\]\[0\]: .*\(received 2\)$/));
  });

  it('rejects duplicate camera and rule ids, and a polygon of two points', () => {
    const input = base();
    input.cameras.push({ ...input.cameras[0]! });
    input.cameras[0]!.rules!.push({ id: 'r1', type: 'object_present', labels: ['car'] });
    input.cameras[0]!.zones![0]!.polygon = [
      [0, 0],
      [1, 1],
    ];
    const errors = errorsOf(input);
    expect(errors).toContain('cameras[1].id: duplicate camera id "cam-1"');
    expect(errors).toContain('cameras[0].rules[1].id: duplicate rule id "r1"');
    expect(errors).toContainEqual(expect.stringMatching(/^cameras\[0\]\.zones\[0\]\.polygon: a polygon needs at least 3 points/));
  });

  it('rejects a broker URL of the wrong scheme and a missing version', () => {
    const input = base() as Record<string, unknown>;
    delete input['version'];
    (input['mqtt'] as { urls: string[] }).urls = ['http://broker'];
    const errors = errorsOf(input);
    expect(errors).toContainEqual(expect.stringMatching(/^version: .*\(received nothing\)$/));
    expect(errors).toContainEqual(expect.stringMatching(/^mqtt\.urls\[0\]: expected an mqtt:\/\/.*\(received "http:\/\/broker"\)$/));
  });
});
