import type { ScheduleConfig } from '../config/scheduleSchema.js';

const WEEKDAY_INDEX: Readonly<Record<string, number>> = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 };
const DAY_INDEX: Readonly<Record<string, number>> = { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 };

export interface LocalTime {
  /** 0 = Sunday */
  readonly weekday: number;
  /** minutes since local midnight, 0..1439 */
  readonly minute: number;
}

interface Window {
  readonly days: ReadonlySet<number>;
  readonly start: number;
  readonly end: number;
}

/** Building a DateTimeFormat costs far more than using one: one per time zone for the process. */
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', { timeZone, weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/** Day of week and minute of day at `now` (epoch ms) in an IANA time zone, daylight saving included. */
export function localTime(now: number, timeZone: string): LocalTime {
  let weekday = 0;
  let hour = 0;
  let minute = 0;
  for (const part of formatterFor(timeZone).formatToParts(now)) {
    if (part.type === 'weekday') weekday = WEEKDAY_INDEX[part.value] ?? 0;
    else if (part.type === 'hour') hour = Number(part.value);
    else if (part.type === 'minute') minute = Number(part.value);
  }
  return { weekday, minute: hour * 60 + minute };
}

function minutesOf(time: string): number {
  const [h, m] = time.split(':');
  return Number(h) * 60 + Number(m);
}

/**
 * A rule's schedule, compiled once. A window whose end is before its start runs past midnight:
 * `fri 22:00-06:00` is armed from Friday 22:00 to Saturday 06:00. Days name where a window starts.
 */
export class Schedule {
  readonly timeZone: string;
  private readonly windows: readonly Window[];
  /** the local time only changes once a minute; frames arrive several times a second */
  private cachedMinute = Number.NaN;
  private cachedLocal: LocalTime = { weekday: 0, minute: 0 };

  constructor(config: ScheduleConfig) {
    this.timeZone = config.timeZone;
    this.windows = config.windows.map((w) => ({
      days: new Set(w.days.map((d) => DAY_INDEX[d]!)),
      start: minutesOf(w.start),
      end: minutesOf(w.end),
    }));
  }

  localTime(now: number): LocalTime {
    const minute = Math.floor(now / 60_000);
    if (minute !== this.cachedMinute) {
      this.cachedMinute = minute;
      this.cachedLocal = localTime(now, this.timeZone);
    }
    return this.cachedLocal;
  }

  isActive(now: number): boolean {
    const { weekday, minute } = this.localTime(now);
    const yesterday = (weekday + 6) % 7;
    return this.windows.some((w) => {
      if (w.start < w.end) return w.days.has(weekday) && minute >= w.start && minute < w.end;
      // overnight: the evening part belongs to today's window, the morning part to yesterday's
      return (w.days.has(weekday) && minute >= w.start) || (w.days.has(yesterday) && minute < w.end);
    });
  }
}
