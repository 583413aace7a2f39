import type { Context } from './context'
export async function runBench(_ctx: Context): Promise<Record<string, unknown>> {
  return {}
}
