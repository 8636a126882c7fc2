import { isoNow, type Actor, type ControlContext } from '../context.ts'
import {
  afterEnvironmentEvent,
  applyEnvironmentEvent,
} from '../environments/change-environment-state.ts'
import { environmentQuery, toEnvironment, type Environment } from '../environments/environment.ts'

/**
 * Locks every active or disabled environment whose DEK is wrapped by tenant key `keyRowId`
 * (only those on `version`, when given), in ONE control-plane transaction: each lock is the
 * same conditional update and history entry as changeEnvironmentState, so a key with thousands
 * of environments locks in one commit (bench:keys). Then every open handle is evicted, so the
 * DEKs leave memory at once (DESIGN invariant 4). An environment that changed state meanwhile
 * is read again, inside the transaction, and locked if it is still active or disabled.
 * @returns the names of the environments locked by this call
 */
export async function lockKeyEnvironments(
  ctx: ControlContext,
  input: {
    keyRowId: string
    version?: number
    actor: Actor
    detail: Readonly<Record<string, string | number | boolean | null>>
  },
): Promise<string[]> {
  let q = environmentQuery(ctx)
    .where('e.key_id', '=', input.keyRowId)
    .where('e.state', 'in', ['active', 'disabled'])
  if (input.version !== undefined) q = q.where('e.key_version', '=', input.version)
  const rows = await q.orderBy('e.name').execute()
  if (rows.length === 0) return []
  const at = isoNow(ctx)
  const locked = await ctx.db.transaction().execute(async (trx) => {
    const done: Environment[] = []
    for (const row of rows) {
      let env = toEnvironment(ctx, row)
      for (let attempt = 0; attempt < 2; attempt++) {
        const changed = await applyEnvironmentEvent(trx, env, 'lock', {
          at,
          actor: input.actor,
          detail: { ...input.detail, keyName: env.key.name, keyVersion: env.key.version },
        })
        if (changed !== undefined) {
          done.push(changed)
          break
        }
        const again = await environmentQuery(ctx, trx).where('e.id', '=', env.id).executeTakeFirst()
        if (again === undefined) break
        env = toEnvironment(ctx, again)
        if (env.state !== 'active' && env.state !== 'disabled') break
      }
    }
    return done
  })
  for (const env of locked) await afterEnvironmentEvent(ctx, env, 'lock')
  return locked.map((e) => e.name)
}
