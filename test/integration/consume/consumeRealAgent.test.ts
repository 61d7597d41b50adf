import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCli, type CliProcess } from '../../helpers/runCli.js';
import { startSiteUnderTest, stopSiteUnderTest, type SiteUnderTest } from '../../helpers/siteUnderTest.js';

// The reference consumer on what a real agent (the built CLI, the shared clip, a real Mosquitto)
// publishes: every message it sends, on every channel of the contract, must read as valid.

const SITE = 'consume-site';
const CONFIG_EXTRA = 'stats: { intervalSeconds: 1 }\naudit: { checkpointIntervalSeconds: 1 }';

async function waitForOutput(cli: CliProcess, pattern: RegExp, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pattern.test(cli.stdout())) {
    if (Date.now() > deadline) throw new Error(`consume printed no ${String(pattern)} within ${timeoutMs} ms; stderr ${cli.stderr()}`);
    if (cli.child.exitCode !== null) throw new Error(`consume exited ${cli.child.exitCode}: ${cli.stderr()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('c5-agent consume on a real agent', () => {
  let sut: SiteUnderTest | undefined;
  beforeAll(async () => {
    sut = await startSiteUnderTest(SITE, { version: 1, extra: CONFIG_EXTRA });
  }, 60_000);
  afterAll(async () => {
    await stopSiteUnderTest(sut ?? {});
  });

  it('reads every channel the agent publishes as valid, and stops with a summary on SIGINT', async () => {
    const { broker, site } = sut!;
    const cli = startCli(['consume', '--broker', broker.url, '--site', SITE, '--json'], { timeoutMs: 90_000 });
    try {
      for (const channel of ['siteStatus', 'cameraStatus', 'alerts', 'stats', 'auditCheckpoint'])
        await waitForOutput(cli, new RegExp(`"channel":"${channel}"`), 45_000);
      // A policy-only change (a rule threshold): applied without restarting the camera, reported on config/state.
      await sut!.collector.client.publishAsync(site.topics.push, site.signer.push(site.yaml({ version: 2, minScore: 0.55, extra: CONFIG_EXTRA })), {
        qos: 1,
        retain: true,
      });
      await waitForOutput(cli, /"channel":"configState".*"status":"applied"/, 30_000);
    } finally {
      cli.child.kill('SIGINT');
    }
    const result = await cli.done;
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).not.toMatch(/invalid message/);
    const summary = (
      JSON.parse(result.stdout.trim().split('\n').at(-1)!) as { summary: { invalid: number; alerts: number; byChannel: Record<string, number> } }
    ).summary;
    expect(summary.invalid).toBe(0);
    expect(summary.alerts).toBeGreaterThan(0);
    for (const channel of ['siteStatus', 'cameraStatus', 'alerts', 'stats', 'configState', 'auditCheckpoint'])
      expect(summary.byChannel[channel], channel).toBeGreaterThan(0);
  }, 120_000);
});
