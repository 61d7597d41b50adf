import type { GeneratedAlert } from './alertGeneratorProcess.js';

/** What the centre received of what the agent stored. */
export interface DeliveryReport {
  /** alerts the agent reported stored in its outbox */
  readonly generated: number;
  /** of those, how many the centre received at least once */
  readonly delivered: number;
  /** receptions beyond the first of an id (at-least-once: allowed, receivers de-duplicate) */
  readonly duplicates: number;
  /** stored and never received */
  readonly lost: number;
  /** per camera, first receptions whose seq is below the one before */
  readonly outOfOrder: number;
  /** generated alerts whose seq is not above the one generated before (across restarts) */
  readonly seqRegressions: number;
  /** received but never reported stored (an alert stored in the instant of a SIGKILL) */
  readonly unreported: number;
}

export function deliveryReport(generated: readonly GeneratedAlert[], received: readonly GeneratedAlert[]): DeliveryReport {
  const generatedIds = new Set(generated.map((alert) => alert.id));
  const firsts = new Map<string, GeneratedAlert>();
  for (const alert of received) if (!firsts.has(alert.id)) firsts.set(alert.id, alert);

  let outOfOrder = 0;
  const lastSeqOf = new Map<string, number>();
  for (const alert of firsts.values()) {
    const last = lastSeqOf.get(alert.cameraId);
    if (last !== undefined && alert.seq < last) outOfOrder += 1;
    lastSeqOf.set(alert.cameraId, Math.max(last ?? 0, alert.seq));
  }
  let seqRegressions = 0;
  generated.forEach((alert, index) => {
    if (index > 0 && alert.seq <= generated[index - 1]!.seq) seqRegressions += 1;
  });
  const delivered = [...generatedIds].filter((id) => firsts.has(id)).length;
  return {
    generated: generatedIds.size,
    delivered,
    duplicates: received.length - firsts.size,
    lost: generatedIds.size - delivered,
    outOfOrder,
    seqRegressions,
    unreported: [...firsts.keys()].filter((id) => !generatedIds.has(id)).length,
  };
}

/** `broker-restart  generated 412  delivered 412  duplicates 0  lost 0  (out of order 0, ...)` */
export function formatReport(name: string, report: DeliveryReport): string {
  return (
    `${name.padEnd(22)} generated ${report.generated}  delivered ${report.delivered}  duplicates ${report.duplicates}  lost ${report.lost}` +
    `  (out of order ${report.outOfOrder}, seq regressions ${report.seqRegressions}, received but unreported ${report.unreported})`
  );
}
