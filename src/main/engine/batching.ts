/**
 * How many images go through one forward + backward pass. The gradient tape costs memory per image (~60 MB for
 * ResNet-18 at 224², engine-notes.md §5) and wasm memory never shrinks (4 GB ceiling), while batching only pays off
 * for small inputs (it amortises per-op overhead; per-image cost is flat for large nets). So: 16 rows up to 64×64,
 * then proportionally fewer, at least 1.
 */
export function gradientBatchFor(height: number, width: number, max = 16): number {
  return Math.max(1, Math.min(max, Math.floor((max * 64 * 64) / (height * width))))
}
