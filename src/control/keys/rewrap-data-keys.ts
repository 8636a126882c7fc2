import type { Transaction } from 'kysely'
import { dekContext, type DekPurpose } from '../../keys/envelope.ts'
import type { Secret } from '../../shared/secret.ts'
import { providerOf, type ControlContext } from '../context.ts'
import type { ControlDb } from '../schema.ts'

/** A tenant key version that wraps (or will wrap) an environment's data keys. */
export interface WrappingKey {
  /** tenant_keys.id */
  readonly rowId: string
  readonly provider: string
  readonly providerKeyId: string
  readonly version: number
}

/** The wrapped data keys of one environment row, as stored. */
export interface WrappedDataKeys {
  readonly dek: Uint8Array
  /** NULL for an environment whose field key has not been created yet. */
  readonly fieldKey: Uint8Array | null
}

/** A re-wrap computed by rewrapDataKeys and not yet committed. */
export interface PreparedRewrap {
  readonly environmentId: string
  readonly from: { readonly rowId: string; readonly version: number } & WrappedDataKeys
  readonly to: { readonly rowId: string; readonly version: number } & WrappedDataKeys
}

/**
 * Phase one of moving an environment's data keys to another key version (rotation, policy
 * add-env, policy remove-env): every data key the row holds — the DEK and the field key — is
 * unwrapped with `from` and wrapped with `to`, each under its own context purpose. Only
 * provider calls; nothing is written. The unwrapped keys never outlive this call.
 * Commit with {@link commitRewrap}, which is conditional on the row still holding `wrapped`.
 * @throws KEY_UNAVAILABLE, KEY_UNWRAP_FAILED (from the providers)
 */
export async function rewrapDataKeys(
  ctx: ControlContext,
  input: {
    readonly tenantId: string
    readonly environmentId: string
    readonly from: WrappingKey
    readonly to: WrappingKey
    readonly wrapped: WrappedDataKeys
  },
): Promise<PreparedRewrap> {
  const source = providerOf(ctx, input.from.provider)
  const target = providerOf(ctx, input.to.provider)
  const move = async (purpose: DekPurpose, blob: Uint8Array): Promise<Uint8Array> => {
    const context = dekContext({
      purpose,
      tenantId: input.tenantId,
      environmentId: input.environmentId,
    })
    const key: Secret = await source.unwrap(
      { keyId: input.from.providerKeyId, version: input.from.version },
      blob,
      context,
    )
    try {
      return await target.wrap(
        { keyId: input.to.providerKeyId, version: input.to.version },
        key,
        context,
      )
    } finally {
      key.dispose()
    }
  }
  const dek = await move('environment-db', input.wrapped.dek)
  const fieldKey =
    input.wrapped.fieldKey === null ? null : await move('field', input.wrapped.fieldKey)
  return {
    environmentId: input.environmentId,
    from: { rowId: input.from.rowId, version: input.from.version, ...input.wrapped },
    to: { rowId: input.to.rowId, version: input.to.version, dek, fieldKey },
  }
}

/**
 * Phase two: the ONE conditional UPDATE every re-wrap path uses. It writes key_id,
 * key_version, wrapped_dek and wrapped_field_key together, and only if the row still names
 * the old key and version and still holds exactly the wrapped keys that were unwrapped (and,
 * when given, is still in `state`). A concurrent rotation, policy change or lazy field-key
 * creation that committed first wins; the caller decides whether that is an error.
 * @returns whether the row was updated
 */
export async function commitRewrap(
  trx: Transaction<ControlDb>,
  prepared: PreparedRewrap,
  options: { readonly at: string; readonly state?: string },
): Promise<boolean> {
  const { from, to } = prepared
  let update = trx
    .updateTable('environments')
    .set({
      key_id: to.rowId,
      key_version: to.version,
      wrapped_dek: to.dek,
      wrapped_field_key: to.fieldKey,
      updated_at: options.at,
    })
    .where('id', '=', prepared.environmentId)
    .where('key_id', '=', from.rowId)
    .where('key_version', '=', from.version)
    .where('wrapped_dek', '=', from.dek)
  update =
    from.fieldKey === null
      ? update.where('wrapped_field_key', 'is', null)
      : update.where('wrapped_field_key', '=', from.fieldKey)
  if (options.state !== undefined) update = update.where('state', '=', options.state)
  const result = await update.executeTakeFirst()
  return result.numUpdatedRows === 1n
}
