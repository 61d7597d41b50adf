import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LoadedSiteConfig } from '../../agent/config/loadSiteConfig.js';
import type { FleetLink, FleetTarget } from '../../agent/fleet/ConfigApplier.js';
import type { ConfigState } from '../../agent/fleet/configState.js';
import { FleetManager } from '../../agent/fleet/FleetManager.js';
import { FleetStateStore } from '../../agent/fleet/FleetStateStore.js';
import { parseConfigBytes } from '../../agent/fleet/parseConfigBytes.js';
import type { AuditEntry } from '../../agent/audit/auditRecord.js';
import { createRootLogger } from '../../agent/observe/logger.js';
import { createAgentMetrics, type AgentMetrics } from '../../agent/observe/metrics.js';
import type { PublishOptions } from '../../agent/mqtt/MqttLink.js';
import type { SiteConfigDiff } from '../../pipelines/config/diffSiteConfig.js';
import type { CameraStatus } from '../../pipelines/stages.js';
import { createSigner, writeTrustedKeys } from './fleetSigner.js';
import { ManualClock } from './manualClock.js';
import { waitFor } from './recordingListener.js';
import { contractViolation } from './mqttContract.js';

/**
 * The fleet's unit-test bench: stand-ins for the running agent and its MQTT link (the real ones,
 * with ffmpeg and Mosquitto, are in test/integration/fleet), state files on disk in a temp
 * folder, and a manual clock for probation.
 */

/** The key the harness's site trusts. */
export const signer = createSigner('centre-1');

/** Site `site-a` with a fleet section under `dir` (keys.json, state/, drop/), probation 10 s. */
export function fleetSiteYaml(dir: string, version: number, cameras: Record<string, string>, extra = ''): string {
  const list = Object.entries(cameras)
    .map(([id, url]) => `  - id: ${id}\n    source: { url: "${url}" }\n${extra}`)
    .join('');
  return (
    `version: ${version}\nsite: { id: site-a }\nmqtt: { urls: ["mqtt://127.0.0.1:1883"] }\n` +
    `fleet: { trustedKeysFile: "${join(dir, 'keys.json')}", stateDir: "${join(dir, 'state')}", dropDir: "${join(dir, 'drop')}", probationSeconds: 10 }\n` +
    `cameras:\n${list}`
  );
}

/** A zone on every camera: a rules-only change, applied without probation. */
export const ZONE = '    zones: [{ id: z, polygon: [[0, 0], [1, 0], [1, 1]] }]\n';

export class FakeSite implements FleetTarget {
  loaded: LoadedSiteConfig;
  readonly applied: { version: number; diff: SiteConfigDiff }[] = [];
  readonly frames = new Map<string, number>();
  readonly statuses = new Map<string, CameraStatus>();
  failNextApply = false;
  /** while set, applyConfig waits for it: two applies at once would both be in here */
  gate: Promise<void> | undefined;
  applying = 0;
  maxConcurrentApplies = 0;
  constructor(loaded: LoadedSiteConfig) {
    this.loaded = loaded;
  }
  async applyConfig(next: LoadedSiteConfig, diff: SiteConfigDiff): Promise<void> {
    this.applying += 1;
    this.maxConcurrentApplies = Math.max(this.maxConcurrentApplies, this.applying);
    try {
      await this.gate;
      if (this.failNextApply) {
        this.failNextApply = false;
        throw new Error('model registry exploded');
      }
      this.loaded = next;
      this.applied.push({ version: next.config.version, diff });
    } finally {
      this.applying -= 1;
    }
  }
  cameraProgress(cameraId: string): { frames: number; status: CameraStatus | undefined } {
    return { frames: this.frames.get(cameraId) ?? 0, status: this.statuses.get(cameraId) };
  }
  deliver(cameraId: string): void {
    this.frames.set(cameraId, 5);
    this.statuses.set(cameraId, { cameraId, state: 'online', since: 0 });
  }
}

export class FakeLink implements FleetLink {
  private readonly records: { topic: string; state: ConfigState; options: PublishOptions }[] = [];
  /** reports that config/asyncapi.yaml refuses; reading `published` or `states` then throws */
  readonly contractViolations: string[] = [];
  readonly versions: number[] = [];
  handler: ((payload: Buffer) => void) | undefined;
  subscribed: { topic: string; qos: number } | undefined;
  subscribe(topic: string, qos: 0 | 1, handler: (payload: Buffer) => void): () => void {
    this.subscribed = { topic, qos };
    this.handler = handler;
    return () => (this.handler = undefined);
  }
  async publish(topic: string, payload: string, options: PublishOptions): Promise<void> {
    // The applier only logs a failed publish, so a violation surfaces where the test reads what was published.
    const violation = contractViolation(topic, payload);
    if (violation !== undefined) this.contractViolations.push(violation);
    this.records.push({ topic, state: JSON.parse(payload) as ConfigState, options });
  }
  get published(): readonly { topic: string; state: ConfigState; options: PublishOptions }[] {
    if (this.contractViolations.length > 0) throw new Error(`MQTT contract (config/asyncapi.yaml) violated:\n  ${this.contractViolations.join('\n  ')}`);
    return this.records;
  }
  setConfigVersion(version: number): void {
    this.versions.push(version);
  }
  get states(): ConfigState[] {
    return this.published.map((message) => message.state);
  }
}

export interface FleetHarness {
  dir: string;
  site: FakeSite;
  link: FakeLink;
  clock: ManualClock;
  metrics: AgentMetrics;
  audit: AuditEntry[];
  store: FleetStateStore;
  fleet: FleetManager;
  yaml(version: number, cameras: Record<string, string>, extra?: string): string;
}

/** A FleetManager on site-a, version 5 (cameras a and b) unless told; `dir` again: the same state folder, a restart. */
export function fleetHarness(options: { dir?: string; version?: number } = {}): FleetHarness {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'c5-fleet-'));
  writeTrustedKeys(join(dir, 'keys.json'), [signer]);
  const yaml = (version: number, cameras: Record<string, string>, extra = ''): string => fleetSiteYaml(dir, version, cameras, extra);
  const site = new FakeSite(parseConfigBytes(Buffer.from(yaml(options.version ?? 5, { a: 'rtsp://10.0.0.1/a', b: 'rtsp://10.0.0.1/b' })), 'site.yaml', {}));
  const link = new FakeLink();
  const clock = new ManualClock(Date.parse('2026-03-01T12:00:00Z'));
  const metrics = createAgentMetrics({ siteId: 'site-a', version: 't', configVersion: 5, defaultMetrics: false });
  const audit: AuditEntry[] = [];
  const store = new FleetStateStore(join(dir, 'state'));
  const fleet = new FleetManager({
    target: site,
    link,
    store,
    clock,
    logger: createRootLogger({ level: 'silent' }),
    metrics,
    env: {},
    audit: { append: (entry) => void audit.push(entry) },
  });
  return { dir, site, link, clock, metrics, audit, store, fleet, yaml };
}

export async function applyTotal(metrics: AgentMetrics, result: string): Promise<number> {
  const metric = await metrics.configApplyTotal.get();
  return metric.values.find((value) => value.labels['result'] === result)?.value ?? 0;
}

/** Lets the manager reach its probation timer (it awaits real file writes first). */
export async function untilProbation(clock: ManualClock): Promise<void> {
  await waitFor('the probation timer', () => clock.pendingCount > 0, 5_000, 5);
}
