import type { Alert } from '../../pipelines/alerts.js';

const f3 = (v: number): string => v.toFixed(3);

/**
 * One alert as the demo prints it: time, camera, rule, state, what was seen, and the alert's id
 * (what `c5-agent audit explain` takes). E.g.
 * `2026-12-04T20:41:31.123Z  plaza  person-present     start person #3 score 0.87 box [0.301, 0.402, 0.355, 0.610]  id 0193...`
 */
export function formatDemoAlert(alert: Alert): string {
  const head = `${alert.createdAt}  ${alert.cameraId}  ${alert.ruleId.padEnd(18)} ${alert.state.padEnd(5)}`;
  if (!alert.object) {
    // crowding: the event is about a zone, not one object
    return `${head} ${alert.count ?? 0} in zone ${alert.zone?.id ?? '?'}  id ${alert.id}\n`;
  }
  const { label, trackId, score, bbox } = alert.object;
  const [x1, y1, x2, y2] = bbox;
  return `${head} ${label} #${trackId} score ${score.toFixed(2)} box [${f3(x1)}, ${f3(y1)}, ${f3(x2)}, ${f3(y2)}]  id ${alert.id}\n`;
}

export interface ExplainHintOptions {
  /** the alert to explain, undefined when the run had none */
  readonly alertId: string | undefined;
  readonly auditDir: string;
  readonly env: NodeJS.ProcessEnv;
}

/**
 * The demo's closing lines: the exact command that explains one of the alerts just printed. npm
 * sets npm_lifecycle_event for `npm run demo`; such a user has no `c5-agent` on PATH, so the
 * npx form is shown too: anywhere inside the checkout it runs the checkout's own bin, and
 * `--no-install` stops it from fetching a stranger's package of that name from the registry.
 */
export function formatExplainHint({ alertId, auditDir, env }: ExplainHintOptions): string {
  if (alertId === undefined) return `no alert to explain; the audit log is in ${auditDir} (c5-agent audit verify ${shellWord(auditDir)})\n`;
  const args = `audit explain ${alertId} --dir ${shellWord(auditDir)}`;
  let text = `why an alert was sent (its decision trail in the audit log):\n  c5-agent ${args}\n`;
  if (env['npm_lifecycle_event'] !== undefined) text += `  from this checkout: npx --no-install c5-agent ${args}\n`;
  return text;
}

/** A path as one shell word: as is when it is plain, else single-quoted. */
export function shellWord(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}
