/** `models`: the models found in --models-dir, as a table (or JSON with --json). */
import { listModels } from '../catalog'
import type { Context } from './context'
import type { ResultRecord } from './commands'

export async function modelsCommand(ctx: Context): Promise<ResultRecord> {
  const dir = ctx.modelsDirOption()
  const models = await listModels(dir, (m) => ctx.warn(m))
  if (!ctx.opts.flag('json')) {
    if (models.length === 0) ctx.io.stdout(`no models in ${dir}\n`)
    for (const m of models) {
      ctx.io.stdout(
        `${m.id.padEnd(36)} ${m.role.padEnd(8)} ${m.architecture.name} w${m.architecture.width} ${m.input.height}×${m.input.width} ` +
          `${m.classes.length} classes, clean ${(m.metrics.clean * 100).toFixed(1)} %, ${(m.sizeBytes / 1e6).toFixed(1)} MB\n`
      )
    }
  }
  return { modelsDir: dir, models }
}
