import type { KeyObject } from 'node:crypto';
import { connectAsync, type MqttClient } from 'mqtt';
import { parse as parseYaml } from 'yaml';
import { parseEnvelope, verifyEnvelopeSignature } from '../../agent/fleet/signing.js';
import { sha256Hex } from '../../agent/sha256Hex.js';

/**
 * Many sites played by one MQTT connection, each answering a config push by a script: `apply`,
 * `reject` (config_invalid), `rollback` (probation_failed) or `silent` (online, never answers).
 * Answers are the wire reports a real agent publishes (retained `config/state`, retained
 * `status`), so the fleet tools cannot tell them from agents. An `offline` site has a retained
 * `offline` status and ignores pushes until `bringOnline`, which connects it on its own and takes
 * the retained push as an agent coming back would. The signature is checked against `publicKey`:
 * a push signed wrong is answered `rejected`/`bad_signature`.
 */

export type SiteScript = 'apply' | 'reject' | 'rollback' | 'silent';

export interface ScriptedSitesOptions {
  readonly url: string;
  readonly prefix?: string;
  readonly sites: ReadonlyMap<string, SiteScript>;
  readonly offline?: ReadonlySet<string>;
  readonly publicKey: KeyObject;
  /** what each site runs at the start: reported as an applied config/state (none: never reported) */
  readonly running?: ReadonlyMap<string, { version: number; text: string }>;
  readonly username?: string;
  readonly password?: string;
  /** cameras reported per site (retained camera statuses, all online) */
  readonly cameras?: number;
}

export interface HandledPush {
  readonly version: number;
  readonly envelopeSha256: string;
}

export class ScriptedSites {
  /** every push each site took, in order (a push delivered again unchanged is not taken twice, as with the agent) */
  readonly handled = new Map<string, HandledPush[]>();
  private readonly running = new Map<string, { version: number; sha256: string }>();
  private readonly offline: Set<string>;
  private readonly extra: MqttClient[] = [];
  private readonly prefix: string;

  private constructor(
    private readonly client: MqttClient,
    private readonly options: ScriptedSitesOptions,
  ) {
    this.prefix = options.prefix ?? 'c5';
    this.offline = new Set(options.offline ?? []);
  }

  static async start(options: ScriptedSitesOptions): Promise<ScriptedSites> {
    const client = await connectSite(options, 'scripted-sites');
    const sites = new ScriptedSites(client, options);
    await sites.begin();
    return sites;
  }

  private async begin(): Promise<void> {
    const publishes: Promise<unknown>[] = [];
    for (const siteId of this.options.sites.keys()) {
      const running = this.options.running?.get(siteId);
      if (running) {
        const sha256 = sha256Hex(Buffer.from(running.text, 'utf8'));
        this.running.set(siteId, { version: running.version, sha256 });
        publishes.push(this.report(this.client, siteId, 'applied', running.version, sha256, undefined));
      }
      publishes.push(this.status(this.client, siteId, this.offline.has(siteId) ? 'offline' : 'online'));
      for (let c = 1; c <= (this.options.cameras ?? 0); c += 1) {
        const cameraId = `cam-${String(c).padStart(2, '0')}`;
        const payload = JSON.stringify({ cameraId, state: 'online', since: '2026-12-01T00:00:00.000Z' });
        publishes.push(this.client.publishAsync(`${this.prefix}/${siteId}/${cameraId}/status`, payload, { qos: 1, retain: true }));
      }
    }
    await Promise.all(publishes);
    this.client.on('message', (topic, payload) => {
      const siteId = topic.split('/')[this.prefix.split('/').length]!;
      if (this.offline.has(siteId) || !this.options.sites.has(siteId)) return;
      void this.take(this.client, siteId, payload);
    });
    await this.client.subscribeAsync(`${this.prefix}/+/config/push`, { qos: 1 });
  }

  /** The site connects on its own connection, says it is online and takes the retained push, if any. */
  async bringOnline(siteId: string): Promise<void> {
    this.offline.delete(siteId);
    const client = await connectSite(this.options, `scripted-${siteId}`);
    this.extra.push(client);
    await this.status(client, siteId, 'online');
    client.on('message', (_topic, payload) => void this.take(client, siteId, payload));
    await client.subscribeAsync(`${this.prefix}/${siteId}/config/push`, { qos: 1 });
  }

  pushesTo(siteId: string): readonly HandledPush[] {
    return this.handled.get(siteId) ?? [];
  }

  async stop(): Promise<void> {
    await Promise.all([this.client, ...this.extra].map((client) => client.endAsync()));
  }

  private async take(client: MqttClient, siteId: string, payload: Buffer): Promise<void> {
    if (payload.length === 0) return;
    const envelopeSha256 = sha256Hex(payload);
    const handled = this.handled.get(siteId) ?? [];
    if (handled.at(-1)?.envelopeSha256 === envelopeSha256) return;
    const envelope = parseEnvelope(payload);
    const bytes = Buffer.from(envelope.payload, 'base64');
    const config = parseYaml(bytes.toString('utf8')) as { version: number; site: { id: string } };
    handled.push({ version: config.version, envelopeSha256 });
    this.handled.set(siteId, handled);
    const sha256 = sha256Hex(bytes);
    if (!verifyEnvelopeSignature(envelope, this.options.publicKey)) return this.report(client, siteId, 'rejected', config.version, sha256, 'bad_signature');
    if (config.site.id !== siteId) return this.report(client, siteId, 'rejected', config.version, sha256, 'wrong_site');
    const script = this.options.sites.get(siteId)!;
    if (script === 'silent') return;
    if (script === 'reject') return this.report(client, siteId, 'rejected', config.version, sha256, 'config_invalid');
    if (script === 'rollback') return this.report(client, siteId, 'rolled_back', config.version, sha256, 'probation_failed');
    this.running.set(siteId, { version: config.version, sha256 });
    return this.report(client, siteId, 'applied', config.version, sha256, undefined);
  }

  private async report(client: MqttClient, siteId: string, status: string, version: number, sha256: string, reason: string | undefined): Promise<void> {
    const running = this.running.get(siteId) ?? { version: 1, sha256: '0'.repeat(64) };
    const state = {
      siteId,
      status,
      version,
      sha256,
      keyId: null,
      origin: 'mqtt',
      ...(reason === undefined ? {} : { reason }),
      running,
      time: new Date().toISOString(),
    };
    await client.publishAsync(`${this.prefix}/${siteId}/config/state`, JSON.stringify(state), { qos: 1, retain: true });
  }

  private async status(client: MqttClient, siteId: string, state: 'online' | 'offline'): Promise<void> {
    const running = this.running.get(siteId);
    const payload = {
      state,
      ...(state === 'offline' ? { reason: 'connection_lost' } : {}),
      siteId,
      version: '0.0.0-scripted',
      configVersion: running?.version ?? 1,
      startedAt: '2026-12-01T00:00:00.000Z',
    };
    await client.publishAsync(`${this.prefix}/${siteId}/status`, JSON.stringify(payload), { qos: 1, retain: true });
  }
}

function connectSite(options: ScriptedSitesOptions, name: string): Promise<MqttClient> {
  return connectAsync(options.url, {
    ...(options.username === undefined ? {} : { username: options.username }),
    ...(options.password === undefined ? {} : { password: options.password }),
    protocolVersion: 5,
    clientId: `${name}-${process.pid}-${Math.random().toString(16).slice(2, 8)}`,
    reconnectPeriod: 0,
    connectTimeout: 5_000,
  });
}
