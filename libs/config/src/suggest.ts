/**
 * "Did you mean" suggestions for unknown keys and type names.
 */

/**
 * The optimal-string-alignment distance (Levenshtein plus transposition of two adjacent
 * characters), case-sensitive.
 */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, d[i - 2]![j - 2]! + 1);
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}

/**
 * The candidate the input most likely meant: an exact case-insensitive match first, otherwise the
 * closest candidate (compared case-insensitively) within a distance of 2, or of a third of the
 * input's length for long inputs. Ties go to the earlier candidate. `undefined` when none is close.
 */
export function suggest(input: string, candidates: readonly string[]): string | undefined {
  const lower = input.toLowerCase();
  const same = candidates.find((c) => c.toLowerCase() === lower && c !== input);
  if (same !== undefined) return same;
  const limit = Math.max(2, Math.floor(input.length / 3));
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    if (c === input) continue;
    const distance = editDistance(lower, c.toLowerCase());
    if (distance <= limit && distance < c.length && distance < bestDistance) {
      best = c;
      bestDistance = distance;
    }
  }
  return best;
}
