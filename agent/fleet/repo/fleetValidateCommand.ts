import type { CommandIo } from '../../cli/CommandIo.js';
import { EXIT } from '../../cli/exitCodes.js';
import { loadModelLabels } from '../../config/loadModelLabels.js';
import { formatFleetIssue, loadFleetRepo } from './loadFleetRepo.js';

export interface FleetValidateOptions {
  readonly repo: string;
  /** one JSON document: {sites, valid, invalid, issues: [{siteId, file, path, message}]} */
  readonly json?: boolean;
}

/**
 * `c5-agent fleet validate`: renders and validates every site of the repository (the schema and
 * the labels a box checks), and lists every problem at once, one line each: site, file, field,
 * message. Exit 0 when every site and file is valid, else 1.
 */
export async function fleetValidateCommand(options: FleetValidateOptions, io: CommandIo): Promise<number> {
  const repo = loadFleetRepo(options.repo, { models: await loadModelLabels() });
  const invalidSites = new Set(repo.issues.flatMap((issue) => (issue.siteId === undefined ? [] : [issue.siteId])));
  const total = repo.sites.length + invalidSites.size;
  const ok = repo.issues.length === 0;
  if (options.json === true) {
    const report = { ok, sites: total, valid: repo.sites.length, invalid: invalidSites.size, issues: repo.issues };
    io.out.write(`${JSON.stringify(report, null, 2)}\n`);
  } else {
    for (const issue of repo.issues) io.out.write(`${formatFleetIssue(issue)}\n`);
    const problems = `${repo.issues.length} problem${repo.issues.length === 1 ? '' : 's'}`;
    io.out.write(`${ok ? 'ok' : 'invalid'}: ${total} site(s), ${repo.sites.length} valid, ${invalidSites.size} with errors; ${problems}\n`);
  }
  return ok ? EXIT.ok : EXIT.failure;
}
