import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { repoRoot } from '../../helpers/paths.js';
import { skipUnlessAvailable } from '../../helpers/prerequisites.js';
import { PROMTOOL, runPromtool } from '../../helpers/promtool.js';

/** The shipped alert rules, checked and unit-tested by the real promtool. */

const rulesDir = join(repoRoot, 'config', 'prometheus');
const RULES = 'c5-edge-agent.rules.yml';
const RULE_TESTS = 'c5-edge-agent.rules.test.yml';
const ALERTS = [
  'C5AgentDown',
  'C5CameraDown',
  'C5AlertLatencyHigh',
  'C5FramesDropping',
  'C5OutboxBacklog',
  'C5ConfigRejected',
  'C5UnverifiedConfigPushes',
  'C5InferenceSlow',
  'C5InferenceThreadRestarting',
  'C5AgentOverCapacity',
];

interface Rule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
interface RuleTest {
  name: string;
  alert_rule_test: { alertname: string; exp_alerts: unknown[] }[];
}

const rules = (parseYaml(readFileSync(join(rulesDir, RULES), 'utf8')) as { groups: { rules: Rule[] }[] }).groups.flatMap((g) => g.rules);
const ruleTests = (parseYaml(readFileSync(join(rulesDir, RULE_TESTS), 'utf8')) as { tests: RuleTest[] }).tests;

const scratch = mkdtempSync(join(tmpdir(), 'c5-rules-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Runs the shipped rule tests against a copy of the rules with one expression changed. */
async function testRulesWith(change: (rulesText: string) => string): Promise<{ code: number | null; output: string }> {
  const dir = mkdtempSync(join(scratch, 'case-'));
  writeFileSync(join(dir, RULES), change(readFileSync(join(rulesDir, RULES), 'utf8')));
  copyFileSync(join(rulesDir, RULE_TESTS), join(dir, RULE_TESTS));
  return runPromtool(['test', 'rules', RULE_TESTS], { cwd: dir });
}

describe.skipIf(skipUnlessAvailable(existsSync(PROMTOOL)))('Prometheus alert rules (config/prometheus)', () => {
  it('pass `promtool check rules`', async () => {
    const result = await runPromtool(['check', 'rules', join(rulesDir, RULES)]);
    expect(result.output).toContain('SUCCESS: 10 rules found');
    expect(result.code).toBe(0);
  });

  it('define every alert with a for, a severity and a summary that names the site (and the camera where there is one)', () => {
    expect(rules.map((rule) => rule.alert)).toEqual(ALERTS);
    for (const rule of rules) {
      expect(rule.for, rule.alert).toMatch(/^\d+m$/);
      expect(['critical', 'warning'], rule.alert).toContain(rule.labels?.severity);
      const summary = rule.annotations?.summary ?? '';
      expect(summary, rule.alert).toMatch(/\$labels\.site/);
      expect(summary, rule.alert).toMatch(rule.expr.includes('camera') ? /\{\{ \$labels\.camera \}\}/ : /\(all cameras\)/);
    }
  });

  it('fire C5CameraDown and C5OutboxBacklog on synthetic series and stay silent otherwise (`promtool test rules`)', async () => {
    for (const alert of ['C5CameraDown', 'C5OutboxBacklog']) {
      const cases = ruleTests.find((t) => t.name === alert)?.alert_rule_test ?? [];
      expect(
        cases.some((c) => c.alertname === alert && c.exp_alerts.length > 0),
        `${alert} fires somewhere`,
      ).toBe(true);
      expect(
        cases.some((c) => c.alertname === alert && c.exp_alerts.length === 0),
        `${alert} is silent somewhere`,
      ).toBe(true);
    }
    expect(new Set(ruleTests.map((t) => t.name))).toEqual(new Set(ALERTS));
    const result = await runPromtool(['test', 'rules', RULE_TESTS], { cwd: rulesDir });
    expect(result.output).toContain('SUCCESS');
    expect(result.code).toBe(0);
  });

  it('catch a rule that pages for healthy cameras or a draining outbox', async () => {
    const camera = await testRulesWith((text) => text.replace(/(c5_agent_camera_up[\s\S]*?)== 0/, '$1>= 0'));
    expect(camera.code).not.toBe(0);
    expect(camera.output).toContain('alertname: C5CameraDown');
    expect(camera.output).toContain('camera="cam-east"');
    const lowThreshold = await testRulesWith((text) => text.replace(/(c5_agent_outbox_oldest_age_seconds[\s\S]*?)> 120/, '$1> 30'));
    const noFor = await testRulesWith((text) => text.replace(/(c5_agent_outbox_oldest_age_seconds[\s\S]*?)for: 5m/, '$1for: 0m'));
    for (const outbox of [lowThreshold, noFor]) {
      expect(outbox.code).not.toBe(0);
      expect(outbox.output).toContain('alertname: C5OutboxBacklog');
      expect(outbox.output).toContain('instance="edge-7:9464"');
    }
  });

  it('catch a rule that pages for one inference thread restart, which the agent heals by itself', async () => {
    const once = await testRulesWith((text) => text.replace(/(c5_agent_inference_worker_restarts_total[\s\S]*?)>= 2/, '$1>= 1'));
    expect(once.code).not.toBe(0);
    expect(once.output).toContain('alertname: C5InferenceThreadRestarting');
    expect(once.output).toContain('instance="edge-7:9464"');
  });
});
