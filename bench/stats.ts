/** Small, pure statistics over samples; no dependencies so every benchmark reports alike. */

export function quantile(samples: readonly number[], q: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

export function median(samples: readonly number[]): number {
  return quantile(samples, 0.5);
}

/** `a / b` as "1.23×", or "n/a" when either side is missing. */
export function ratio(a: number | undefined, b: number | undefined): string {
  if (a === undefined || b === undefined || !Number.isFinite(a) || !Number.isFinite(b) || b === 0) return 'n/a';
  return `${(a / b).toFixed(2)}×`;
}

export function fixed(value: number | undefined, digits: number): string {
  return value === undefined || !Number.isFinite(value) ? 'n/a' : value.toFixed(digits);
}

/** Milliseconds since an arbitrary origin, with sub-microsecond resolution. */
export function nowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `predicate` until it holds or `timeoutMs` passes; throws with `what` on timeout. */
export async function waitFor(predicate: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(5);
  }
}

/** Where a set of runs lies: median, the extremes, and the coefficient of variation (standard deviation ÷ mean). */
export interface Spread {
  median: number;
  min: number;
  max: number;
  cv: number;
}

export function spread(samples: readonly number[]): Spread {
  if (samples.length === 0) return { median: Number.NaN, min: Number.NaN, max: Number.NaN, cv: Number.NaN };
  const mean = samples.reduce((a, b) => a + b, 0) / samples.length;
  const variance = samples.reduce((a, b) => a + (b - mean) ** 2, 0) / samples.length;
  return { median: median(samples), min: Math.min(...samples), max: Math.max(...samples), cv: Math.sqrt(variance) / mean };
}

/** "38–61 (CV 12%)": a spread in a table cell, values scaled by `unit`. */
export function spreadCell(s: Spread | undefined, unit: number, digits: number): string {
  if (s === undefined || !Number.isFinite(s.median)) return 'n/a';
  return `${(s.min / unit).toFixed(digits)}–${(s.max / unit).toFixed(digits)} (CV ${(s.cv * 100).toFixed(0)}%)`;
}
