import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSigner, writeTrustedKeys, type TestSigner } from './fleetSigner.js';
import { clipPath, sharedModelsDir } from './paths.js';

/**
 * A site for a CLI agent in a temp folder: its config file (with a fleet section trusting
 * `signer`), state, audit and outbox paths, and the environment to run it with. The cameras loop
 * the shared clip at a low analytics rate, so several test files can run on a small box.
 */

export interface SiteYamlOptions {
  readonly version: number;
  /** camera ids, each on the shared clip; default one camera `a` */
  readonly cameras?: readonly string[];
  /** per camera id, a source URL other than the clip */
  readonly urls?: Readonly<Record<string, string>>;
  /** rule threshold: changing it is a policy-only change, applied without probation */
  readonly minScore?: number;
  readonly maxPushBytes?: number;
  readonly probationSeconds?: number;
  /** further top-level YAML lines (stats, audit settings, ...) */
  readonly extra?: string;
  /** raw YAML appended to the first camera (a zone, a broken field) */
  readonly firstCameraExtra?: string;
}

export interface AgentSite {
  readonly siteId: string;
  readonly dir: string;
  readonly configPath: string;
  readonly auditDir: string;
  readonly stateDir: string;
  readonly signer: TestSigner;
  /** trusted by the site, never used to sign: its id must never be revealed */
  readonly silentSigner: TestSigner;
  /** was trusted until 2020: a push naming it is refused as key_expired before its signature is checked */
  readonly retiredSigner: TestSigner;
  readonly env: NodeJS.ProcessEnv;
  yaml(options: SiteYamlOptions): string;
  /** writes yaml(options) to configPath; returns the text */
  write(options: SiteYamlOptions): string;
  readonly topics: {
    readonly push: string;
    readonly state: string;
    readonly status: string;
    readonly stats: string;
    readonly checkpoint: string;
    cameraStatus(camera: string): string;
  };
}

export function createAgentSite(siteId: string, brokerUrl: string): AgentSite {
  const dir = mkdtempSync(join(tmpdir(), `c5-${siteId}-`));
  const auditDir = join(dir, 'audit');
  const stateDir = join(dir, 'state');
  const signer = createSigner(`${siteId}-centre-2026`);
  const silentSigner = createSigner(`${siteId}-standby-7f3a9c`);
  const retiredSigner = createSigner(`${siteId}-retired-2019`);
  const trustedKeysFile = writeTrustedKeys(join(dir, 'trusted-keys.json'), [signer, silentSigner, retiredSigner], {
    [retiredSigner.keyId]: '2020-01-01T00:00:00Z',
  });
  const configPath = join(dir, 'site.yaml');

  const yaml = (options: SiteYamlOptions): string => {
    const cameras = options.cameras ?? ['a'];
    const cameraYaml = cameras
      .map(
        (id, index) =>
          `  - id: ${id}\n    source: { url: "${options.urls?.[id] ?? clipPath}", loop: true }\n    analyticsFps: 2\n` +
          `    rules: [{ id: people-${id}, type: object_present, labels: [person], minScore: ${options.minScore ?? 0.5} }]\n` +
          (index === 0 && options.firstCameraExtra ? `${options.firstCameraExtra}\n` : ''),
      )
      .join('');
    return (
      `version: ${options.version}\nsite: { id: ${siteId} }\n` +
      `mqtt: { urls: ["${brokerUrl}"], reconnectMinSeconds: 0.2, reconnectMaxSeconds: 2 }\n` +
      `metrics: { port: 0 }\n` +
      `outbox: { path: "${join(dir, 'outbox.sqlite')}" }\n` +
      `inference: { workers: 1 }\n` +
      `fleet: { trustedKeysFile: "${trustedKeysFile}", stateDir: "${stateDir}", probationSeconds: ${options.probationSeconds ?? 2}, maxPushBytes: ${options.maxPushBytes ?? 1024 * 1024} }\n` +
      (options.extra ? `${options.extra}\n` : '') +
      `cameras:\n${cameraYaml}`
    );
  };
  const prefix = `c5/${siteId}`;
  return {
    siteId,
    dir,
    configPath,
    auditDir,
    stateDir,
    signer,
    silentSigner,
    retiredSigner,
    env: { ...process.env, C5_MODELS_DIR: sharedModelsDir, C5_AUDIT_DIR: auditDir, C5_LOG_LEVEL: 'info' },
    yaml,
    write(options) {
      const text = yaml(options);
      writeFileSync(configPath, text);
      return text;
    },
    topics: {
      push: `${prefix}/config/push`,
      state: `${prefix}/config/state`,
      status: `${prefix}/status`,
      stats: `${prefix}/stats`,
      checkpoint: `${prefix}/audit/checkpoint`,
      cameraStatus: (camera) => `${prefix}/${camera}/status`,
    },
  };
}
