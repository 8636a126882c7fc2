// Wraps a key the way the control plane does for an environment, for tests that write an
// environment row's wrapped keys directly (layouts, damaged blobs).
import type { Strongroom } from '../../src/app.ts'
import { dekContext, type DekPurpose } from '../../src/keys/envelope.ts'
import type { Secret } from '../../src/shared/secret.ts'

/** `key` wrapped by the environment's current key and version under `purpose`. */
export async function wrapForEnvironment(
  app: Strongroom,
  env: { readonly id: string; readonly tenantId: string },
  key: Secret,
  purpose: DekPurpose,
): Promise<Uint8Array> {
  const row = await app.control.db
    .selectFrom('environments as e')
    .innerJoin('tenant_keys as k', 'k.id', 'e.key_id')
    .select(['e.key_version', 'k.provider', 'k.provider_key_id'])
    .where('e.id', '=', env.id)
    .executeTakeFirstOrThrow()
  const provider = app.control.providers.get(row.provider)
  if (provider === undefined) throw new Error(`no provider ${row.provider}`)
  return provider.wrap(
    { keyId: row.provider_key_id, version: row.key_version },
    key,
    dekContext({ purpose, tenantId: env.tenantId, environmentId: env.id }),
  )
}
