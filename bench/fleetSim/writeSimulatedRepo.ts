import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The simulated fleet's repository, in the documented layout (README, "Fleet operations"):
 * `fleet.yaml` with the fleet-wide defaults and `sites/site-NNNNN.yaml` with each site's cameras.
 * The rollout the simulator measures is a fleet-wide change of `cameraDefaults.analyticsFps`:
 * it restarts every camera of every site, so every site goes through probation.
 */

export interface SimulatedRepoOptions {
  readonly dir: string;
  readonly siteIds: readonly string[];
  readonly camerasPerSite: number;
  readonly brokerUrl: string;
  readonly prefix: string;
  readonly trustedKeysFile: string;
  readonly probationSeconds: number;
}

/** `site-00001` ... : sorted by name as by number, and valid site ids and file names. */
export function simulatedSiteIds(count: number): string[] {
  const width = Math.max(5, String(count).length);
  return Array.from({ length: count }, (_, i) => `site-${String(i + 1).padStart(width, '0')}`);
}

export function writeSimulatedRepo(options: SimulatedRepoOptions): void {
  mkdirSync(join(options.dir, 'sites'), { recursive: true });
  writeFleetYaml(options, 2);
  for (const siteId of options.siteIds) {
    const cameras = Array.from({ length: options.camerasPerSite }, (_, c) => {
      const camera = `cam-${String(c + 1).padStart(2, '0')}`;
      return `  - id: ${camera}\n    source: { url: "rtsp://sim.invalid/${siteId}/${camera}" }\n`;
    });
    writeFileSync(join(options.dir, 'sites', `${siteId}.yaml`), `site: { id: ${siteId} }\ncameras:\n${cameras.join('')}`);
  }
}

/**
 * (Re)writes fleet.yaml with every camera analysing `analyticsFps` frames a second: a change of
 * it restarts each camera (a decoder setting), so a push of it is judged by probation.
 */
export function writeFleetYaml(options: Omit<SimulatedRepoOptions, 'siteIds' | 'camerasPerSite'>, analyticsFps: number): void {
  const text =
    `description: simulated fleet (bench/fleetSim)\n` +
    `defaults:\n` +
    `  mqtt: { urls: ["${options.brokerUrl}"], prefix: ${options.prefix} }\n` +
    // stateDir is the box's own folder; the simulator gives every site its own FleetStateStore.
    `  fleet: { trustedKeysFile: "${options.trustedKeysFile}", stateDir: /var/lib/c5-agent/fleet, probationSeconds: ${options.probationSeconds} }\n` +
    `cameraDefaults:\n` +
    `  analyticsFps: ${analyticsFps}\n`;
  writeFileSync(join(options.dir, 'fleet.yaml'), text);
}
