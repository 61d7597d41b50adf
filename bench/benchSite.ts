import type { SiteConfigInput } from '../pipelines/config/siteConfig.js';

export interface BenchSiteOptions {
  readonly cameras: number;
  /** a file, or a stream URL (rtsp://) when `stream` is set */
  readonly clipPath: string;
  /** true: clipPath is a network stream each camera opens (bench/benchStream.ts), not a file */
  readonly stream?: boolean;
  /** files: true, each camera a live 1x source; false, the file as fast as ffmpeg decodes it */
  readonly realtime: boolean;
  readonly analyticsFps: number;
  readonly motion: boolean;
  readonly brokerUrl: string;
  readonly protocolVersion: 4 | 5;
  readonly metricsPort: number;
  /** outbox file and audit log live here */
  readonly stateDir: string;
  readonly inference?: Record<string, unknown>;
}

/** The id of the bench site's camera `index` (from 0): cam-01, cam-02, ... */
export function benchCameraId(index: number): string {
  return `cam-${String(index + 1).padStart(2, '0')}`;
}

/**
 * The site the bench runs: every camera is the plaza clip (a looped file, or an RTSP stream of it), with rules that alert often
 * (people anywhere, in either half, crossing the middle), so latency has many samples. The outbox
 * is a real SQLite file (fsync per alert), as in production.
 */
export function benchSite(options: BenchSiteOptions): SiteConfigInput {
  const camera = (index: number) => ({
    id: benchCameraId(index),
    source: options.stream === true ? { url: options.clipPath, transport: 'tcp' as const } : { url: options.clipPath, loop: true, realtime: options.realtime },
    analyticsFps: options.analyticsFps,
    motion: { enabled: options.motion },
    zones: [
      {
        id: 'left',
        polygon: [
          [0, 0],
          [0.5, 0],
          [0.5, 1],
          [0, 1],
        ] as [number, number][],
      },
      {
        id: 'right',
        polygon: [
          [0.5, 0],
          [1, 0],
          [1, 1],
          [0.5, 1],
        ] as [number, number][],
      },
    ],
    lines: [{ id: 'middle', from: [0.5, 0] as [number, number], to: [0.5, 1] as [number, number] }],
    rules: [
      { id: 'people', type: 'object_present' as const, labels: ['person'], minScore: 0.4 },
      { id: 'left-side', type: 'zone_intrusion' as const, zone: 'left', labels: ['person'], minScore: 0.4 },
      { id: 'right-side', type: 'zone_intrusion' as const, zone: 'right', labels: ['person'], minScore: 0.4 },
      { id: 'crossing', type: 'line_crossing' as const, line: 'middle', labels: ['person'], minScore: 0.4 },
    ],
  });
  return {
    version: 1,
    site: { id: 'bench' },
    mqtt: { urls: [options.brokerUrl], protocolVersion: options.protocolVersion },
    outbox: { path: `${options.stateDir}/outbox.sqlite` },
    audit: { dir: `${options.stateDir}/audit` },
    metrics: { host: '127.0.0.1', port: options.metricsPort },
    stats: { enabled: false },
    ...(options.inference ? { inference: options.inference } : {}),
    cameras: Array.from({ length: options.cameras }, (_, i) => camera(i)),
  };
}
