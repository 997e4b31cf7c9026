/**
 * Quantiles without sorting: quickselect finds the k-th smallest value of a segment in linear time,
 * which is what keeps p75 over hundreds of thousands of samples within the API's time budget.
 */

/**
 * The `q` quantile (0..1) of `values[lo..hi)`, linearly interpolated like a sorted-array lookup;
 * null for an empty segment. Reorders the segment in place.
 */
export function quantileIn(values: Float64Array, lo: number, hi: number, q: number): number | null {
  const n = hi - lo;
  if (n <= 0) return null;
  const pos = (n - 1) * q;
  const k = lo + Math.floor(pos);
  const below = select(values, lo, hi - 1, k);
  const frac = pos - Math.floor(pos);
  if (frac === 0 || k + 1 >= hi) return below;
  // After selecting k, everything right of k is >= it: the next order statistic is their minimum.
  let above = Infinity;
  for (let i = k + 1; i < hi; i++) if (values[i]! < above) above = values[i]!;
  return below + (above - below) * frac;
}

/** Moves the k-th smallest of values[left..right] to index k (Hoare's selection, median-of-three). */
function select(values: Float64Array, left: number, right: number, k: number): number {
  while (right > left) {
    const mid = (left + right) >>> 1;
    const a = values[left]!;
    const b = values[mid]!;
    const c = values[right]!;
    const pivot = a < b ? (b < c ? b : a < c ? c : a) : a < c ? a : b < c ? c : b;
    let i = left;
    let j = right;
    while (i <= j) {
      while (values[i]! < pivot) i++;
      while (values[j]! > pivot) j--;
      if (i <= j) {
        const t = values[i]!;
        values[i] = values[j]!;
        values[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) right = j;
    else if (k >= i) left = i;
    else break;
  }
  return values[k]!;
}
