import { parseCreateKeyOptions } from '../create-key-options.ts'
import type { KeyRef, KeyType, ProviderKeyInfo } from '../key-provider.ts'
import { describeKeyIn } from './describe-key.ts'
import { destroyQuietly, generateVersion } from './generate-version.ts'
import type { Pkcs11Context } from './pkcs11-context.ts'
import type { Pkcs11Handle } from './pkcs11-session.ts'
import { writeVersionRecord } from './version-records.ts'

/**
 * Generates a version's objects in the token, then its version record. If the record can't be
 * written the new objects are destroyed, so no unrecorded key is left behind.
 */
export async function addVersion(
  ctx: Pkcs11Context,
  h: Pkcs11Handle,
  ref: KeyRef,
  label: string,
  type: KeyType,
): Promise<void> {
  const objects = await generateVersion(h, ref, type)
  try {
    writeVersionRecord(h, {
      keyId: ref.keyId,
      version: ref.version,
      label,
      type,
      createdAt: ctx.clock.now().toISOString(),
    })
  } catch (e) {
    destroyQuietly(h, objects)
    throw e
  }
}

/**
 * Creates a key in the token, with a GUID key id and version 1 enabled and current.
 *
 * @throws AppError VALIDATION, KEY_UNAVAILABLE
 */
export async function createKey(
  ctx: Pkcs11Context,
  opts: { label: string; type: KeyType },
): Promise<ProviderKeyInfo> {
  const { label, type } = parseCreateKeyOptions(opts)
  const keyId = ctx.random.uuid()
  return ctx.session.run(
    async (h) => {
      await addVersion(ctx, h, { keyId, version: 1 }, label, type)
      return describeKeyIn(h, keyId)
    },
    { retry: false },
  )
}
