/**
 * The end-to-end tests that move many events run in CI at a tenth of their full size (so the
 * suite stays well inside its time budget); `SLUICE_FULL_SCALE=1` runs them at full size
 * (`npm run bench:full-scale`, part of `npm run bench`).
 */
export const FULL_SCALE = process.env['SLUICE_FULL_SCALE'] === '1';

/**
 * A test's event count: `ci` normally, `full` at full scale. `stretch(ms)` lengthens a deadline
 * that grows with the count in the same proportion (deadlines for one step, such as a restart,
 * stay as they are).
 */
export function scaled(ci: number, full: number): { readonly count: number; readonly stretch: (ms: number) => number } {
  const count = FULL_SCALE ? full : ci;
  return { count, stretch: (ms) => Math.round((ms * count) / ci) };
}
