import { CaptureStream } from '../../../helpers/captureStream.js';
import { describe, expect, it } from 'vitest';
import { formatDuration, ProgressReporter } from '../../../../agent/observe/ProgressReporter.js';
import { ManualClock } from '../../../helpers/manualClock.js';

const MB = 1024 * 1024;

describe('ProgressReporter', () => {
  it('off a terminal: a plain line at each 10 % step, with rate and ETA, and a final line', () => {
    const clock = new ManualClock();
    const out = new CaptureStream(false);
    const progress = new ProgressReporter({ stream: out, label: 'replay plaza', unit: 'frames', total: 500, clock });
    // 25 frames every 2 s: 12.5 frames/s
    progress.update(0);
    for (let done = 25; done <= 100; done += 25) {
      clock.advance(2000);
      progress.update(done);
    }
    progress.finish();
    // 50 frames in 4 s = 12.5/s; 450 left / 12.5 = 36 s. 100 in 8 s = 12.5/s; 400 / 12.5 = 32 s.
    expect(out.text).toBe(
      'replay plaza: 0/500 frames (0%)\n' +
        'replay plaza: 50/500 frames (10%), 12.5 frames/s, ETA 0:36\n' +
        'replay plaza: 100/500 frames (20%), 12.5 frames/s, ETA 0:32\n' +
        'replay plaza: done, 100 frames in 8.0 s (12.5 frames/s)\n',
    );
  });

  it('off a terminal with no total: a line every lineMs, a rate and no ETA', () => {
    const clock = new ManualClock();
    const out = new CaptureStream(false);
    const progress = new ProgressReporter({ stream: out, label: 'r', unit: 'frames', clock, lineMs: 5000 });
    progress.update(0);
    clock.advance(1000);
    progress.update(5); // 1 s after the last line: quiet
    clock.advance(4000);
    progress.update(25); // 5 s: 25 frames / 5 s = 5.0/s
    clock.advance(4999);
    progress.update(49); // 4.999 s after the last line: quiet
    expect(out.text).toBe('r: 0 frames\nr: 25 frames, 5.0 frames/s\n');
  });

  it('on a terminal: one line redrawn with \\r at most every redrawMs, blanked tail, ended by finish', () => {
    const clock = new ManualClock();
    const out = new CaptureStream(true);
    const progress = new ProgressReporter({ stream: out, label: 'r', unit: 'frames', total: 500, clock, redrawMs: 250 });
    progress.update(0);
    clock.advance(100);
    progress.update(1); // 100 ms after the last draw: not drawn
    clock.advance(400);
    progress.update(6); // 6 frames in 0.5 s = 12/s; 494 / 12 = 41.2 s, shown rounded up
    progress.finish();
    const second = 'r: 6/500 frames (1%), 12.0 frames/s, ETA 0:42';
    const last = 'r: done, 6 frames in 0.5 s (12.0 frames/s)';
    expect(out.text).toBe(`\rr: 0/500 frames (0%)\r${second}\r${last}${' '.repeat(second.length - last.length)}\n`);
    expect(second.length - last.length).toBe(3);
  });

  it('counts bytes in MB and MB/s', () => {
    const clock = new ManualClock();
    const out = new CaptureStream(false);
    const progress = new ProgressReporter({ stream: out, label: 'm.onnx', unit: 'bytes', total: 10 * MB, clock });
    progress.update(0);
    clock.advance(2000);
    progress.update(4 * MB); // 4 MB in 2 s = 2 MB/s; 6 MB left = 3 s
    expect(out.text).toBe('m.onnx: 0.0/10.0 MB (0%)\nm.onnx: 4.0/10.0 MB (40%), 2.0 MB/s, ETA 0:03\n');
  });

  it('takes a total found later, and stays silent without a stream or after the end', () => {
    const clock = new ManualClock();
    const out = new CaptureStream(false);
    const progress = new ProgressReporter({ stream: out, label: 'r', unit: 'frames', clock });
    progress.update(0);
    progress.setTotal(40);
    clock.advance(1000);
    progress.update(4); // 10 %: 4 frames/s, 36 left = 9 s
    progress.finish();
    progress.update(8);
    progress.finish();
    expect(out.text).toBe('r: 0 frames\nr: 4/40 frames (10%), 4.0 frames/s, ETA 0:09\nr: done, 4 frames in 1.0 s (4.0 frames/s)\n');

    const silent = new ProgressReporter({ stream: null, label: 'r', unit: 'frames', clock });
    silent.update(1);
    silent.finish();
  });

  it('abandon ends a terminal line without a summary', () => {
    const clock = new ManualClock();
    const out = new CaptureStream(true);
    const progress = new ProgressReporter({ stream: out, label: 'd', unit: 'bytes', clock });
    progress.update(MB);
    progress.abandon();
    progress.finish();
    expect(out.text).toBe('\rd: 1.0 MB\n');
  });

  it('formats durations as m:ss or h:mm:ss, rounded up', () => {
    expect(formatDuration(0)).toBe('0:00');
    expect(formatDuration(59.2)).toBe('1:00');
    expect(formatDuration(61)).toBe('1:01');
    expect(formatDuration(3725)).toBe('1:02:05');
  });
});
