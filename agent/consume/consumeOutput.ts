import type { Alert } from '../../pipelines/alerts.js';
import { quoteUntrusted } from '../../pipelines/untrustedText.js';
import type { ConfigStateMessage } from '../../pipelines/wire/configStateMessage.js';
import type { CameraStatusMessage, SiteStatusMessage } from '../../pipelines/wire/statusMessages.js';
import { formatDemoAlert } from '../demo/demoOutput.js';
import type { LedgerSummary } from './ConsumerLedger.js';

/**
 * The consumer's lines for people. The schemas leave most strings free, and every one of them
 * came from outside: a field that is not short printable ASCII is shown quoted and escaped.
 */

const SHOWN_CHARS = 64;

export function printable(text: string): string {
  return text.length <= SHOWN_CHARS && /^[\x21-\x7e]+$/.test(text) ? text : quoteUntrusted(text, SHOWN_CHARS);
}

/** The demo's alert line, with the site in front. */
export function formatAlertLine(alert: Alert): string {
  const safe: Alert = {
    ...alert,
    cameraId: printable(alert.cameraId),
    ruleId: printable(alert.ruleId),
    ...(alert.object ? { object: { ...alert.object, label: printable(alert.object.label) } } : {}),
    ...(alert.zone ? { zone: { id: printable(alert.zone.id) } } : {}),
  };
  return `${printable(alert.siteId)}  ${formatDemoAlert(safe).trimEnd()}  seq ${alert.seq} ${alert.severity}\n`;
}

export function formatSiteStatusLine(status: SiteStatusMessage): string {
  const why = status.reason ?? status.reasons?.map(printable).join(', ');
  return `${status.startedAt}  ${status.siteId}  site ${status.state}${why === undefined ? '' : ` (${why})`}, agent ${printable(status.version)}, config version ${status.configVersion}\n`;
}

export function formatCameraStatusLine(siteId: string, status: CameraStatusMessage): string {
  const why = status.reason === undefined ? '' : `: ${status.reason}${status.detail === undefined ? '' : ` ${quoteUntrusted(status.detail, 120)}`}`;
  return `${status.since}  ${printable(siteId)}  camera ${status.cameraId} ${status.state}${why}\n`;
}

export function formatConfigStateLine(state: ConfigStateMessage): string {
  const reason = state.reason === undefined ? '' : ` (${state.reason})`;
  return `${state.time}  ${state.siteId}  config ${state.status} version ${state.version ?? '-'}${reason}, running version ${state.running.version}\n`;
}

export function formatSummary(summary: LedgerSummary): string {
  const c = summary.byChannel;
  return (
    `consumed ${summary.messages} messages: ${summary.alerts} alerts (${summary.duplicates} duplicates), ` +
    `${c.siteStatus} site status, ${c.cameraStatus} camera status, ${c.stats} stats, ${c.configState} config state, ${c.auditCheckpoint} audit checkpoints; ` +
    `${summary.invalid} invalid, ${summary.outOfOrder} out of order, ${summary.seqGaps} seq numbers missing\n`
  );
}
