/** Per-step telemetry (src/shared/jobs.ts StepTelemetry) as CSV: one row per model, step and image. */
import type { StepTelemetry } from '../../shared/jobs'

export const TELEMETRY_COLUMNS = ['model', 'step', 'image', 'loss', 'p_true', 'p_target', 'delta_l2', 'delta_linf', 'grad_norm', 'activation', 'top1', 'top1_p', 'top5'] as const

const num = (v: number | undefined): string => (v === undefined || Number.isNaN(v) ? '' : String(v))

/** Quote a field if it holds a comma, quote or newline (RFC 4180). */
export function csvField(value: string): string {
  return /[",\n\r]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value
}

export function telemetryCsv(runs: { modelId: string; telemetry: StepTelemetry[] }[]): string {
  const lines = [TELEMETRY_COLUMNS.join(',')]
  for (const { modelId, telemetry } of runs) {
    for (const t of telemetry) {
      for (let i = 0; i < t.loss.length; i++) {
        const top5 = t.top5[i] ?? []
        lines.push(
          [
            csvField(modelId),
            String(t.step),
            String(i),
            num(t.loss[i]),
            num(t.pTrue[i]),
            num(t.pTarget[i]),
            num(t.deltaL2[i]),
            num(t.deltaLinf[i]),
            num(t.gradNorm[i]),
            num(t.activation?.[i]),
            top5.length ? String(top5[0].index) : '',
            top5.length ? num(top5[0].p) : '',
            top5.map((e) => `${e.index}:${e.p.toPrecision(6)}`).join(' ')
          ].join(',')
        )
      }
    }
  }
  return lines.join('\n') + '\n'
}

/** Any table (header + rows) as CSV. */
export function tableCsv(header: string[], rows: (string | number | null)[][]): string {
  const cell = (v: string | number | null): string => (v === null ? '' : csvField(String(v)))
  return [header.map(cell).join(','), ...rows.map((r) => r.map(cell).join(','))].join('\n') + '\n'
}
