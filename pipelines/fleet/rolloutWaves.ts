import { AgentError } from '../errors.js';

/**
 * How a staged rollout splits its sites into waves (README, "Fleet operations → push"): a canary,
 * then later waves that each bring the share of sites done up to a cumulative percentage. Pure:
 * the caller orders the sites (by sha256 of rollout id and site id, so the canary is spread over
 * the fleet and the same rollout always picks the same one).
 */

/** `12` (a count) or `5%` (a share of some total). */
export type Share = { readonly kind: 'count'; readonly count: number } | { readonly kind: 'percent'; readonly percent: number };

const COUNT = /^(\d{1,9})$/;
/** up to two decimals: `0.5%` of 14,000 sites is a 70-site canary */
const PERCENT = /^(\d{1,3}(?:\.\d{1,2})?)%$/;

/** `N` or `P%` (0 < P <= 100); throws AgentError `usage` naming the flag. */
export function parseShare(text: string, flag: string, options: { readonly allowZero?: boolean } = {}): Share {
  const count = COUNT.exec(text);
  if (count) {
    const n = Number(count[1]);
    if (n === 0 && options.allowZero !== true) throw new AgentError('usage', `${flag} "${text}": expected a count from 1 or a percentage such as 5%`);
    return { kind: 'count', count: n };
  }
  const percent = PERCENT.exec(text);
  if (percent) {
    const p = Number(percent[1]);
    if (p > 100 || (p === 0 && options.allowZero !== true)) throw new AgentError('usage', `${flag} "${text}": a percentage must be above 0 and at most 100`);
    return { kind: 'percent', percent: p };
  }
  throw new AgentError('usage', `${flag} "${text.slice(0, 40)}": expected a count such as 20 or a percentage such as 5%`);
}

/** `10%,50%,100%`: cumulative percentages, rising; 100% is added when the list stops short of it. */
export function parseWaveShares(text: string): number[] {
  const parts = text.split(',');
  if (parts.length > 100) throw new AgentError('usage', `--waves: at most 100 waves`);
  const shares = parts.map((part) => {
    const share = parseShare(part.trim(), '--waves');
    if (share.kind !== 'percent') throw new AgentError('usage', `--waves "${part.trim()}": each wave is a cumulative percentage, such as 10%,50%,100%`);
    return share.percent;
  });
  shares.forEach((share, i) => {
    if (i > 0 && share <= shares[i - 1]!) throw new AgentError('usage', `--waves ${text.slice(0, 80)}: each percentage must be above the one before it`);
  });
  if (shares[shares.length - 1] !== 100) shares.push(100);
  return shares;
}

/** How many of `total` a share is: a count as given (capped at the total), a percentage rounded up. */
export function shareOf(share: Share, total: number): number {
  if (share.kind === 'count') return Math.min(share.count, total);
  // Rounded up so that 1% of 50 sites is 1 site, never 0; the small epsilon keeps 10% of 14,000
  // exactly 1,400 despite binary fractions.
  return Math.min(total, Math.ceil((share.percent * total) / 100 - 1e-9));
}

/**
 * The waves over `ordered` sites: the canary (at least one site), then one wave per cumulative
 * share that adds sites (a share already reached adds no empty wave). Every site is in exactly one wave.
 */
export function planWaves<T>(ordered: readonly T[], canary: Share, waveShares: readonly number[]): T[][] {
  const total = ordered.length;
  if (total === 0) return [];
  const waves: T[][] = [];
  let done = Math.max(1, shareOf(canary, total));
  waves.push(ordered.slice(0, done));
  for (const percent of waveShares) {
    const until = shareOf({ kind: 'percent', percent }, total);
    if (until > done) {
      waves.push(ordered.slice(done, until));
      done = until;
    }
  }
  if (done < total) waves.push(ordered.slice(done));
  return waves;
}

/** How many failures a wave of `size` sites may have and go on: a count, or a share of the wave rounded down. */
export function allowedFailures(maxFailures: Share, size: number): number {
  if (maxFailures.kind === 'count') return maxFailures.count;
  return Math.floor((maxFailures.percent * size) / 100 + 1e-9);
}
