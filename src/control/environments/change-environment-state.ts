import { sql, type Transaction } from 'kysely'
import { AppError } from '../../shared/errors.ts'
import { isoNow, type Actor, type ControlContext } from '../context.ts'
import { isLockedFrom, transitionEnvironment, type EnvironmentEvent } from '../environment-state.ts'
import { appendHistory } from '../history.ts'
import type { ControlDb } from '../schema.ts'
import { findEnvironment, findEnvironmentById, type Environment } from './environment.ts'

export interface ChangeStateInput {
  readonly tenant: string
  readonly name: string
  readonly actor: Actor
}

type Detail = Readonly<Record<string, string | number | boolean | null>>

/**
 * Applies one lifecycle event to an environment, with its side effects, and records it.
 * The update is conditional on the state read, so two processes can't both apply an event.
 * @throws TENANT_NOT_FOUND, ENVIRONMENT_NOT_FOUND, INVALID_STATE
 */
export async function changeEnvironmentState(
  ctx: ControlContext,
  env: Environment,
  event: EnvironmentEvent,
  actor: Actor,
  detail: Detail = {},
): Promise<Environment> {
  const at = isoNow(ctx)
  const changed = await ctx.db
    .transaction()
    .execute((trx) => applyEnvironmentEvent(trx, env, event, { at, actor, detail }))
  if (changed === undefined) {
    throw new AppError('INVALID_STATE', `Environment '${env.name}' changed state meanwhile; retry.`)
  }
  await afterEnvironmentEvent(ctx, changed, event)
  return changed
}

/**
 * The control-plane half of an event, inside the caller's transaction: the conditional state
 * update and its history entry. Returns the environment as changed, or undefined when its row
 * no longer has the state read (another process changed it). Run afterEnvironmentEvent once the
 * transaction has committed.
 * @throws INVALID_STATE when the event is illegal in the environment's state
 */
export async function applyEnvironmentEvent(
  trx: Transaction<ControlDb>,
  env: Environment,
  event: EnvironmentEvent,
  input: { at: string; actor: Actor; detail?: Detail },
): Promise<Environment | undefined> {
  const next = transitionEnvironment(env.state, event, env.lockedFrom ?? 'active')
  const { at } = input
  const result = await trx
    .updateTable('environments')
    .set({
      state: next,
      updated_at: at,
      // A lock remembers what it interrupted (active or disabled) for unlock; leaving the
      // locked state forgets it.
      locked_from: event === 'lock' ? env.state : null,
      ...(event === 'delete' ? { deleted_at: at } : {}),
      ...(event === 'recover' ? { deleted_at: null } : {}),
      // Crypto-shred: without the wrapped DEK the file and any copy of it are unreadable, and
      // without the wrapped field key no encrypted cell copied out of it ever opens again.
      ...(event === 'purge' ? { wrapped_dek: null, wrapped_field_key: null } : {}),
    })
    .where('id', '=', env.id)
    .where('state', '=', env.state)
    .executeTakeFirst()
  if (result.numUpdatedRows !== 1n) return undefined
  await appendHistory(trx, {
    tenantId: env.tenantId,
    environmentId: env.id,
    at,
    actor: input.actor,
    action: `environment.${event}`,
    detail: { name: env.name, from: env.state, to: next, ...input.detail },
  })
  return {
    ...env,
    state: next,
    lockedFrom: event === 'lock' && isLockedFrom(env.state) ? env.state : null,
  }
}

/** The side effects of an event, after its transaction committed (see applyEnvironmentEvent). */
export async function afterEnvironmentEvent(
  ctx: ControlContext,
  env: Environment,
  event: EnvironmentEvent,
): Promise<void> {
  // Anything that isn't active drops its open handle (and with it the DEK in SQLite's codec).
  if (env.state !== 'active') ctx.databases.evict(env.id)
  if (event === 'purge') {
    ctx.databases.removeFiles(env.id)
    // secure_delete zeroed the wrapped keys in the database pages; move the WAL frames that
    // still hold the old page into the file and truncate the WAL.
    await sql`PRAGMA wal_checkpoint(TRUNCATE)`.execute(ctx.db)
  }
  ctx.logger.log('info', `environment.${event}`, { tenantId: env.tenantId, environmentId: env.id })
}

export async function deleteEnvironment(ctx: ControlContext, input: ChangeStateInput) {
  return changeEnvironmentState(
    ctx,
    await findEnvironment(ctx, input.tenant, input.name),
    'delete',
    input.actor,
  )
}

export async function recoverEnvironment(ctx: ControlContext, input: ChangeStateInput) {
  const env = await findEnvironment(ctx, input.tenant, input.name)
  if (
    env.state === 'deleted' &&
    env.purgeAfter !== null &&
    ctx.clock.now().toISOString() > env.purgeAfter
  ) {
    throw new AppError(
      'INVALID_STATE',
      `Environment '${env.name}' is past its ${ctx.recoveryWindowDays}-day recovery window.`,
    )
  }
  const recovered = await changeEnvironmentState(ctx, env, 'recover', input.actor)
  return (await findEnvironmentById(ctx, recovered.id)) ?? recovered
}

/**
 * Crypto-shreds a deleted environment: its wrapped DEK and field key are destroyed and its
 * files removed.
 * Inside the recovery window this needs `force`.
 */
export async function purgeEnvironment(
  ctx: ControlContext,
  input: ChangeStateInput & { force: boolean },
) {
  const env = await findEnvironment(ctx, input.tenant, input.name)
  if (
    env.state === 'deleted' &&
    !input.force &&
    env.purgeAfter !== null &&
    ctx.clock.now().toISOString() < env.purgeAfter
  ) {
    throw new AppError(
      'INVALID_STATE',
      `Environment '${env.name}' can be recovered until ${env.purgeAfter}; purge it now with --force.`,
    )
  }
  return changeEnvironmentState(ctx, env, 'purge', input.actor)
}

export async function disableEnvironment(ctx: ControlContext, input: ChangeStateInput) {
  return changeEnvironmentState(
    ctx,
    await findEnvironment(ctx, input.tenant, input.name),
    'disable',
    input.actor,
  )
}

export async function enableEnvironment(ctx: ControlContext, input: ChangeStateInput) {
  return changeEnvironmentState(
    ctx,
    await findEnvironment(ctx, input.tenant, input.name),
    'enable',
    input.actor,
  )
}
