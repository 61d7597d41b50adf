import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { readDashboard, type GrafanaPanel } from '../../helpers/grafanaDashboard.js';
import { repoRoot } from '../../helpers/paths.js';

/**
 * The shape of config/grafana/c5-fleet-overview.json, and its thresholds against the alert rules;
 * that every expression runs on real data is test/integration/observe/fleetOverviewScrape.test.ts's job.
 */

const dashboard = readDashboard('c5-fleet-overview.json');
const rules = (
  parse(readFileSync(join(repoRoot, 'config', 'prometheus', 'c5-edge-agent.rules.yml'), 'utf8')) as {
    groups: { rules: { alert: string; expr: string }[] }[];
  }
).groups.flatMap((g) => g.rules);
const panels = dashboard.panels.filter((p) => p.type !== 'row');
const DS = { type: 'prometheus', uid: '${datasource}' };

function panel(title: string): GrafanaPanel {
  const found = panels.find((p) => p.title === title);
  if (!found) throw new Error(`no panel "${title}"`);
  return found;
}
/** The first non-base threshold step of a panel: where it turns orange or red. */
function firstStep(title: string): number | null | undefined {
  return panel(title).fieldConfig?.defaults.thresholds?.steps[1]?.value;
}
/** The number a rule compares against, read from the end of its expression: "> 120", ">= 2", "== 0". */
function ruleBound(alert: string): { op: string; value: number } {
  const rule = rules.find((r) => r.alert === alert);
  if (!rule) throw new Error(`no rule ${alert}`);
  const match = /(>=|>|==)\s*([\d.]+)\s*$/.exec(rule.expr.trim());
  if (!match) throw new Error(`rule ${alert}: no trailing comparison`);
  return { op: match[1]!, value: Number(match[2]) };
}

describe('Grafana fleet overview (config/grafana/c5-fleet-overview.json)', () => {
  it('has a datasource variable and a free-text site filter, and no variable that enumerates sites or cameras', () => {
    expect(dashboard.uid).toBe('c5-fleet-overview');
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(39);
    expect(dashboard.templating.list.map((v) => [v.name, v.type])).toEqual([
      ['datasource', 'datasource'],
      ['site_filter', 'textbox'],
    ]);
    expect(dashboard.templating.list.some((v) => v.type === 'query')).toBe(false);
  });

  it('puts every panel on the chosen data source, with unique ids, inside the grid', () => {
    expect(new Set(dashboard.panels.map((p) => p.id)).size).toBe(dashboard.panels.length);
    for (const p of panels) {
      expect(p.datasource, p.title).toEqual(DS);
      expect(p.targets?.length, p.title).toBeGreaterThan(0);
      for (const target of p.targets ?? []) expect(target.datasource, p.title).toEqual(DS);
      expect(p.gridPos.x + p.gridPos.w, p.title).toBeLessThanOrEqual(24);
    }
  });

  it('never lists one series per site or camera: every per-site or per-camera query is a count, an aggregate or a top-k', () => {
    for (const p of panels) {
      for (const { expr } of p.targets ?? []) {
        expect(expr, p.title).toMatch(/^(count|sum|topk|bottomk|histogram_quantile)\b/);
        if (/\b(rate|increase)\(/.test(expr) && !/\[30m\]/.test(expr)) expect(expr, p.title).toContain('[$__rate_interval]');
        if (/^(topk|bottomk)/.test(expr)) expect(expr, p.title).toMatch(/^(topk|bottomk)\(10, /);
      }
    }
  });

  it('has the panels the centre needs', () => {
    const titles = panels.map((p) => p.title);
    for (const wanted of [
      /^agents down/i,
      /^cameras down$/i,
      /cameras down: 10/i,
      /config version spread/i,
      /alerts per minute by severity/i,
      /worst outbox/i,
      /frame-to-alert latency across sites/i,
      /agents restart/i,
      /agents over capacity/i,
    ]) {
      expect(
        titles.some((t) => wanted.test(t)),
        String(wanted),
      ).toBe(true);
    }
    expect(panel('Frame-to-alert latency across sites (p95 / p99)').targets?.map((t) => t.expr)).toEqual([
      expect.stringMatching(/^histogram_quantile\(0\.95, sum by \(le\) /),
      expect.stringMatching(/^histogram_quantile\(0\.99, sum by \(le\) /),
    ]);
    // delivered alerts split by the rule's severity; failures as one line that reads 0, not "no data"
    expect(panel('Alerts per minute by severity').targets?.map((t) => [t.expr, t.legendFormat])).toEqual([
      [expect.stringMatching(/^sum by \(severity\) \(rate\(c5_agent_alerts_total\{outcome="published"\}/), '{{severity}}'],
      [expect.stringMatching(/^sum\(rate\(c5_agent_alerts_total\{outcome="failed"\}.* or vector\(0\)$/), 'failed'],
    ]);
  });

  // Which panel shows which rule, by hand. A count panel turns red at 1 when its rule fires on
  // any one series (== 0 on a boolean gauge); a value panel turns at the rule's own bound.
  it.each([
    ['Agents down (scrape targets)', 'C5AgentDown', 1],
    ['Cameras down', 'C5CameraDown', 1],
    ['Frame-to-alert latency across sites (p95 / p99)', 'C5AlertLatencyHigh', 'bound'],
    ['Frame-to-alert p95: worst 10 sites', 'C5AlertLatencyHigh', 'bound'],
    ['Worst outbox backlogs: oldest waiting alert, top 10', 'C5OutboxBacklog', 'bound'],
    ['Worst frame drop ratio: top 10 cameras', 'C5FramesDropping', 'bound'],
    ['Inference thread restarts (30 m): top 10', 'C5InferenceThreadRestarting', 'bound'],
    ['Capacity load: top 10 sites', 'C5AgentOverCapacity', 'bound'],
  ] as const)('panel "%s" turns at the bound of rule %s', (title, alert, expected) => {
    if (alert === 'C5AgentDown') {
      expect(rules.find((r) => r.alert === alert)?.expr).toContain('up{job="c5-agent"} == 0');
    } else if (expected === 1) {
      expect(ruleBound(alert)).toEqual({ op: '==', value: 0 });
    }
    expect(firstStep(title)).toBe(expected === 'bound' ? ruleBound(alert).value : expected);
  });
});
