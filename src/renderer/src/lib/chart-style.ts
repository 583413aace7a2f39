/** Chart.js styling shared by every chart. */

/** Mid-grey text and faint grid lines: readable on the light and the dark theme (Chart.js defaults to #666). */
export const CHART_TEXT = '#8a8f98'
export const CHART_GRID = 'rgba(128, 128, 128, 0.25)'
export const axis = (title: string): { title: { display: true; text: string; color: string }; ticks: { color: string }; grid: { color: string } } => ({
  title: { display: true, text: title, color: CHART_TEXT },
  ticks: { color: CHART_TEXT },
  grid: { color: CHART_GRID }
})
