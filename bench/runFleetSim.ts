import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { wavesRun } from './fleetSim/pushReport.js';
import { runFleetSimulation, type FleetSimulationResult } from './fleetSim/runFleetSimulation.js';
import { formatTable } from './table.js';

/**
 * `npm run fleet:sim -- --sites N`: N simulated sites (the agent's real config intake, simulated
 * cameras) on a real Mosquitto take a real `c5-agent fleet push` through its canary and waves;
 * prints sites converged, seconds per wave, end to end, broker messages and memory, then the
 * summary of `c5-agent fleet status`. `--json FILE` also writes the figures.
 */

const { values } = parseArgs({
  options: {
    sites: { type: 'string', default: '2000' },
    cameras: { type: 'string', default: '10' },
    'fail-probation': { type: 'string', default: '0%' },
    offline: { type: 'string', default: '0%' },
    probation: { type: 'string', default: '1' },
    'frame-delay-ms': { type: 'string', default: '200' },
    'sites-per-connection': { type: 'string', default: '500' },
    canary: { type: 'string' },
    waves: { type: 'string' },
    'wave-deadline': { type: 'string' },
    'max-failures': { type: 'string' },
    json: { type: 'string' },
    'broker-defaults': { type: 'boolean', default: false },
    'reconnect-after': { type: 'string' },
  },
});

const say = (text: string): void => void process.stderr.write(`fleet:sim: ${text}\n`);

function count(name: string, text: string, min: number, max: number): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max)
    throw new Error(`--${name} ${JSON.stringify(text)}: expected a whole number from ${min} to ${max}`);
  return value;
}

/** `5%` (or `5`) -> 0.05 */
function share(name: string, text: string): number {
  const value = Number(text.endsWith('%') ? text.slice(0, -1) : text);
  if (!Number.isFinite(value) || value < 0 || value > 100) throw new Error(`--${name} ${JSON.stringify(text)}: expected a percentage from 0% to 100%`);
  return value / 100;
}

const probationSeconds = Number(values.probation);
if (!(probationSeconds > 0 && probationSeconds <= 3600))
  throw new Error(`--probation ${JSON.stringify(values.probation)}: expected seconds over 0, up to 3600`);
const sites = count('sites', values.sites, 1, 100_000);

const result = await runFleetSimulation({
  sites,
  camerasPerSite: count('cameras', values.cameras, 1, 64),
  failProbationShare: share('fail-probation', values['fail-probation']),
  offlineShare: share('offline', values.offline),
  probationSeconds,
  frameDelayMs: count('frame-delay-ms', values['frame-delay-ms'], 0, 60_000),
  sitesPerConnection: count('sites-per-connection', values['sites-per-connection'], 1, 100_000),
  ...(values.canary === undefined ? {} : { canary: values.canary }),
  ...(values.waves === undefined ? {} : { waves: values.waves }),
  ...(values['wave-deadline'] === undefined ? {} : { waveDeadline: values['wave-deadline'] }),
  ...(values['max-failures'] === undefined ? {} : { maxFailures: values['max-failures'] }),
  // Generous: the push itself bounds each wave by its deadline.
  pushTimeoutMs: 60 * 60_000,
  catchUpTimeoutMs: 10 * 60_000,
  brokerDefaults: values['broker-defaults'],
  ...(values['reconnect-after'] === undefined ? {} : { reconnectAfterSeconds: count('reconnect-after', values['reconnect-after'], 0, 86_400) }),
  say,
  // Each line with the seconds since the simulator started: where the push spends its time shows.
  pushProgress: (text) => void process.stderr.write(text.replace(/^(?=.)/gm, () => `  fleet push (${process.uptime().toFixed(1)} s): `)),
});

process.stdout.write(`${report(result)}\n`);
if (values.json !== undefined) {
  const { status, push, ...figures } = result;
  await writeFile(
    values.json,
    `${JSON.stringify({ ...figures, push: { ...push, stderr: undefined }, status: { ...status, stdout: undefined, stderr: undefined } }, null, 2)}\n`,
  );
}
// The figures are the product; a halted rollout (the injected failures) is one of them, not an error.
process.exitCode = result.push.code === 0 || result.report.halted ? 0 : 1;

