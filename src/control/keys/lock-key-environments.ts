import { isAppError } from '../../shared/errors.ts'
import type { Actor, ControlContext } from '../context.ts'
import { changeEnvironmentState } from '../environments/change-environment-state.ts'
import { environmentQuery, toEnvironment } from '../environments/environment.ts'

/**
 * Locks every active or disabled environment whose DEK is wrapped by tenant key `keyRowId`
 * (only those on `version`, when given). Each lock goes through changeEnvironmentState, which
 * records it in the history and evicts the open handle, so the DEK leaves memory at once
 * (DESIGN invariant 4). An environment that changed state meanwhile is read again once.
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
  const locked: string[] = []
  for (const row of await q.orderBy('e.name').execute()) {
    let env = toEnvironment(ctx, row)
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        await changeEnvironmentState(ctx, env, 'lock', input.actor, {
          ...input.detail,
          keyName: env.key.name,
          keyVersion: env.key.version,
        })
        locked.push(env.name)
        break
      } catch (e) {
        if (!isAppError(e) || e.code !== 'INVALID_STATE') throw e
        const again = await environmentQuery(ctx).where('e.id', '=', env.id).executeTakeFirst()
        if (again === undefined) break
        env = toEnvironment(ctx, again)
        if (env.state !== 'active' && env.state !== 'disabled') break
      }
    }
  }
  return locked
}
