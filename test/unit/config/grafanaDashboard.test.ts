import { describe, expect, it } from 'vitest';
import { readDashboard } from '../../helpers/grafanaDashboard.js';

/**
 * The shape of config/grafana/c5-edge-agent.json; that every expression runs on real data is
 * test/integration/observe/prometheusScrape.test.ts's job.
 */

const dashboard = readDashboard('c5-edge-agent.json');
const panels = dashboard.panels.filter((p) => p.type !== 'row');
const DS = { type: 'prometheus', uid: '${datasource}' };

describe('Grafana dashboard (config/grafana/c5-edge-agent.json)', () => {
  it('uses the current JSON model with a datasource variable and site and camera variables', () => {
    expect(dashboard.uid).toBe('c5-edge-agent');
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(39);
    const vars = Object.fromEntries(dashboard.templating.list.map((v) => [v.name, v]));
    expect(vars['datasource']).toMatchObject({ type: 'datasource', query: 'prometheus' });
    expect(vars['site']).toMatchObject({ type: 'query', multi: true, datasource: DS });
    expect(vars['camera']).toMatchObject({ type: 'query', multi: true, datasource: DS });
    expect(JSON.stringify(vars['camera']!.query)).toContain('$site');
  });

  it('has the panels operators need, each on the chosen data source and filtered to the chosen sites', () => {
    const titles = panels.map((p) => p.title);
    for (const wanted of [
      /frame-to-alert latency \(p50 \/ p95 \/ p99\)/i,
      /per-stage latency/i,
      /inference time/i,
      /frames per second by camera and outcome/i,
      /camera up/i,
      /camera restarts/i,
      /alerts .*by rule and outcome/i,
      /outbox depth/i,
      /outbox oldest alert age/i,
      /mqtt connected/i,
      /config version/i,
      /config pushes by result/i,
      /process cpu/i,
      /process memory/i,
    ]) {
      expect(
        titles.some((t) => wanted.test(t)),
        String(wanted),
      ).toBe(true);
    }
    expect(new Set(dashboard.panels.map((p) => p.id)).size).toBe(dashboard.panels.length);
    for (const panel of panels) {
      expect(panel.datasource, panel.title).toEqual(DS);
      expect(panel.targets?.length, panel.title).toBeGreaterThan(0);
      for (const target of panel.targets ?? []) {
        expect(target.datasource, panel.title).toEqual(DS);
        expect(target.expr, panel.title).toContain('site=~"$site"');
        // a fixed window would be empty at long scrape intervals or needlessly coarse at short ones
        if (/\b(rate|increase)\(/.test(target.expr)) expect(target.expr, panel.title).toContain('[$__rate_interval]');
      }
      expect(panel.gridPos.x + panel.gridPos.w, panel.title).toBeLessThanOrEqual(24);
    }
  });

  it('filters every per-camera panel by the camera variable', () => {
    for (const panel of panels) {
      for (const target of panel.targets ?? []) {
        if (/c5_agent_(frames_total|camera_up|camera_restarts_total|alerts_total)/.test(target.expr)) {
          expect(target.expr, panel.title).toContain('camera=~"$camera"');
        }
      }
    }
  });
});
