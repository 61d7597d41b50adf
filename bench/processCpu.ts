import { readFile, readdir } from 'node:fs/promises';
import { parseProcStat, type ProcStat } from '../agent/capacity/processCpuSeconds.js';

/** CPU time of every process on the box, and of every thread of one process. */
export interface CpuSnapshot {
  readonly at: number;
  readonly processes: ReadonlyMap<number, ProcStat>;
  readonly threads: ReadonlyMap<number, ProcStat>;
}

async function statsUnder(dir: string): Promise<Map<number, ProcStat>> {
  const stats = new Map<number, ProcStat>();
  const ids = (await readdir(dir).catch(() => [])).filter((name) => /^\d+$/.test(name));
  for (const id of ids) {
    // a process that ended between readdir and readFile is simply not in the snapshot
    const stat = parseProcStat(await readFile(`${dir}/${id}/stat`, 'utf8').catch(() => ''));
    if (stat) stats.set(Number(id), stat);
  }
  return stats;
}

export async function snapshotCpu(threadsOf: number): Promise<CpuSnapshot> {
  const at = Date.now();
  return { at, processes: await statsUnder('/proc'), threads: await statsUnder(`/proc/${threadsOf}/task`) };
}

/**
 * CPU-seconds per second of wall time of each id in `after` between two snapshots: one started
 * during the window counts from zero, one that ended is left out.
 */
export function cpuPerSecond(before: ReadonlyMap<number, ProcStat>, after: ReadonlyMap<number, ProcStat>, seconds: number): Map<number, number> {
  const rates = new Map<number, number>();
  for (const [id, stat] of after) rates.set(id, Math.max(0, stat.cpuSeconds - (before.get(id)?.cpuSeconds ?? 0)) / seconds);
  return rates;
}
