import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './paths.js';

/**
 * The parts of a Grafana dashboard JSON model (schemaVersion 39+) that the dashboard tests read,
 * and the walk that finds every PromQL expression in one: the unit tests check the shape, the
 * integration tests run the expressions on a real Prometheus.
 */

export interface GrafanaTarget {
  expr: string;
  refId: string;
  datasource: { type: string; uid: string };
  legendFormat?: string;
}

export interface GrafanaPanel {
  id: number;
  type: string;
  title: string;
  description?: string;
  datasource?: { type: string; uid: string };
  targets?: GrafanaTarget[];
  /** the panels of a collapsed row */
  panels?: GrafanaPanel[];
  gridPos: { h: number; w: number; x: number; y: number };
  fieldConfig?: { defaults: { thresholds?: { steps: { color: string; value: number | null }[] } } };
}

export interface GrafanaVariable {
  name: string;
  type: string;
  query?: unknown;
  datasource?: { uid: string };
  multi?: boolean;
}

export interface GrafanaDashboard {
  uid: string;
  schemaVersion: number;
  panels: GrafanaPanel[];
  templating: { list: GrafanaVariable[] };
}

/** A dashboard of `config/grafana/`, by file name. */
export function readDashboard(fileName: string): GrafanaDashboard {
  return JSON.parse(readFileSync(join(repoRoot, 'config', 'grafana', fileName), 'utf8')) as GrafanaDashboard;
}

export interface DashboardExpression {
  /** `panel "TITLE" REFID` or `variable $NAME` */
  readonly where: string;
  readonly expr: string;
}

/** Every PromQL expression in the dashboard: panel targets (rows included), and the queries behind its query variables. */
export function dashboardExpressions(dashboard: GrafanaDashboard): DashboardExpression[] {
  const found: DashboardExpression[] = [];
  const walk = (panels: readonly GrafanaPanel[]): void => {
    for (const panel of panels) {
      for (const target of panel.targets ?? []) found.push({ where: `panel "${panel.title}" ${target.refId}`, expr: target.expr });
      walk(panel.panels ?? []);
    }
  };
  walk(dashboard.panels);
  for (const variable of dashboard.templating.list.filter((v) => v.type === 'query')) {
    const query = typeof variable.query === 'string' ? variable.query : ((variable.query as { query?: string } | undefined)?.query ?? '');
    // Grafana functions around PromQL: label_values(<series selector>, label) and query_result(<expr>)
    const inner = /^label_values\((.+),\s*\w+\)$/.exec(query)?.[1] ?? /^query_result\((.+)\)$/.exec(query)?.[1];
    if (!inner) throw new Error(`variable ${variable.name}: unexpected query ${query}`);
    found.push({ where: `variable $${variable.name}`, expr: inner });
  }
  return found;
}
