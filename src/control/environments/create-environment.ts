import { dekContext, generateDataKey } from '../../keys/envelope.ts'
import { Secret } from '../../shared/secret.ts'
import { AppError } from '../../shared/errors.ts'
import type { EnvironmentId } from '../../shared/ids.ts'
import { parseSlug } from '../../shared/names.ts'
import { isoNow, providerOf, type Actor, type ControlContext } from '../context.ts'
import { transitionEnvironment } from '../environment-state.ts'
import { appendHistory } from '../history.ts'
import { ENVIRONMENT_TYPES, type EnvironmentType } from '../schema.ts'
import { SERVICE_KEY_NAME } from '../tenants/create-tenant.ts'
import { findTenant } from '../tenants/find-tenant.ts'
import { findEnvironmentById, type Environment } from './environment.ts'

export interface CreateEnvironmentInput {
  readonly tenant: string
  readonly name: string
  readonly region?: string | undefined
  readonly type?: string | undefined
  readonly actor: Actor
}

/**
 * Creates an environment: a fresh random DEK wrapped by the tenant's service key, an encrypted
 * database file keyed with the DEK, and the system tables. Nothing is left behind if any step
 * fails. The field-encryption key (cell-level encryption) is created when the environment
 * first needs it (resolveFieldKey: the first encrypted column read or written), wrapped by the
 * same key version under its own purpose: an environment that never encrypts a column holds
 * one wrapped key, so a rotation re-wraps one key for it, not two (bench:keys a).
 * @throws NAME_INVALID, VALIDATION, TENANT_NOT_FOUND, REGION_NOT_FOUND, ALREADY_EXISTS
 */
export async function createEnvironment(
  ctx: ControlContext,
  input: CreateEnvironmentInput,
): Promise<Environment> {
  const name = parseSlug(input.name, 'environment name')
  const type = (input.type ?? 'sandbox') as EnvironmentType
  if (!ENVIRONMENT_TYPES.includes(type)) {
    throw new AppError(
      'VALIDATION',
      'The environment type must be production, sandbox or developer.',
      {
        details: [{ path: 'type', message: 'expected production, sandbox or developer' }],
      },
    )
  }
  const regionName = input.region ?? ctx.regions[0]?.name
  const region = ctx.regions.find((r) => r.name === regionName)
  if (region === undefined) {
    throw new AppError('REGION_NOT_FOUND', `No region is named '${String(regionName)}'.`)
  }
  const tenant = await findTenant(ctx, input.tenant)
  const clash = await ctx.db
    .selectFrom('environments')
    .select('id')
    .where('tenant_id', '=', tenant.id)
    .where('name', '=', name)
    .where('state', '<>', 'purged')
    .executeTakeFirst()
  if (clash !== undefined) {
    throw new AppError('ALREADY_EXISTS', `Tenant '${tenant.name}' has an environment '${name}'.`)
  }
  const key = await ctx.db
    .selectFrom('tenant_keys')
    .selectAll()
    .where('tenant_id', '=', tenant.id)
    .where('name', '=', SERVICE_KEY_NAME)
    .executeTakeFirstOrThrow()
  const provider = providerOf(ctx, key.provider)
  const version = (await provider.describeKey(key.provider_key_id)).currentVersion

  const id = ctx.random.uuid() as EnvironmentId
  const dek = generateDataKey(ctx.random)
  const at = isoNow(ctx)
  try {
    const ref = { keyId: key.provider_key_id, version }
    const wrapped = await provider.wrap(
      ref,
      dek,
      dekContext({ purpose: 'environment-db', tenantId: tenant.id, environmentId: id }),
    )
    await ctx.db
      .insertInto('environments')
      .values({
        id,
        tenant_id: tenant.id,
        name,
        region: region.name,
        type,
        state: 'provisioning',
        created_at: at,
        updated_at: at,
        deleted_at: null,
        key_id: key.id,
        key_version: version,
        wrapped_dek: wrapped,
        wrapped_field_key: null,
      })
      .execute()
    // storage disposes the Secret it is given; keep ours for the dispose below.
    await ctx.databases.create(id, new Secret(dek.expose().slice()))
  } catch (e) {
    dek.dispose()
    await discard(ctx, id)
    if ((e as { code?: unknown }).code === 'SQLITE_CONSTRAINT_UNIQUE') {
      throw new AppError('ALREADY_EXISTS', `Tenant '${tenant.name}' has an environment '${name}'.`)
    }
    throw e
  }
  dek.dispose()

  try {
    await ctx.provisionEnvironment({ environmentId: id, organizationName: name })
    await ctx.db.transaction().execute(async (trx) => {
      await trx
        .updateTable('environments')
        .set({
          state: transitionEnvironment('provisioning', 'provisioned'),
          updated_at: isoNow(ctx),
        })
        .where('id', '=', id)
        .execute()
      await appendHistory(trx, {
        tenantId: tenant.id,
        environmentId: id,
        at,
        actor: input.actor,
        action: 'environment.created',
        detail: { name, region: region.name, type, keyName: key.name, keyVersion: version },
      })
    })
  } catch (e) {
    await discard(ctx, id)
    throw e
  }
  ctx.logger.log('info', 'environment.created', { tenantId: tenant.id, environmentId: id })
  const env = await findEnvironmentById(ctx, id)
  if (env === undefined) throw new AppError('INTERNAL', 'The new environment vanished.')
  return env
}

/** Removes every trace of an environment whose creation failed. */
async function discard(ctx: ControlContext, id: EnvironmentId): Promise<void> {
  ctx.databases.removeFiles(id)
  await ctx.db.deleteFrom('environments').where('id', '=', id).execute()
}
