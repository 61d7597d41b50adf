import { AgentError } from '../errors.js';

/**
 * Minimum-cost matching of rows to columns (the Hungarian method with potentials, O(n²m)). Pairs
 * costlier than `maxCost` are forbidden. By default the result has the most allowed pairs, then
 * the least total cost: CLEAR-MOT's and IDF1's matching (the event eval). With `unmatchedCost`,
 * each row and column left unmatched costs that much and a pair is made only where that lowers
 * the total: ByteTrack's association (its `lapjv(cost, extend_cost=True, cost_limit=maxCost)`, so
 * `unmatchedCost = maxCost / 2`). There, two poor pairs do not beat one good pair: a track that fits
 * one detection well keeps it, rather than it and a neighbour taking poorer ones so that both match.
 */
export function linearAssignment(
  cost: readonly (readonly number[])[],
  maxCost: number,
  options: { readonly unmatchedCost?: number } = {},
): [row: number, column: number][] {
  const rows = cost.length;
  const columns = rows === 0 ? 0 : cost[0]!.length;
  if (rows === 0 || columns === 0) return [];
  if (options.unmatchedCost !== undefined) return assignWithUnmatchedCost(cost, rows, columns, maxCost, options.unmatchedCost);
  // Any allowed total is below one forbidden pair's cost, so forbidden pairs are used only when
  // nothing allowed is left for that row.
  const forbidden = 1 + (Math.max(rows, columns) + 1) * Math.max(1, Math.abs(maxCost));
  const transpose = rows > columns;
  const n = transpose ? columns : rows;
  const m = transpose ? rows : columns;
  const at = (i: number, j: number): number => {
    const value = transpose ? cost[j]![i]! : cost[i]![j]!;
    return value <= maxCost ? value : forbidden;
  };
  const assigned = hungarian(n, m, at);
  const pairs: [number, number][] = [];
  assigned.forEach((j, i) => {
    if (j < 0 || at(i, j) > maxCost) return;
    pairs.push(transpose ? [j, i] : [i, j]);
  });
  return pairs.sort((a, b) => a[0] - b[0]);
}

/**
 * The total is the pairs' costs plus `unmatchedCost` for each row and column left over, that is a
 * constant plus the sum over pairs of `cost - 2 × unmatchedCost`: each row gets its own "stay
 * unmatched" column at 0, and a pair only helps where its cost is under twice the unmatched cost.
 */
function assignWithUnmatchedCost(
  cost: readonly (readonly number[])[],
  rows: number,
  columns: number,
  maxCost: number,
  unmatchedCost: number,
): [number, number][] {
  // A forbidden pair costs more than staying unmatched; infinite costs would break the potentials.
  if (!Number.isFinite(unmatchedCost) || !Number.isFinite(maxCost)) {
    throw new AgentError('assignment_cost_not_finite', `linearAssignment: unmatchedCost (${unmatchedCost}) and maxCost (${maxCost}) must be finite`);
  }
  const pairCost = 2 * unmatchedCost;
  const allowed = (value: number): boolean => value <= maxCost && value < pairCost;
  const at = (i: number, j: number): number => {
    if (j >= columns) return 0;
    const value = cost[i]![j]!;
    return allowed(value) ? value - pairCost : 1;
  };
  const pairs: [number, number][] = [];
  hungarian(rows, columns + rows, at).forEach((j, i) => {
    if (j >= 0 && j < columns && allowed(cost[i]![j]!)) pairs.push([i, j]);
  });
  return pairs;
}

/** n ≤ m; returns the column of each row. */
function hungarian(n: number, m: number, at: (i: number, j: number) => number): number[] {
  const u = new Float64Array(n + 1);
  const v = new Float64Array(m + 1);
  const owner = new Int32Array(m + 1);
  const way = new Int32Array(m + 1);
  for (let i = 1; i <= n; i++) {
    owner[0] = i;
    let j0 = 0;
    const minv = new Float64Array(m + 1).fill(Number.POSITIVE_INFINITY);
    const used = new Uint8Array(m + 1);
    do {
      used[j0] = 1;
      const i0 = owner[j0]!;
      let delta = Number.POSITIVE_INFINITY;
      let j1 = 0;
      for (let j = 1; j <= m; j++) {
        if (used[j]) continue;
        const reduced = at(i0 - 1, j - 1) - u[i0]! - v[j]!;
        if (reduced < minv[j]!) {
          minv[j] = reduced;
          way[j] = j0;
        }
        if (minv[j]! < delta) {
          delta = minv[j]!;
          j1 = j;
        }
      }
      for (let j = 0; j <= m; j++) {
        if (used[j]) {
          u[owner[j]!]! += delta;
          v[j]! -= delta;
        } else {
          minv[j]! -= delta;
        }
      }
      j0 = j1;
    } while (owner[j0] !== 0);
    do {
      const j1 = way[j0]!;
      owner[j0] = owner[j1]!;
      j0 = j1;
    } while (j0 !== 0);
  }
  const columnOf = new Array<number>(n).fill(-1);
  for (let j = 1; j <= m; j++) if (owner[j]! > 0) columnOf[owner[j]! - 1] = j - 1;
  return columnOf;
}
