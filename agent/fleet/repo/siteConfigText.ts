import { stringify } from 'yaml';
import { sha256Hex } from '../../sha256Hex.js';
import type { RenderedSite } from './loadFleetRepo.js';

/**
 * The exact text that `fleet push` signs and a site runs: deterministic (the same repository
 * gives the same bytes, so the sha256 a site reports names one archived text), with the version
 * the push gives it and a first line saying where it came from. Lines are never folded, so a long
 * value cannot make the bytes depend on the YAML library's wrapping.
 */
export function siteConfigText(site: RenderedSite, version: number): string {
  const header = `# rendered by c5-agent fleet from the fleet repository (${site.file}); change the repository, not this file\n`;
  return header + stringify({ version, ...site.document }, { lineWidth: 0 });
}

/** sha256 of the rendered content without its version: "did anything change for this site" whatever the version number. */
export function renderedContentSha256(site: RenderedSite): string {
  return sha256Hex(stringify(site.document, { lineWidth: 0 }));
}
