import { parseCreateKeyOptions } from '../create-key-options.ts'
import type { KeyType, ProviderKeyInfo } from '../key-provider.ts'
import { generateKekMaterial, sealKekMaterial } from './kek-material.ts'
import type { VaultContext } from './vault-context.ts'
import { guarded } from './vault-errors.ts'
import { readKeyInfo } from './vault-rows.ts'

/**
 * Creates a key with version 1 enabled and current.
 *
 * @throws AppError VALIDATION when the label or type is invalid.
 */
export async function createKey(
  ctx: VaultContext,
  opts: { label: string; type: KeyType },
): Promise<ProviderKeyInfo> {
  const { label, type } = parseCreateKeyOptions(opts)
  const material = await generateKekMaterial(type, ctx.random)
  const keyId = ctx.random.uuid()
  const ref = { keyId, version: 1 }
  try {
    const sealed = sealKekMaterial(ctx.materialKey, ref, type, material, ctx.random)
    const now = ctx.clock.now().toISOString()
    guarded(() => {
      ctx.db
        .transaction(() => {
          ctx.db
            .prepare(
              'INSERT INTO keys (key_id, label, type, current_version, created_at) VALUES (?, ?, ?, 1, ?)',
            )
            .run(keyId, label, type, now)
          ctx.db
            .prepare(
              "INSERT INTO key_versions (key_id, version, status, material, created_at) VALUES (?, 1, 'enabled', ?, ?)",
            )
            .run(keyId, sealed, now)
        })
        .immediate()
    })
  } finally {
    material.fill(0)
  }
  return guarded(() => readKeyInfo(ctx, keyId))
}
