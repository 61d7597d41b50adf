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
      .default([...WEEKDAYS])
      .describe('Days the window starts on (sun, mon, tue, wed, thu, fri, sat); an overnight window ends on the next day. Default every day.'),
    start: timeOfDay.describe('Local start time "HH:MM", 00:00 to 23:59; required.'),
    /** before `start` for a window that runs past midnight, e.g. 22:00 to 06:00 */
    end: timeOfDay.describe('Local end time "HH:MM", 00:00 to 24:00; before start for a window that runs past midnight (e.g. 22:00 to 06:00). Required.'),
  })
  .superRefine((window, ctx) => {
    if (window.start === '24:00') ctx.addIssue({ code: 'custom', path: ['start'], message: 'a window cannot start at 24:00' });
    if (window.start === window.end) {
      ctx.addIssue({ code: 'custom', path: ['end'], message: `window is empty (start = end = ${window.end}); use 00:00 to 24:00 for a whole day` });
    }
  })
  .describe("A daily time window in the schedule's time zone, on the given days.");

export const scheduleSchema = z
  .strictObject({
    timeZone: z
      .string()
      .superRefine((timeZone, ctx) => {
        if (!isKnownTimeZone(timeZone)) ctx.addIssue({ code: 'custom', message: `unknown IANA time zone "${timeZone}" (e.g. America/Mexico_City)` });
      })
      .default(DEFAULT_TIME_ZONE)
      .describe(`IANA time zone the windows are in, e.g. America/Mexico_City. Default ${DEFAULT_TIME_ZONE}.`),
    /** the rule is armed inside any of these windows and disarmed outside all of them */
    windows: z.array(scheduleWindowSchema).min(1).describe('Rules are armed inside any of these windows and disarmed outside all of them; at least one.'),
  })
  .describe('When rules are armed: daily time windows in an IANA time zone.');

export type ScheduleConfig = z.output<typeof scheduleSchema>;
