import { describe, expect, it } from 'vitest';
import { scheduleSchema } from '../../../../pipelines/config/scheduleSchema.js';
import { localTime, Schedule } from '../../../../pipelines/rules/schedule.js';
import { policyCamera, PolicyScene } from '../../../helpers/policyScene.js';

/** Mexico City has been UTC-6 all year since 2022 (no daylight saving). */
const cdmx = (day: number, hour: number, minute = 0): number => Date.UTC(2026, 0, day, hour + 6, minute);
// January 2026: the 16th is a Friday, the 17th a Saturday, the 15th a Thursday.

describe('Schedule', () => {
  const overnight = new Schedule(scheduleSchema.parse({ windows: [{ days: ['fri'], start: '22:00', end: '06:00' }] }));

  it.each([
    { when: 'Friday 21:59', at: cdmx(16, 21, 59), active: false },
    { when: 'Friday 22:00', at: cdmx(16, 22, 0), active: true },
    { when: 'Friday 23:59', at: cdmx(16, 23, 59), active: true },
    { when: 'Saturday 00:00 (past midnight)', at: cdmx(17, 0, 0), active: true },
    { when: 'Saturday 05:59', at: cdmx(17, 5, 59), active: true },
    { when: 'Saturday 06:00', at: cdmx(17, 6, 0), active: false },
    { when: 'Saturday 23:00 (Saturday is not listed)', at: cdmx(17, 23, 0), active: false },
    { when: 'Friday 05:00 (the window that would end then starts on Thursday)', at: cdmx(16, 5, 0), active: false },
  ])('fri 22:00-06:00 in America/Mexico_City is $active on $when', ({ at, active }) => {
    expect(overnight.isActive(at)).toBe(active);
  });

  it('follows daylight saving in zones that have it', () => {
    const office = new Schedule(scheduleSchema.parse({ timeZone: 'Europe/Madrid', windows: [{ start: '09:00', end: '17:00' }] }));
    // 07:30 UTC is 09:30 in Madrid in summer (UTC+2) and 08:30 in winter (UTC+1)
    expect(office.isActive(Date.UTC(2026, 6, 15, 7, 30))).toBe(true);
    expect(office.isActive(Date.UTC(2026, 0, 15, 7, 30))).toBe(false);
  });

  it('reads the local weekday and minute through Intl', () => {
    expect(localTime(cdmx(16, 22, 15), 'America/Mexico_City')).toEqual({ weekday: 5, minute: 22 * 60 + 15 });
    expect(localTime(Date.UTC(2026, 0, 16, 0, 30), 'Asia/Kolkata')).toEqual({ weekday: 5, minute: 6 * 60 });
  });

  it('covers a whole day with 00:00-24:00 and all days by default', () => {
    const always = new Schedule(scheduleSchema.parse({ windows: [{ start: '00:00', end: '24:00' }] }));
    for (let hour = 0; hour < 24 * 7; hour += 5) expect(always.isActive(cdmx(12, 0) + hour * 3_600_000)).toBe(true);
  });

  it('rejects an unknown time zone, an empty window and a bad time with the field named', () => {
    const result = scheduleSchema.safeParse({
      timeZone: 'Mars/Olympus',
      windows: [
        { start: '10:00', end: '10:00' },
        { start: '25:00', end: '01:00' },
      ],
    });
    expect(result.success).toBe(false);
    const issues = result.error!.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    expect(issues).toEqual(
      expect.arrayContaining([
        'timeZone: unknown IANA time zone "Mars/Olympus" (e.g. America/Mexico_City)',
        'windows.1.start: expected a time "HH:MM" from 00:00 to 24:00',
      ]),
    );
    const empty = scheduleSchema.safeParse({ windows: [{ start: '10:00', end: '10:00' }] });
    expect(empty.error!.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`)).toEqual([
      'windows.0.end: window is empty (start = end = 10:00); use 00:00 to 24:00 for a whole day',
    ]);
  });
});

describe('a rule on a schedule that crosses midnight', () => {
  it('is armed from the evening through the night and disarmed in the morning', () => {
    const camera = policyCamera({
      rules: [{ id: 'night', type: 'object_present', labels: ['person'], schedule: { windows: [{ days: ['fri'], start: '22:00', end: '06:00' }] } }],
    });
    const s = new PolicyScene(camera, { start: cdmx(16, 21, 59), frameMs: 60_000 });
    s.step([{ id: 1, at: [0.5, 0.5] }]); // Fri 21:59: disarmed
    s.step([{ id: 1, at: [0.5, 0.5] }]); // Fri 22:00: armed
    s.step([{ id: 2, at: [0.2, 0.5] }], { lost: [1], advanceMs: 4 * 3_600_000 }); // Sat 02:00, still armed
    s.step([{ id: 2, at: [0.2, 0.5] }], { advanceMs: 4 * 3_600_000 }); // Sat 06:00: disarmed
    expect(s.history()).toEqual([
      '0: night#1 suppress schedule_inactive',
      '1: night#1 start matched',
      '2: night#2 start matched',
      '2: night#1 end track_lost',
      '3: night#2 end schedule_inactive',
    ]);
  });
});
