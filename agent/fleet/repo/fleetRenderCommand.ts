import { AgentError } from '../../../pipelines/errors.js';
import { quoteUntrusted } from '../../../pipelines/untrustedText.js';
import type { CommandIo } from '../../cli/CommandIo.js';
import { EXIT } from '../../cli/exitCodes.js';
import { loadModelLabels } from '../../config/loadModelLabels.js';
import { formatFleetIssue, loadFleetRepo } from './loadFleetRepo.js';
import { siteConfigText } from './siteConfigText.js';

export interface FleetRenderOptions {
  readonly repo: string;
  readonly site: string;
  /** the version written into the text; default 1 (`fleet push` gives the real one) */
  readonly version?: number;
  /** the config as JSON instead of the YAML a push signs */
  readonly json?: boolean;
}

/**
 * `c5-agent fleet render --site ID`: the site's effective config, exactly the text `fleet push`
 * would sign (siteConfigText) with the given version; or its errors, each with file and field.
 */
export async function fleetRenderCommand(options: FleetRenderOptions, io: CommandIo): Promise<number> {
  const version = options.version ?? 1;
  if (!Number.isSafeInteger(version) || version < 1) throw new AgentError('usage', '--version must be an integer from 1');
  const repo = loadFleetRepo(options.repo, { models: await loadModelLabels() });
  const site = repo.sites.find((s) => s.siteId === options.site);
  if (site !== undefined) {
    io.out.write(options.json === true ? `${JSON.stringify({ version, ...site.document }, null, 2)}\n` : siteConfigText(site, version));
    return EXIT.ok;
  }
  const issues = repo.issues.filter((issue) => issue.siteId === options.site);
  if (issues.length === 0) {
    io.err.write(`fleet render: no site ${quoteUntrusted(options.site)} in ${options.repo} (no sites/${options.site}.yaml)\n`);
    return EXIT.failure;
  }
  // A site can fail because of a layer it inherits: show those issues too.
  const shared = repo.issues.filter((issue) => issue.siteId === undefined);
  io.err.write(`fleet render: site ${options.site} does not render:\n${[...issues, ...shared].map((issue) => `  ${formatFleetIssue(issue)}\n`).join('')}`);
  return EXIT.failure;
}
