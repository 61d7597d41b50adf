import { join } from 'node:path';
import { ObserveError } from '../../pipelines/errors.js';
import { readRawLines } from './auditFiles.js';
import { parseAuditLine, type AuditRecord } from './auditRecord.js';
import { auditFilesIn, formatVerification, verifyAuditLog, type AuditVerification } from './verifyAuditLog.js';

export interface PlacedRecord {
  readonly record: AuditRecord;
  readonly file: string;
  readonly line: number;
}

export interface AlertExplanation {
  readonly alert: PlacedRecord;
  /** the `agent_started` record of the process that sent the alert (track ids are per process) */
  readonly run?: AuditRecord;
  /** the last `config_applied` and the alert model's `model_loaded` before the alert */
  readonly config?: AuditRecord;
  readonly model?: AuditRecord;
  /** the records of the same camera, rule and track in that run, oldest first, ending with the alert's */
  readonly trail: readonly PlacedRecord[];
  readonly integrity: AuditVerification;
}

interface Subject {
  readonly camera: unknown;
  readonly ruleId: unknown;
  readonly trackId: unknown;
}

function subjectOf(record: AuditRecord): Subject | undefined {
  if (record.type !== 'alert' && record.type !== 'suppression') return undefined;
  const decision = record['decision'] as { ruleId?: unknown; trackId?: unknown } | undefined;
  return { camera: record['camera'], ruleId: decision?.ruleId, trackId: decision?.trackId ?? null };
}

function* readAuditRecords(dir: string, files: readonly string[]): Generator<PlacedRecord> {
  for (const file of files) {
    for (const raw of readRawLines(join(dir, file))) {
      const parsed = parseAuditLine(raw.bytes);
      if (parsed.ok) yield { record: parsed.record, file, line: raw.line };
    }
  }
}

/**
 * Why one alert was sent: its record, the run, config and model it came from, and every earlier
 * decision on the same (camera, rule, track) in that run, from the first suppression to it.
 * Two passes over the log, so memory stays flat however long the log is.
 */
export function explainAlert(dir: string, alertId: string): AlertExplanation {
  const files = auditFilesIn(dir);
  let run: AuditRecord | undefined;
  let config: AuditRecord | undefined;
  const models = new Map<string, AuditRecord>();
  let found: PlacedRecord | undefined;
  for (const placed of readAuditRecords(dir, files)) {
    const { record } = placed;
    if (record.type === 'agent_started') {
      run = record;
      models.clear();
    } else if (record.type === 'config_applied') {
      config = record;
    } else if (record.type === 'model_loaded') {
      const name = (record['model'] as { name?: unknown } | undefined)?.name;
      if (typeof name === 'string') models.set(name, record);
    } else if (record.type === 'alert' && (record['alert'] as { id?: unknown } | undefined)?.id === alertId) {
      found = placed;
      break;
    }
  }
  if (!found) throw new ObserveError('audit_alert_not_found', `no alert ${alertId} in the audit log in ${dir}`);

  const subject = subjectOf(found.record)!;
  const trail: PlacedRecord[] = [];
  for (const placed of readAuditRecords(dir, files)) {
    if (placed.record.seq < (run?.seq ?? 0)) continue;
    const other = subjectOf(placed.record);
    if (other && other.camera === subject.camera && other.ruleId === subject.ruleId && other.trackId === subject.trackId) trail.push(placed);
    if (placed.record.seq >= found.record.seq) break;
  }
  const modelName = (found.record['alert'] as { model?: { name?: unknown } }).model?.name;
  const model = typeof modelName === 'string' ? models.get(modelName) : undefined;
  return { alert: found, run, config, model, trail, integrity: verifyAuditLog(dir) };
}

const short = (hash: unknown): string => (typeof hash === 'string' ? `${hash.slice(0, 12)}...` : '?');

function describeDecision(record: AuditRecord): string {
  const decision = (record['decision'] ?? {}) as { outcome?: string; state?: string; reason?: string; values?: Record<string, unknown>; event?: unknown };
  const values = Object.entries(decision.values ?? {})
    .map(([key, value]) => `${key}=${typeof value === 'number' ? Number(value.toFixed(4)) : String(value)}`)
    .join(' ');
  const what = decision.outcome === 'alert' ? `alert    ${(decision.state ?? '').padEnd(6)}` : 'suppress       ';
  const event = decision.event === undefined ? '' : `  event ${JSON.stringify(decision.event)}`;
  return `${what} ${(decision.reason ?? '?').padEnd(22)} ${values}${event}`;
}

function frameTimeOf(record: AuditRecord): string {
  const alert = record['alert'] as { frameTime?: unknown } | undefined;
  const time = alert?.frameTime ?? record['frameTime'] ?? record.time;
  return String(time);
}

export function formatExplanation(explanation: AlertExplanation): string {
  const { alert, run, config, model, trail, integrity } = explanation;
  const subject = subjectOf(alert.record)!;
  const body = alert.record['alert'] as { id: string; type?: string; state?: string };
  const lines = [
    `alert ${body.id}: ${body.type ?? '?'} ${body.state ?? '?'}, camera ${String(subject.camera)}, rule ${String(subject.ruleId)}, track ${String(subject.trackId)}`,
    `  audit record seq ${alert.record.seq} (${alert.file} line ${alert.line}), hash ${short(alert.record.hash)}`,
  ];
  if (run) lines.push(`  run: agent ${String(run['version'])} started ${run.time} (seq ${run.seq}, pid ${String(run['pid'])})`);
  if (config) {
    const c = config['config'] as { version?: unknown; sha256?: unknown; source?: unknown };
    lines.push(`  config: version ${String(c.version)} sha256 ${short(c.sha256)} from ${String(c.source)} (${String(config['trigger'])}, seq ${config.seq})`);
  }
  if (model) {
    const m = model['model'] as { name?: unknown; sha256?: unknown };
    lines.push(`  model: ${String(m.name)} sha256 ${short(m.sha256)} (seq ${model.seq})`);
  }
  lines.push(`decision trail (${trail.length} record(s) for this camera, rule and track in this run):`);
  for (const placed of trail) {
    const marker = placed.record.seq === alert.record.seq ? '   <- this alert' : '';
    lines.push(`  ${frameTimeOf(placed.record)}  seq ${String(placed.record.seq).padEnd(6)} ${describeDecision(placed.record)}${marker}`);
  }
  lines.push(`log integrity: ${formatVerification(integrity).trimEnd()}`);
  return `${lines.join('\n')}\n`;
}
