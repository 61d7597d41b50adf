import { closeSync, openSync, writeSync } from 'node:fs';
import type { Alert } from '../../pipelines/alerts.js';
import type { Decision, Frame, Track } from '../../pipelines/types.js';
import { canonicalJson } from '../audit/canonicalJson.js';
import type { AgentRecorder } from '../audit/DecisionRecorder.js';
import type { AuditRef } from '../audit/auditRecord.js';

/**
 * Replay's recorder: one canonical JSON line per decision, `{frame, time, camera, decision}`,
 * plus the alert's `object` for alerts. Only what follows from the clip, the config and the
 * model goes in (no alert ids, no wall-clock times), so two runs write the same bytes. With a
 * tracks path, also one line per processed frame with the tracker's live tracks (what tracking
 * metrics such as IDF1 and MOTA are computed from; `bench/eval/`).
 */
export class DecisionFileWriter implements AgentRecorder {
  private readonly fd: number;
  private readonly tracksFd: number | undefined;
  private closed = false;
  decisions = 0;
  alerts = 0;

  constructor(path: string, options: { readonly tracksPath?: string } = {}) {
    this.fd = openSync(path, 'w');
    try {
      this.tracksFd = options.tracksPath === undefined ? undefined : openSync(options.tracksPath, 'w');
    } catch (error) {
      closeSync(this.fd);
      throw error;
    }
  }

  /** `{frame, time, camera, tracks: [{id, label, box, score, misses}]}`; misses 0 = matched on this frame */
  tracks(entry: { frame: Frame; tracks: readonly Track[] }): void {
    if (this.tracksFd === undefined || this.closed) return;
    const { frame } = entry;
    const tracks = entry.tracks.map((track) => ({ id: track.id, label: track.label, box: track.box, score: track.score, misses: track.misses }));
    const line = canonicalJson({ frame: frame.seq, time: new Date(frame.captureTime).toISOString(), camera: frame.cameraId, tracks });
    writeSync(this.tracksFd, `${line}\n`);
  }

  alert(entry: { decision: Decision; alert: Alert; frame: Frame }): AuditRef | undefined {
    this.alerts += 1;
    this.write(entry.frame, entry.decision, { object: entry.alert.object });
    return undefined;
  }

  suppression(entry: { decision: Decision; frame: Frame }): void {
    this.write(entry.frame, entry.decision, {});
  }

  modelLoaded(): void {
    // the summary names the model; the decisions file holds decisions only
  }

  configApplied(): void {
    // replay runs one config, named in the summary
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.fd);
    if (this.tracksFd !== undefined) closeSync(this.tracksFd);
  }

  private write(frame: Frame, decision: Decision, extra: Record<string, unknown>): void {
    this.decisions += 1;
    const line = canonicalJson({
      frame: frame.seq,
      time: new Date(frame.captureTime).toISOString(),
      camera: frame.cameraId,
      decision: { ...decision },
      ...extra,
    });
    writeSync(this.fd, `${line}\n`);
  }
}
