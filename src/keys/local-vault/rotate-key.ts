import { z } from 'zod'
import type { ProviderKeyInfo } from '../key-provider.ts'
import { generateKekMaterial, sealKekMaterial } from './kek-material.ts'
import type { VaultContext } from './vault-context.ts'
import { guarded } from './vault-errors.ts'
import { keyNotFound, readKeyInfo } from './vault-rows.ts'

const MaxVersion = z.strictObject({ v: z.number().int().nonnegative() })

/**
 * Adds version n+1 (enabled) to a key and makes it current. Earlier versions keep their status,
 * so data keys wrapped under them still unwrap until they are re-wrapped (DESIGN "rotate: new
 * key version → re-wrap DEKs, no data rewrite").
 *
 * @throws AppError KEY_NOT_FOUND
 */
export async function rotateKey(ctx: VaultContext, keyId: string): Promise<ProviderKeyInfo> {
  // The type never changes, so it can be read before the (slow, for RSA) generation.
  const { type } = guarded(() => readKeyInfo(ctx, keyId))
  const material = await generateKekMaterial(type, ctx.random)
  try {
    const now = ctx.clock.now().toISOString()
    guarded(() => {
      ctx.db
        .transaction(() => {
          // Under BEGIN IMMEDIATE, so two rotations can't pick the same version number.
          const row = ctx.db
            .prepare('SELECT coalesce(max(version), 0) AS v FROM key_versions WHERE key_id = ?')
            .get(keyId)
          const version = MaxVersion.parse(row).v + 1
          const sealed = sealKekMaterial(
            ctx.materialKey,
            { keyId, version },
            type,
            material,
            ctx.random,
          )
          ctx.db
            .prepare(
              "INSERT INTO key_versions (key_id, version, status, material, created_at) VALUES (?, ?, 'enabled', ?, ?)",
            )
            .run(keyId, version, sealed, now)
          const updated = ctx.db
            .prepare('UPDATE keys SET current_version = ? WHERE key_id = ?')
            .run(version, keyId)
          if (updated.changes !== 1) throw keyNotFound()
        })
        .immediate()
    })
  } finally {
    material.fill(0)
  }
  return guarded(() => readKeyInfo(ctx, keyId))
}
