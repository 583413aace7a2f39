/** Number formatting shared by every view. */

/** Short human number: 3 significant digits, no exponent for ordinary magnitudes. */
export function fmt(v: number): string {
  if (!Number.isFinite(v)) return String(v)
  if (v === 0) return '0'
  const a = Math.abs(v)
  if (a >= 1000 || a < 1e-3) return v.toExponential(2)
  return String(Number(v.toPrecision(3)))
}
