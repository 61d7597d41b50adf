import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { linearAssignment } from '../../../../pipelines/track/linearAssignment.js';

/** Every matching of allowed pairs, by brute force: how many pairs each has and their total cost. */
function everyMatching(cost: number[][], maxCost: number): { pairs: number; total: number }[] {
  const found: { pairs: number; total: number }[] = [];
  const columns = cost[0]?.length ?? 0;
  const used = new Array<boolean>(columns).fill(false);
  const visit = (row: number, pairs: number, total: number): void => {
    if (row === cost.length) {
      found.push({ pairs, total });
      return;
    }
    visit(row + 1, pairs, total);
    for (let c = 0; c < columns; c++) {
      if (used[c] || !(cost[row]![c]! <= maxCost)) continue;
      used[c] = true;
      visit(row + 1, pairs + 1, total + cost[row]![c]!);
      used[c] = false;
    }
  };
  visit(0, 0, 0);
  return found;
}

/** The best by default: most allowed pairs, then least cost. */
function mostPairsBruteForce(cost: number[][], maxCost: number): { pairs: number; total: number } {
  return everyMatching(cost, maxCost).reduce((best, m) => (m.pairs > best.pairs || (m.pairs === best.pairs && m.total < best.total - 1e-12) ? m : best));
}

/**
 * The best with ByteTrack's unmatched cost (lapjv with cost_limit = maxCost): the least total
 * where each unmatched row and column costs maxCost / 2.
 */
function unmatchedCostBruteForce(cost: number[][], maxCost: number): number {
  const unmatched = (pairs: number): number => cost.length + (cost[0]?.length ?? 0) - 2 * pairs;
  return Math.min(...everyMatching(cost, maxCost).map((m) => m.total + (unmatched(m.pairs) * maxCost) / 2));
}

describe('linearAssignment', () => {
  it('finds the optimum where greedy matching would not', () => {
    // greedy takes (0,0) = 0.1 first and is left with (1,1) = 0.9; the optimum is 0.2 + 0.2
    expect(
      linearAssignment(
        [
          [0.1, 0.2],
          [0.2, 0.9],
        ],
        1,
      ),
    ).toEqual([
      [0, 1],
      [1, 0],
    ]);
  });

  it('never returns a forbidden pair and handles empty and rectangular inputs', () => {
    expect(linearAssignment([], 0.7)).toEqual([]);
    expect(linearAssignment([[]], 0.7)).toEqual([]);
    expect(linearAssignment([[0.9, 0.95]], 0.7)).toEqual([]);
    expect(linearAssignment([[0.9], [0.1], [Number.POSITIVE_INFINITY]], 0.7)).toEqual([[1, 0]]);
  });

  it('matches brute force on random small matrices (most allowed pairs, then least cost)', () => {
    const matrix = fc.integer({ min: 1, max: 5 }).chain((rows) =>
      fc.integer({ min: 1, max: 5 }).chain((columns) =>
        fc.array(
          fc.array(fc.oneof(fc.double({ min: 0, max: 1, noNaN: true }), fc.constant(Number.POSITIVE_INFINITY)), { minLength: columns, maxLength: columns }),
          {
            minLength: rows,
            maxLength: rows,
          },
        ),
      ),
    );
    fc.assert(
      fc.property(matrix, fc.double({ min: 0, max: 1, noNaN: true }), (cost, maxCost) => {
        const pairs = linearAssignment(cost, maxCost);
        const rows = new Set(pairs.map(([r]) => r));
        const columns = new Set(pairs.map(([, c]) => c));
        expect(rows.size).toBe(pairs.length);
        expect(columns.size).toBe(pairs.length);
        for (const [r, c] of pairs) expect(cost[r]![c]!).toBeLessThanOrEqual(maxCost);
        const best = mostPairsBruteForce(cost, maxCost);
        expect(pairs.length).toBe(best.pairs);
        expect(pairs.reduce((sum, [r, c]) => sum + cost[r]![c]!, 0)).toBeCloseTo(best.total, 9);
      }),
      { numRuns: 500 },
    );
  });
});

describe('linearAssignment with an unmatched cost (ByteTrack)', () => {
  it('leaves a row unmatched rather than make two poor pairs where one good pair will do', () => {
    const cost = [
      [0.2, 0.8],
      [0.4, Number.POSITIVE_INFINITY],
    ];
    // (0,0) alone: 0.2 + one row and one column unmatched at 0.45 = 1.1; (0,1) and (1,0): 0.8 + 0.4 = 1.2
    expect(linearAssignment(cost, 0.9, { unmatchedCost: 0.45 })).toEqual([[0, 0]]);
    // the default keeps as many pairs as it can
    expect(linearAssignment(cost, 0.9)).toEqual([
      [0, 1],
      [1, 0],
    ]);
  });

  it('refuses an infinite unmatched cost or limit instead of looping', () => {
    expect(() => linearAssignment([[0.1]], Number.POSITIVE_INFINITY, { unmatchedCost: 1 })).toThrow(/must be finite/);
    expect(() => linearAssignment([[0.1]], 1, { unmatchedCost: Number.POSITIVE_INFINITY })).toThrow(/must be finite/);
  });

  it('matches brute force on random small matrices', () => {
    const matrix = fc.integer({ min: 1, max: 5 }).chain((rows) =>
      fc.integer({ min: 1, max: 5 }).chain((columns) =>
        fc.array(
          fc.array(fc.oneof(fc.double({ min: 0, max: 1, noNaN: true }), fc.constant(Number.POSITIVE_INFINITY), fc.constant(Number.NaN)), {
            minLength: columns,
            maxLength: columns,
          }),
          { minLength: rows, maxLength: rows },
        ),
      ),
    );
    fc.assert(
      fc.property(matrix, fc.double({ min: 0, max: 1, noNaN: true }), (cost, maxCost) => {
        const pairs = linearAssignment(cost, maxCost, { unmatchedCost: maxCost / 2 });
        expect(new Set(pairs.map(([r]) => r)).size).toBe(pairs.length);
        expect(new Set(pairs.map(([, c]) => c)).size).toBe(pairs.length);
        for (const [r, c] of pairs) expect(cost[r]![c]!).toBeLessThanOrEqual(maxCost);
        const unmatched = cost.length + cost[0]!.length - 2 * pairs.length;
        const total = pairs.reduce((sum, [r, c]) => sum + cost[r]![c]!, 0) + (unmatched * maxCost) / 2;
        expect(total).toBeCloseTo(unmatchedCostBruteForce(cost, maxCost), 9);
      }),
      { numRuns: 500 },
    );
  });
});
