import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRootLogger, type LogFormat } from '../../../../agent/observe/logger.js';
import { SecretScrubber } from '../../../../agent/observe/SecretScrubber.js';

class Capture {
  text = '';
  constructor(readonly isTTY: boolean) {}
  write(text: string): boolean {
    this.text += text;
    return true;
  }
}

// eslint-disable-next-line no-control-regex -- ANSI colour codes are control characters by definition
const stripAnsi = (text: string): string => text.replace(/\x1b\[[0-9;]*m/g, '');

function logTo(isTTY: boolean, format?: LogFormat, scrubber?: SecretScrubber): { capture: Capture; logger: ReturnType<typeof createRootLogger> } {
  const capture = new Capture(isTTY);
  return { capture, logger: createRootLogger({ level: 'info', destination: capture, format, scrubber }) };
}

describe('createRootLogger formats', () => {
  const savedTz = process.env['TZ'];
  beforeAll(() => {
    // UTC+05:30, so local time and UTC differ by a non-whole number of hours
    process.env['TZ'] = 'Asia/Kolkata';
  });
  afterAll(() => {
    if (savedTz === undefined) delete process.env['TZ'];
    else process.env['TZ'] = savedTz;
  });

  it('writes JSON lines (numeric level, epoch ms) when asked, and by default off a terminal', () => {
    for (const format of ['json', 'auto', undefined] as const) {
      const { capture, logger } = logTo(false, format);
      const before = Date.now();
      logger.child({ component: 'replay', camera: 'plaza' }).info({ frames: 3 }, 'clip read');
      const line = JSON.parse(capture.text) as Record<string, unknown>;
      expect(line).toMatchObject({ level: 30, app: 'c5-agent', component: 'replay', camera: 'plaza', frames: 3, msg: 'clip read' });
      expect(line['time']).toBeGreaterThanOrEqual(before);
    }
  });

  it('writes pretty lines on a terminal (auto) or when asked: level name, local time, [component camera], written at once', () => {
    for (const [isTTY, format] of [
      [true, 'auto'],
      [true, undefined],
      [false, 'pretty'],
    ] as const) {
      const { capture, logger } = logTo(isTTY, format);
      logger.child({ component: 'replay', camera: 'plaza' }).warn({ frames: 3 }, 'clip read');
      // no await: the line is there as soon as the call returns
      const text = stripAnsi(capture.text);
      expect(capture.text !== text, 'colours only on a terminal').toBe(isTTY);
      const match = /^\[(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)\.(\d{3})\] WARN: \[replay plaza\] clip read\n {4}frames: 3\n$/.exec(text);
      expect(match, text).not.toBeNull();
      const [, y, mo, d, h, mi, s, ms] = match!.map(Number);
      // the printed wall time, read as UTC, is the instant plus the zone's 5 h 30 min
      const shownAsUtc = Date.UTC(y!, mo! - 1, d!, h!, mi!, s!, ms!);
      const offset = shownAsUtc - Date.now();
      expect(offset).toBeGreaterThan(5.5 * 3600_000 - 60_000);
      expect(offset).toBeLessThanOrEqual(5.5 * 3600_000);
    }
  });

  it('leaves out [..] when a line has no component', () => {
    const { capture, logger } = logTo(false, 'pretty');
    logger.info('agent starting');
    expect(capture.text).toMatch(/^\[[^\]]+\] INFO: agent starting\n$/);
  });

  it('never shows a resolved secret in pretty output: message, field, error or nested, as written or escaped', () => {
    const scrubber = new SecretScrubber();
    const secret = 'Pa ss"wörd\\42-x';
    scrubber.add(secret);
    for (const isTTY of [true, false]) {
      const { capture, logger } = logTo(isTTY, 'pretty', scrubber);
      const log = logger.child({ component: 'ingest', camera: 'gate' });
      log.error(
        { url: `rtsp://admin:${encodeURIComponent(secret)}@10.0.0.5/live`, detail: { reason: `login ${secret} refused` } },
        `cannot log in with ${secret}`,
      );
      log.error({ err: new Error(`auth failed for ${secret}`) }, 'camera offline');
      const text = stripAnsi(capture.text);
      expect(text).toContain('cannot log in with REDACTED');
      expect(text).toContain('auth failed for REDACTED');
      for (const form of [secret, encodeURIComponent(secret), JSON.stringify(secret).slice(1, -1), 'wörd', 'w\\u00f6rd']) {
        expect(text, form).not.toContain(form);
      }
    }
  });

  it('applies the redaction paths in pretty output', () => {
    const { capture, logger } = logTo(false, 'pretty');
    logger.info({ password: 'hunter2-field', mqtt: { password: 'mqtt-field-pw' }, broker: { token: 'tok-field-123' } }, 'config');
    expect(capture.text).not.toMatch(/hunter2-field|mqtt-field-pw|tok-field-123/);
    expect(capture.text.match(/"REDACTED"/g)).toHaveLength(3);
  });
});
