import { describe, expect, it } from 'vitest';
import { agentKillScenario, brokerRestartScenario, type ScenarioOutcome } from '../../helpers/chaosScenarios.js';
import { formatReport } from '../../helpers/deliveryReport.js';

/**
 * `npm run chaos` (vitest.chaos.config.ts): kills and broker restarts against the agent's real
 * publish side, printing `generated / delivered / duplicates / lost` per scenario. Fails when
 * anything is lost or arrives out of order per camera.
 */

const KILLS = Number(process.env['C5_CHAOS_KILLS'] ?? 5);
const OUTAGE_SECONDS = Number(process.env['C5_CHAOS_OUTAGE_SECONDS'] ?? 20);

function print(outcome: ScenarioOutcome, note: string): void {
  console.log(`${formatReport(outcome.name, outcome.report)}  ${note}`);
}

describe('chaos', () => {
  it(`broker stopped for ${OUTAGE_SECONDS} s while alerts flow`, async () => {
    const outcome = await brokerRestartScenario({ outageMs: OUTAGE_SECONDS * 1000 });
    print(outcome, `[stored during the outage ${outcome.backlog}]`);
    expect(outcome.report).toMatchObject({ lost: 0, outOfOrder: 0, seqRegressions: 0 });
  });

  it(`agent SIGKILLed ${KILLS} times while alerts flow, then once with a backlog`, async () => {
    const outcome = await agentKillScenario({ kills: KILLS });
    print(outcome, `[kills ${outcome.kills}, alerts in the outbox at the last kill ${outcome.backlog}]`);
    expect(outcome.report).toMatchObject({ lost: 0, outOfOrder: 0, seqRegressions: 0 });
  });
});
