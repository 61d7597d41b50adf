import { z } from 'zod';

/**
 * What the simulator reads of `c5-agent fleet push --json` (README, "Fleet operations"): the
 * rollout, its waves and their verdicts. Fields it does not use may come and go; the ones it
 * uses are checked, so a change of the push's output fails the simulator loudly, not silently.
 */

const failureSchema = z.looseObject({ siteId: z.string(), status: z.string(), reason: z.string() });

const waveSchema = z.looseObject({
  index: z.number().int(),
  sites: z.array(z.string()),
  applied: z.array(z.string()),
  failed: z.array(failureSchema),
  pendingOffline: z.array(z.string()),
  seconds: z.number().optional(),
});

export const pushReportSchema = z.looseObject({
  rolloutId: z.string(),
  version: z.number().int(),
  waves: z.array(waveSchema),
  halted: z.boolean(),
});

export type PushReport = z.output<typeof pushReportSchema>;
export type PushWave = PushReport['waves'][number];

/** The push's stdout as its report; throws with the first lines of the output when it is not one. */
export function parsePushReport(stdout: string): PushReport {
  let document: unknown;
  try {
    document = JSON.parse(stdout);
  } catch {
    throw new Error(`fleet push --json did not print one JSON document: ${JSON.stringify(stdout.slice(0, 300))}`);
  }
  const parsed = pushReportSchema.safeParse(document);
  if (!parsed.success)
    throw new Error(
      `fleet push --json printed an unexpected report: ${parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`,
    );
  return parsed.data;
}

/** Waves that were published to (a halted push leaves the later ones without verdicts). */
export function wavesRun(report: PushReport): PushWave[] {
  return report.waves.filter((wave) => wave.applied.length + wave.failed.length + wave.pendingOffline.length > 0 || wave.seconds !== undefined);
}
