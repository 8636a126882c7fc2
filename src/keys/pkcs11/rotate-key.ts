import type { ProviderKeyInfo } from '../key-provider.ts'
import { addVersion } from './create-key.ts'
import { describeKeyIn } from './describe-key.ts'
import type { Pkcs11Context } from './pkcs11-context.ts'

/**
 * Generates version n+1 in the token and makes it current; earlier versions keep their status
 * and go on unwrapping until retired. Rotations of one key must not run in two processes at
 * once: PKCS#11 has no transactions, and the losing process's version would be refused as
 * ambiguous. Within one provider instance they are serialised (`ctx.changes`).
 *
 * @throws AppError KEY_NOT_FOUND, KEY_UNAVAILABLE
 */
export async function rotateKey(ctx: Pkcs11Context, keyId: string): Promise<ProviderKeyInfo> {
  const release = await ctx.changes.lock()
  try {
    return await ctx.session.run(
      async (h) => {
        const info = describeKeyIn(h, keyId)
        await addVersion(ctx, h, { keyId, version: info.currentVersion + 1 }, info.label, info.type)
        return describeKeyIn(h, keyId)
      },
      { retry: false },
    )
  } finally {
    release()
  }
}
