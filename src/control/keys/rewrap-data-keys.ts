import type { Transaction } from 'kysely'
import { dekContext, type DekPurpose } from '../../keys/envelope.ts'
import type { Secret } from '../../shared/secret.ts'
import { providerOf, type ControlContext } from '../context.ts'
import type { ControlDb, KeyLayout } from '../schema.ts'
import { assertTwoKeys, FIELD_KEY_INSIDE, joinDataKeys } from './data-key-bundle.ts'

/** A tenant key version that wraps (or will wrap) an environment's data keys. */
export interface WrappingKey {
  /** tenant_keys.id */
  readonly rowId: string
  readonly provider: string
  readonly providerKeyId: string
  readonly version: number
}

/** The wrapped data keys of one environment row, as stored (ControlDb environments). */
export interface WrappedDataKeys {
  /** 'separate': the DEK alone; 'together': DEK ‖ field key. */
  readonly dek: Uint8Array
  /**
   * 'separate': the field key, or NULL before there is one; 'together': FIELD_KEY_INSIDE (an
   * empty blob).
   */
  readonly fieldKey: Uint8Array | null
  readonly layout: KeyLayout
}

/** A re-wrap computed by rewrapDataKeys and not yet committed. */
export interface PreparedRewrap {
  readonly environmentId: string
  readonly from: { readonly rowId: string; readonly version: number } & WrappedDataKeys
  readonly to: { readonly rowId: string; readonly version: number } & WrappedDataKeys
}

/**
 * Phase one of moving an environment's data keys to another key version (rotation, policy
 * add-env, policy remove-env): every data key the row holds — the DEK and, once it exists, the
 * field key — is unwrapped with `from` and wrapped with `to`. Only provider calls; nothing is
 * written. The unwrapped keys never outlive this call.
 *
 * An environment with a field key comes out in key layout 'together' (DEK ‖ field key in one
 * blob, purpose 'environment-keys'), whatever it had: the first re-wrap after its field key
 * was created unwraps two blobs, every later one a single blob — one private-key operation per
 * environment in an HSM. One without a field key keeps its DEK alone ('separate').
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
  const contextOf = (purpose: DekPurpose) =>
    dekContext({ purpose, tenantId: input.tenantId, environmentId: input.environmentId })
  const unwrap = (purpose: DekPurpose, blob: Uint8Array): Promise<Secret> =>
    source.unwrap(
      { keyId: input.from.providerKeyId, version: input.from.version },
      blob,
      contextOf(purpose),
    )
  // Wraps `key` under `to` and disposes it, whatever happens.
  const wrapAndDispose = async (purpose: DekPurpose, key: Secret): Promise<Uint8Array> => {
    try {
      return await target.wrap(
        { keyId: input.to.providerKeyId, version: input.to.version },
        key,
        contextOf(purpose),
      )
    } finally {
      key.dispose()
    }
  }
  // A row in layout 'separate' with a field key: both unwrapped, joined (DEK ‖ field key).
  const unwrapBoth = async (dekBlob: Uint8Array, fieldKeyBlob: Uint8Array): Promise<Secret> => {
    const dek = await unwrap('environment-db', dekBlob)
    try {
      const fieldKey = await unwrap('field', fieldKeyBlob)
      try {
        return joinDataKeys(dek, fieldKey)
      } finally {
        fieldKey.dispose()
      }
    } finally {
      dek.dispose()
    }
  }
  const { wrapped } = input
  let moved: WrappedDataKeys
  if (wrapped.layout === 'together') {
    const both = assertTwoKeys(await unwrap('environment-keys', wrapped.dek))
    moved = {
      dek: await wrapAndDispose('environment-keys', both),
      fieldKey: FIELD_KEY_INSIDE,
      layout: 'together',
    }
  } else if (wrapped.fieldKey === null) {
    const dek = await unwrap('environment-db', wrapped.dek)
    moved = { dek: await wrapAndDispose('environment-db', dek), fieldKey: null, layout: 'separate' }
  } else {
    const both = await unwrapBoth(wrapped.dek, wrapped.fieldKey)
    moved = {
      dek: await wrapAndDispose('environment-keys', both),
      fieldKey: FIELD_KEY_INSIDE,
      layout: 'together',
    }
  }
  return {
    environmentId: input.environmentId,
    from: { rowId: input.from.rowId, version: input.from.version, ...wrapped },
    to: { rowId: input.to.rowId, version: input.to.version, ...moved },
  }
}

/**
 * Phase two: the ONE conditional UPDATE every re-wrap path uses. It writes key_id,
 * key_version, wrapped_dek, wrapped_field_key and key_layout together, and only if the row
 * still names the old key and version and still holds exactly the wrapped keys that were
 * unwrapped, in the same layout (and,
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
      key_layout: to.layout,
      updated_at: options.at,
    })
    .where('id', '=', prepared.environmentId)
    .where('key_id', '=', from.rowId)
    .where('key_version', '=', from.version)
    .where('wrapped_dek', '=', from.dek)
    .where('key_layout', '=', from.layout)
  update =
    from.fieldKey === null
      ? update.where('wrapped_field_key', 'is', null)
      : update.where('wrapped_field_key', '=', from.fieldKey)
  if (options.state !== undefined) update = update.where('state', '=', options.state)
  const result = await update.executeTakeFirst()
  return result.numUpdatedRows === 1n
}
