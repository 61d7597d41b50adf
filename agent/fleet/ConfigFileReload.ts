import { fleetSchema } from '../../pipelines/config/fleetSchema.js';
import { AgentError, toError } from '../../pipelines/errors.js';
import type { LoadedSiteConfig } from '../config/loadSiteConfig.js';
import type { Logger } from '../observe/logger.js';
import type { ConfigApplier, ConfigReport, FleetTarget, PushOutcome } from './ConfigApplier.js';

/** The fleet's side of a reload, when the config has a fleet section; FleetManager satisfies it. */
export interface ReloadFleet {
  /** runs the reload in the pushes' queue, so that no two applies ever overlap */
  queueLocalChange(label: string, run: () => Promise<PushOutcome>): Promise<PushOutcome>;
  /** raises the version high-water mark to the file's version */
  acceptLocalVersion(version: number): Promise<void>;
}

export interface ConfigFileReloadDeps {
  /** the `--config` file */
  readonly path: string;
  /** reads and validates the file, resolving its secrets; throws ConfigError naming what is wrong */
  readonly read: (path: string) => LoadedSiteConfig;
  readonly target: FleetTarget;
  /** undefined without a fleet section: no state topic and no high-water mark, so the verdict is logged and audited */
  readonly fleet: ReloadFleet | undefined;
  /** with a fleet, the FleetManager's own (so it publishes on config/state); without, one that publishes nothing */
  readonly applier: ConfigApplier;
  readonly logger: Logger;
}

/** The probation of a file without a fleet section: the schema's default. */
const DEFAULT_PROBATION_SECONDS = fleetSchema.shape.probationSeconds.parse(undefined);

/**
 * SIGHUP: re-reads the `--config` file and applies it through the same path as a push (diff,
 * hot apply, probation, rollback), origin `local_file`. The startup rule decides which version
 * wins: the file replaces what runs only when its version is above it. A file that cannot be
 * used (syntax, schema, secret, site, version) leaves the running config as it is and the
 * rejection says why. Reloads run one at a time, in the pushes' queue when there is a fleet.
 */
export class ConfigFileReload {
  private readonly deps: ConfigFileReloadDeps;
  private readonly log: Logger;
  /** without a fleet: the reloads' own queue (with a fleet, the pushes' queue) */
  private chain: Promise<PushOutcome> = Promise.resolve({ status: 'unchanged' });
  private stopped = false;

  constructor(deps: ConfigFileReloadDeps) {
    this.deps = deps;
    this.log = deps.logger;
  }

  /** Resolves with the reload's outcome once it is judged (after probation, when cameras restart). */
  reload(): Promise<PushOutcome> {
    if (this.stopped) return Promise.resolve({ status: 'ignored' });
    const label = `config file ${this.deps.path}`;
    if (this.deps.fleet) return this.deps.fleet.queueLocalChange(label, () => this.reloadNow());
    // reloadNow settles, never rejects: the chain cannot break
    this.chain = this.chain.then((): Promise<PushOutcome> | PushOutcome => (this.stopped ? { status: 'ignored' } : this.reloadNow()));
    return this.chain;
  }

  /** Stops taking reloads; ends the probation in progress (without a fleet; FleetManager ends its own) and waits for it. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (!this.deps.fleet) this.deps.applier.stop();
    await this.chain;
  }

  private async reloadNow(): Promise<PushOutcome> {
    const running = this.deps.target.loaded;
    this.log.info({ file: this.deps.path, running: running.config.version }, 're-reading the config file (SIGHUP)');
    let next: LoadedSiteConfig;
    try {
      next = this.deps.read(this.deps.path);
    } catch (error) {
      const err = toError(error);
      return this.reject(err instanceof AgentError ? err.code : 'config_unreadable', err.message, {});
    }
    const { config } = next;
    const facts = { version: config.version, sha256: next.sha256 };
    if (next.sha256 === running.sha256) {
      this.log.info({ version: config.version }, 'the config file is the config that runs; nothing to do');
      return { status: 'unchanged' };
    }
    if (config.site.id !== running.config.site.id) {
      return this.reject('wrong_site', `${this.deps.path} is for site "${config.site.id}", this agent runs site "${running.config.site.id}"`, facts);
    }
    if (config.version <= running.config.version) {
      const message = `${this.deps.path}: version ${config.version} is not above the running version ${running.config.version}; the file wins only when its version is above what runs (raise its version to apply it)`;
      return this.reject('stale_version', message, facts);
    }
    if (running.config.fleet && !config.fleet) {
      return this.reject('config_invalid', `${this.deps.path} has no fleet section: running without one takes a restart, not a reload`, facts);
    }
    try {
      await this.deps.fleet?.acceptLocalVersion(config.version);
    } catch (error) {
      return this.reject('state_unwritable', `cannot persist the version high-water mark: ${toError(error).message}`, facts);
    }
    this.deps.applier.record({
      type: 'config_push_accepted',
      origin: 'local_file',
      version: config.version,
      sha256: next.sha256,
      keyId: null,
      from: { version: running.config.version, sha256: running.sha256 },
    });
    return this.deps.applier.apply(running, {
      loaded: next,
      keyId: null,
      origin: 'local_file',
      probationSeconds: config.fleet?.probationSeconds ?? DEFAULT_PROBATION_SECONDS,
    });
  }

  private reject(reason: string, message: string, facts: { version?: number; sha256?: string }): PushOutcome {
    const report: ConfigReport = {
      status: 'rejected',
      version: facts.version ?? null,
      sha256: facts.sha256 ?? null,
      keyId: null,
      origin: 'local_file',
      reason,
      error: message,
    };
    return this.deps.applier.report(report);
  }
}
