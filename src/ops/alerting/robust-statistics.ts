/**
 * Order statistics that a few outliers cannot drag: median, quantiles, the median absolute
 * deviation (MAD) and the robust z-score built on them (Iglewicz and Hoaglin, "How to Detect and
 * Handle Outliers", 1993: a modified z-score above 3.5 marks a likely outlier). The mean and the
 * standard deviation would be pulled by the very spikes we want to find; the median and the MAD
 * ignore up to half the samples being wild.
 */

/** Linear-interpolated quantile (0 <= p <= 1) of ascending `sorted`; NaN when empty. */
export function quantileOfSorted(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const position = p * (sorted.length - 1);
  const below = Math.floor(position);
  const above = Math.ceil(position);
  return sorted[below] + (sorted[above] - sorted[below]) * (position - below);
}

export function median(values: readonly number[]): number {
  return quantileOfSorted([...values].sort((a, b) => a - b), 0.5);
}

/** Median absolute deviation from `center` (the median of |x - center|). */
export function medianAbsoluteDeviation(values: readonly number[], center: number): number {
  return median(values.map((x) => Math.abs(x - center)));
}

/**
 * 1.4826 * MAD estimates the standard deviation of normally distributed data, so the robust z of
 * a normal sample reads like an ordinary z-score.
 */
export const MAD_TO_SIGMA = 1.4826;

/**
 * How many robust standard deviations `x` lies from `center`. `scaleFloor` keeps a series that
 * barely moves (MAD near 0) from turning a tiny change into a huge z.
 */
export function robustZ(x: number, center: number, mad: number, scaleFloor: number): number {
  const scale = Math.max(MAD_TO_SIGMA * mad, scaleFloor);
  if (scale <= 0) return x === center ? 0 : x > center ? Infinity : -Infinity;
  return (x - center) / scale;
}
