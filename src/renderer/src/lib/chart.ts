/**
 * The Chart.js attachment (implementation in chart.svelte.ts, which may use runes).
 * Unit tests mock 'chart.js' with at least `{ Chart, registerables: [] }` (happy-dom has no 2D canvas):
 * see test/renderer/helpers/chart-mock.ts.
 */
export { chart } from './chart.svelte'
