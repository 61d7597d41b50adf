import { join } from 'node:path';
import { toError } from '../../pipelines/errors.js';
import type { LoadedSiteConfig } from '../config/loadSiteConfig.js';
import type { Logger } from '../observe/logger.js';
import { FleetStateStore } from './FleetStateStore.js';
import { sha256Hex } from '../sha256Hex.js';
import { parseConfigBytes } from './parseConfigBytes.js';

export interface StartupConfig {
  readonly loaded: LoadedSiteConfig;
  /** the bootstrap file's `fleet.stateDir`: where pushes persist, whatever config runs */
  readonly store: FleetStateStore;
}

/**
 * The `--config` file is the bootstrap; a pushed config that passed probation survives restarts.
 * The agent starts on the persisted last-known-good when its version is above the file's, and on
 * the file otherwise (an operator who edits the file on the box bumps its version to make it win).
 * A last-known-good that cannot be used (corrupt, another site, a secret that no longer resolves)
 * is logged and the file runs. Without a `fleet` section there is nothing to choose.
 */
export function selectStartupConfig(bootstrap: LoadedSiteConfig, env: NodeJS.ProcessEnv, logger: Logger): StartupConfig | undefined {
  const fleet = bootstrap.config.fleet;
  if (!fleet) return undefined;
  const store = new FleetStateStore(fleet.stateDir);
  const log = logger.child({ component: 'fleet' });
  const source = join(fleet.stateDir, 'last-known-good.json');
  try {
    const stored = store.readLastKnownGood();
    if (!stored) return { loaded: bootstrap, store };
    if (stored.version <= bootstrap.config.version) {
      log.info(
        { file: bootstrap.source, version: bootstrap.config.version, lastKnownGood: stored.version },
        'the config file is as new as the last pushed config; running the file',
      );
      return { loaded: bootstrap, store };
    }
    const payload = Buffer.from(stored.payload, 'base64');
    const sha256 = sha256Hex(payload);
    if (sha256 !== stored.sha256) throw new Error(`payload does not match its sha256 ${stored.sha256}`);
    const loaded = parseConfigBytes(payload, `${source} (version ${stored.version})`, env, sha256);
    if (loaded.config.site.id !== bootstrap.config.site.id) {
      throw new Error(`it is for site "${loaded.config.site.id}", the config file for "${bootstrap.config.site.id}"`);
    }
    log.info(
      { version: stored.version, sha256: stored.sha256, appliedAt: stored.appliedAt, file: bootstrap.source, fileVersion: bootstrap.config.version },
      'running the last-known-good pushed config',
    );
    return { loaded: { ...loaded, source }, store };
  } catch (error) {
    log.error({ err: toError(error), lastKnownGood: source, file: bootstrap.source }, 'last-known-good config unusable; running the config file');
    return { loaded: bootstrap, store };
  }
}
