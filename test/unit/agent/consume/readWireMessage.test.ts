import { describe, expect, it } from 'vitest';
import { MAX_WIRE_MESSAGE_BYTES, readWireMessage } from '../../../../agent/consume/readWireMessage.js';
import { makeAlert } from '../../../helpers/alertFixture.js';

const CAMERA_STATUS = { cameraId: 'cam-1', state: 'online', since: '2026-11-29T02:01:00.000Z' };

describe('readWireMessage', () => {
  it('reads a valid message of each topic shape with its site and camera', () => {
    const alert = makeAlert({ siteId: 'site-a', cameraId: 'cam-1' });
    expect(readWireMessage('c5/site-a/cam-1/alerts', Buffer.from(JSON.stringify(alert)), 'c5')).toEqual({
      ok: true,
      channel: 'alerts',
      siteId: 'site-a',
      cameraId: 'cam-1',
      message: alert,
    });
    expect(readWireMessage('city/c5/site-a/cam-1/status', Buffer.from(JSON.stringify(CAMERA_STATUS)), 'city/c5')).toMatchObject({
      ok: true,
      channel: 'cameraStatus',
    });
  });

  it('names each problem, echoing at most a short quoted prefix', () => {
    const read = (topic: string, payload: string | Buffer): unknown => readWireMessage(topic, Buffer.isBuffer(payload) ? payload : Buffer.from(payload), 'c5');
    expect(read('c5/site-a/cam-1/nothing', '{}')).toMatchObject({ ok: false, channel: undefined, problem: 'unknown_topic' });
    expect(read('c6/site-a/stats', '{}')).toMatchObject({ ok: false, problem: 'unknown_topic' });
    expect(read('c5/site-a/stats', Buffer.alloc(MAX_WIRE_MESSAGE_BYTES + 1, 0x20))).toMatchObject({
      problem: 'too_large',
      detail: `${MAX_WIRE_MESSAGE_BYTES + 1} bytes, more than ${MAX_WIRE_MESSAGE_BYTES}`,
    });
    const notJson = read('c5/site-a/stats', `<${'x'.repeat(10_000)}`) as { problem: string; detail: string };
    expect(notJson.problem).toBe('not_json');
    expect(notJson.detail.length).toBeLessThan(120);
    expect(read('c5/site-a/cam-1/status', JSON.stringify({ ...CAMERA_STATUS, state: 'asleep' }))).toMatchObject({
      channel: 'cameraStatus',
      problem: 'invalid',
    });
    expect(read('c5/site-a/cam-2/status', JSON.stringify(CAMERA_STATUS))).toMatchObject({
      problem: 'topic_mismatch',
      detail: 'cameraId "cam-1" on the topic of camera "cam-2"',
    });
  });
});
