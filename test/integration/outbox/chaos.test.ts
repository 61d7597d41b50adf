import { describe, expect, it } from 'vitest';
import { agentKillScenario, brokerRestartScenario } from '../../helpers/chaosScenarios.js';
import { formatReport } from '../../helpers/deliveryReport.js';

/**
 * Delivery under the failures an edge box sees: the broker going away for 20 s, and the agent
 * dying by SIGKILL with alerts in flight and with a backlog in its outbox. The agent side is the
 * real outbox, MQTT link and delivery (test/helpers/alertGenerator.mjs, from dist/); broker and
 * centre are a Mosquitto and a persistent-session subscriber. `npm run chaos` runs more kills.
 */
describe('delivery under failure (real Mosquitto, real processes)', () => {
  it('delivers every alert stored while the broker was stopped for 20 s, none lost, in order per camera', async () => {
    const outcome = await brokerRestartScenario({ outageMs: 20_000 });
    console.info(formatReport(outcome.name, outcome.report));
    expect(outcome.backlog).toBeGreaterThan(0);
    expect(outcome.report.generated).toBeGreaterThan(outcome.backlog);
    expect(outcome.report).toMatchObject({ lost: 0, outOfOrder: 0, seqRegressions: 0 });
    expect(outcome.report.delivered).toBe(outcome.report.generated);
  }, 120_000);

  it('delivers every alert after SIGKILLs of the agent, with and without a backlog in its outbox, seq rising across restarts', async () => {
    const outcome = await agentKillScenario({ kills: 1 });
    console.info(formatReport(outcome.name, outcome.report), `backlog at the last kill: ${outcome.backlog}`);
    expect(outcome.backlog).toBeGreaterThan(0);
    expect(outcome.report).toMatchObject({ lost: 0, outOfOrder: 0, seqRegressions: 0 });
    expect(outcome.report.delivered).toBe(outcome.report.generated);
  }, 120_000);
});