function report(r: FleetSimulationResult): string {
  const mb = (value: number): string => (Number.isFinite(value) ? `${Math.round(value)} MB` : 'n/a');
  const waves = wavesRun(r.report).map((wave) => [
    wave.index === 1 ? 'canary' : `wave ${wave.index}`,
    String(wave.sites.length),
    String(wave.applied.length),
    String(wave.failed.length),
    String(wave.pendingOffline.length),
    wave.seconds === undefined ? '-' : wave.seconds.toFixed(1),
  ]);
  const failedNames = r.report.waves.flatMap((wave) => wave.failed.map((failure) => `${failure.siteId} (${failure.status}: ${failure.reason})`));
  const lines = [
    `fleet simulation: ${r.sites} sites, ${r.cameras} cameras, ${r.connections} MQTT connections; setup ${r.setupSeconds.toFixed(1)} s`,
    `injected: ${r.failing.length} sites fail probation, ${r.offline.length} offline during the push`,
    '',
    formatTable([['wave', 'sites', 'applied', 'failed', 'offline', 'seconds'], ...waves]),
    '',
    `plan (${r.plan.seconds.toFixed(1)} s): ${r.plan.summary}`,
    `push: version ${r.version}, rollout ${r.report.rolloutId}, exit ${r.push.code}, ${r.report.halted ? 'HALTED' : 'every wave completed'}, ${r.push.seconds.toFixed(1)} s`,
    ...(failedNames.length > 0
      ? [`failed sites (${failedNames.length}): ${failedNames.slice(0, 20).join(', ')}${failedNames.length > 20 ? ', ...' : ''}`]
      : []),
    ...(r.catchUp
      ? [
          `offline sites pushed to: ${r.catchUp.sites - r.catchUp.missing.length}/${r.catchUp.sites} applied, the last ${r.catchUp.seconds.toFixed(1)} s after reconnecting`,
        ]
      : []),
    `converged: ${r.converged}/${r.sites} sites applied version ${r.version}; ${r.rolledBack} rolled back; end to end ${r.endToEndSeconds.toFixed(1)} s`,
    `broker, push start to end: ${r.pushesPublished + r.simulatorPublished} PUBLISH in (${r.pushesPublished} pushes, ${r.simulatorPublished} site reports and statuses), ` +
      `${r.broker.publishSent} PUBLISH out, ${r.broker.publishDropped} dropped; ${r.broker.packetsReceived} MQTT packets in, ${r.broker.packetsSent} out (Mosquitto $SYS)`,
    `retained store at the end: ${r.brokerAtEnd.retainedMessages} messages, ${(r.brokerAtEnd.storedBytes / 1e6).toFixed(1)} MB (${Math.round(r.brokerAtEnd.storedBytes / r.sites)} bytes per site)`,
    `memory (peak RSS): simulator ${mb(r.simulatorPeakRssMb)} for ${r.sites} sites, fleet plan ${mb(r.plan.peakRssMb)}, fleet push ${mb(r.push.peakRssMb)}, fleet status ${mb(r.status.peakRssMb)}`,
    `fleet status: exit ${r.status.code}; ${statusSummary(r.status.stdout)}`,
    `site warnings and errors by message: ${Object.keys(r.siteLogCounts).length === 0 ? 'none' : JSON.stringify(r.siteLogCounts)}`,
  ];
  return lines.join('\n');
}

/** The status report's summary, whatever else its JSON holds. */
function statusSummary(stdout: string): string {
  try {
    const document = JSON.parse(stdout) as Record<string, unknown>;
    return `converged ${JSON.stringify(document['converged'])}, sites by standing ${JSON.stringify(document['summary'])}`;
  } catch {
    return `(not JSON) ${JSON.stringify(stdout.slice(0, 200))}`;
  }
}
