import { describe, expect, it } from 'vitest';
import { classifyExit, FfmpegStderrLog, LineSplitter, stderrLevel, type FailureInput } from '../../../../agent/ingest/ffmpegStderr.js';
import { createRootLogger } from '../../../../agent/observe/logger.js';
import { ManualClock } from '../../../helpers/manualClock.js';

function input(lines: string[], extra: Partial<FailureInput> = {}): FailureInput {
  return { lines, exitCode: 1, signal: null, network: false, sawStreamInfo: false, elapsedMs: 100, ioTimeoutMs: 1000, ...extra };
}

describe('classifyExit', () => {
  it.each([
    ['rtsp://REDACTED:REDACTED@10.0.0.1/x: Connection refused', 'unreachable'],
    ['[tcp @ 0x1] Connection to tcp://10.0.0.1:554 failed: Connection timed out', 'unreachable'],
    ['Failed to resolve hostname cam.invalid: Name or service not known', 'unreachable'],
    ['/tmp/x.mp4: Invalid data found when processing input', 'not_video'],
    ["Stream map '0:v:0' matches no streams.", 'not_video'],
    ['[rtsp @ 0x1] method DESCRIBE failed: 401 Unauthorized', 'unauthorized'],
    ['[rtsp @ 0x1] method DESCRIBE failed: 404 Not Found', 'not_found'],
    ['/nope.mp4: No such file or directory', 'not_found'],
    ['/root.mp4: Permission denied', 'permission_denied'],
  ])('%s -> %s', (line, reason) => {
    const failure = classifyExit(input(['Input #0 ...', line]));
    expect(failure.reason).toBe(reason);
    expect(failure.detail).toContain('exited with code 1');
    expect(failure.detail).toContain(line.trim());
  });

  it('the newest matching line wins', () => {
    expect(classifyExit(input(['Connection refused', 'Invalid data found when processing input'])).reason).toBe('not_video');
  });

  it('reads "Invalid data" from a network peer that timed out as unreachable', () => {
    const line = 'rtsp://127.0.0.1:1/cam: Invalid data found when processing input';
    expect(classifyExit(input([line], { network: true, elapsedMs: 1000 })).reason).toBe('unreachable');
    expect(classifyExit(input([line], { network: true, elapsedMs: 1000 })).detail).toContain('no answer within 1000 ms');
    expect(classifyExit(input([line], { network: true, elapsedMs: 50 })).reason).toBe('not_video');
    expect(classifyExit(input([line], { network: true, elapsedMs: 5000, sawStreamInfo: true })).reason).toBe('not_video');
  });

  it('calls a stream that timed out after frames stalled, naming the timeout; before any frame, unreachable', () => {
    const line = 'rtsp://127.0.0.1:1/cam: Connection timed out';
    expect(classifyExit(input(['Input #0 ...', line], { exitCode: 0, network: true, sawStreamInfo: true, deliveredFrames: true }))).toEqual({
      reason: 'stalled',
      detail: `the camera stopped sending: no data for 1000 ms; ffmpeg exited with code 0: ${line}`,
    });
    expect(classifyExit(input([line], { network: true, deliveredFrames: false })).reason).toBe('unreachable');
    // refused or reset after frames is still the network, not a silent camera
    expect(classifyExit(input(['rtsp://127.0.0.1:1/cam: Connection refused'], { network: true, deliveredFrames: true })).reason).toBe('unreachable');
  });

  it('falls back to exited, naming a clean end of stream and signals', () => {
    expect(classifyExit(input(['video:100kB audio:0kB'], { exitCode: 0 }))).toEqual({
      reason: 'exited',
      detail: 'ffmpeg exited with code 0 (end of stream): video:100kB audio:0kB',
    });
    expect(classifyExit(input([], { exitCode: null, signal: 'SIGSEGV' })).detail).toBe('ffmpeg was killed by SIGSEGV');
  });

  it('truncates very long details', () => {
    expect(classifyExit(input(['x'.repeat(2000)])).detail.length).toBeLessThanOrEqual(300);
  });
});

describe('LineSplitter', () => {
  it('splits on \\n, \\r\\n and bare \\r across chunk boundaries, skipping blank lines', () => {
    const out: string[] = [];
    const splitter = new LineSplitter();
    for (const chunk of ['abc', '\r\nde', 'f\n\nfra', 'me=1\rframe=2\r', 'tail']) splitter.push(chunk, (l) => out.push(l));
    expect(out).toEqual(['abc', 'def', 'frame=1', 'frame=2']);
    splitter.flush((l) => out.push(l));
    expect(out.at(-1)).toBe('tail');
  });

  it('bounds a line without newline', () => {
    const out: string[] = [];
    const splitter = new LineSplitter(10);
    splitter.push('x'.repeat(1000), (l) => out.push(l));
    splitter.push('\n', (l) => out.push(l));
    expect(out).toEqual(['x'.repeat(10)]);
  });
});

describe('FfmpegStderrLog', () => {
  it('logs at most N lines per window and then reports how many were suppressed', () => {
    const lines: Array<{ msg: string; suppressed?: number; ffmpeg?: string }> = [];
    const logger = createRootLogger({ level: 'debug', destination: { write: (l: string) => void lines.push(JSON.parse(l)) } });
    const clock = new ManualClock(1_000);
    const log = new FfmpegStderrLog(logger, { clock, linesPerWindow: 3, windowMs: 10_000 });
    for (let i = 0; i < 10; i += 1) {
      log.line('warn', `line ${i}`);
      clock.advance(1);
    }
    expect(lines.map((l) => l.ffmpeg)).toEqual(['line 0', 'line 1', 'line 2']);
    log.reportSuppressed(); // a run ended: the count is reported, but the window's budget stays spent
    clock.advance(5_000 - 1_010);
    log.line('warn', 'same window');
    clock.advance(6_000);
    log.line('warn', 'next window');
    expect(lines.slice(3).map((l) => l.suppressed ?? l.ffmpeg)).toEqual([7, 1, 'next window']);
  });

  it('levels: trouble is a warning, the rest debug', () => {
    expect(stderrLevel('Connection refused')).toBe('warn');
    expect(stderrLevel('  Stream #0:0: Video: h264')).toBe('debug');
  });
});
