import { readFileSync } from 'node:fs';

/**
 * Linux reports process times in /proc in clock ticks of USER_HZ, which the kernel ABI fixes at
 * 100 on every architecture the agent runs on (x86-64, arm64), whatever CONFIG_HZ is.
 */
const USER_HZ = 100;

/** The fields of a /proc/PID/stat (or /proc/PID/task/TID/stat) line that CPU accounting reads. */
export interface ProcStat {
  readonly ppid: number;
  /** user + system CPU time, seconds */
  readonly cpuSeconds: number;
}

/**
 * Parses a stat line. The command name (field 2) may hold spaces and parentheses, so the fields
 * are counted after its last ")"; undefined when the line is not a stat line.
 */
export function parseProcStat(stat: string): ProcStat | undefined {
  const close = stat.lastIndexOf(')');
  if (close < 0 || stat.indexOf('(') > close) return undefined;
  const fields = stat.slice(close + 2).split(' ');
  // after the name: state(3) ppid(4) ... utime(14) stime(15); index 0 here is field 3
  const ppid = Number(fields[4 - 3]);
  const utime = Number(fields[14 - 3]);
  const stime = Number(fields[15 - 3]);
  if (fields.length < 13 || ![ppid, utime, stime].every(Number.isFinite)) return undefined;
  return { ppid, cpuSeconds: (utime + stime) / USER_HZ };
}

/**
 * CPU time (user + system, seconds) a live process has used so far, from /proc/PID/stat; undefined
 * when the process is gone or /proc cannot be read. `procRoot` `/proc/PID/task` reads a thread.
 */
export function processCpuSeconds(pid: number, procRoot = '/proc'): number | undefined {
  if (!Number.isSafeInteger(pid) || pid <= 0) return undefined;
  let stat: string;
  try {
    stat = readFileSync(`${procRoot}/${pid}/stat`, 'utf8');
  } catch {
    // the process ended (or this is not Linux): no figure, and the caller says so
    return undefined;
  }
  return parseProcStat(stat)?.cpuSeconds;
}
