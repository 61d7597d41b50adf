import { describe, expect, it } from 'vitest';
import { ConsumerLedger } from '../../../../agent/consume/ConsumerLedger.js';

const a = (id: string, seq: number, cameraId = 'cam-1', siteId = 'site-a'): { id: string; seq: number; siteId: string; cameraId: string } => ({
  id,
  seq,
  siteId,
  cameraId,
});

describe('ConsumerLedger', () => {
  it('classifies alerts: new, duplicate by id, out of order per camera, gaps per site', () => {
    const ledger = new ConsumerLedger();
    expect(ledger.alert(a('x1', 5))).toEqual({ kind: 'new' }); // the first alert of a site sets its baseline
    expect(ledger.alert(a('x1', 5))).toEqual({ kind: 'duplicate' });
    expect(ledger.alert(a('x2', 6, 'cam-2'))).toEqual({ kind: 'new' });
    expect(ledger.alert(a('x3', 9))).toEqual({ kind: 'gap', missing: 2, after: 6 }); // 7 and 8 not seen
    expect(ledger.alert(a('x4', 7, 'cam-2'))).toEqual({ kind: 'new' }); // fills part of the gap, in order on cam-2
    expect(ledger.alert(a('x5', 8))).toEqual({ kind: 'out_of_order', previousSeq: 9 }); // cam-1 already at 9
    expect(ledger.alert(a('y1', 100, 'cam-1', 'site-b'))).toEqual({ kind: 'new' }); // another site: its own baseline
    ledger.counted('stats');
    ledger.invalidMessage();
    expect(ledger.summary()).toEqual({
      messages: 9,
      byChannel: { siteStatus: 0, cameraStatus: 0, alerts: 7, stats: 1, configPush: 0, configState: 0, auditCheckpoint: 0 },
      alerts: 6,
      invalid: 1,
      duplicates: 1,
      outOfOrder: 1,
      seqGaps: 2,
    });
  });

  it('remembers only the newest ids: a duplicate older than the window passes as new (bounded memory)', () => {
    const ledger = new ConsumerLedger({ maxAlertIds: 2, maxCameras: 10 });
    ledger.alert(a('i1', 1));
    ledger.alert(a('i2', 2));
    ledger.alert(a('i3', 3)); // i1 forgotten
    expect(ledger.alert(a('i3', 3))).toEqual({ kind: 'duplicate' });
    expect(ledger.alert(a('i1', 1))).toEqual({ kind: 'out_of_order', previousSeq: 3 });
    expect(ledger.summary().duplicates).toBe(1);
  });

  it('forgets the least recently seen camera beyond its bound', () => {
    const ledger = new ConsumerLedger({ maxAlertIds: 100, maxCameras: 2 });
    ledger.alert(a('c1', 10, 'cam-1', 's1'));
    ledger.alert(a('c2', 10, 'cam-2', 's2'));
    ledger.alert(a('c3', 10, 'cam-3', 's3')); // cam-1 of s1 (and site s1) forgotten
    expect(ledger.alert(a('c4', 5, 'cam-1', 's1'))).toEqual({ kind: 'new' });
    expect(ledger.alert(a('c5', 5, 'cam-3', 's3'))).toEqual({ kind: 'out_of_order', previousSeq: 10 });
  });
});
