import { z } from 'zod';

/** When a rule is armed: days and time windows in an IANA time zone. */

export const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

export const DEFAULT_TIME_ZONE = 'America/Mexico_City';

/** `HH:MM`, 00:00 to 24:00 (24:00 only as the end of a window). */
const timeOfDay = z.string().regex(/^(?:[01]\d|2[0-3]):[0-5]\d$|^24:00$/, 'expected a time "HH:MM" from 00:00 to 24:00');

export function isKnownTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch {
    // RangeError is the only way Intl says a zone is unknown
    return false;
  }
}

export const scheduleWindowSchema = z
  .strictObject({
    /** the days on which the window starts (an overnight window ends on the next day) */
    days: z
      .array(z.enum(WEEKDAYS))
      .min(1)
      .default([...WEEKDAYS]),
    start: timeOfDay,
    /** before `start` for a window that runs past midnight, e.g. 22:00 to 06:00 */
    end: timeOfDay,
  })
  .superRefine((window, ctx) => {
    if (window.start === '24:00') ctx.addIssue({ code: 'custom', path: ['start'], message: 'a window cannot start at 24:00' });
    if (window.start === window.end) {
      ctx.addIssue({ code: 'custom', path: ['end'], message: `window is empty (start = end = ${window.end}); use 00:00 to 24:00 for a whole day` });
    }
  });

export const scheduleSchema = z.strictObject({
  timeZone: z
    .string()
    .superRefine((timeZone, ctx) => {
      if (!isKnownTimeZone(timeZone)) ctx.addIssue({ code: 'custom', message: `unknown IANA time zone "${timeZone}" (e.g. America/Mexico_City)` });
    })
    .default(DEFAULT_TIME_ZONE),
  /** the rule is armed inside any of these windows and disarmed outside all of them */
  windows: z.array(scheduleWindowSchema).min(1),
});

export type ScheduleConfig = z.output<typeof scheduleSchema>;
