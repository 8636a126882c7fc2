import { z } from 'zod'
import { AppError } from '../../shared/errors.ts'
import type { ControlContext } from '../context.ts'

// JSON read back from the control plane is parsed like any input (STYLE §6).
const RevokedVersions = z.array(z.int().min(1).max(0xffffffff)).max(100_000)

/**
 * The versions `key revoke` disabled and `key restore` has not re-enabled yet, from
 * tenant_keys.revoked_versions; undefined when the key is not revoked (or was revoked before
 * this was recorded).
 * @throws CONTROL_PLANE_CORRUPT
 */
export function parseRevokedVersions(text: string | null): number[] | undefined {
  if (text === null) return undefined
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (e) {
    throw new AppError('CONTROL_PLANE_CORRUPT', 'A key has an unreadable revocation record.', {
      cause: e,
    })
  }
  const parsed = RevokedVersions.safeParse(json)
  if (!parsed.success) {
    throw new AppError('CONTROL_PLANE_CORRUPT', 'A key has an unreadable revocation record.')
  }
  return parsed.data
}

/** Adds `versions` to the key's revocation record (a repeated revoke keeps the first ones). */
export async function recordRevokedVersions(
  ctx: ControlContext,
  key: { readonly id: string },
  versions: readonly number[],
): Promise<void> {
  await ctx.db.transaction().execute(async (trx) => {
    const row = await trx
      .selectFrom('tenant_keys')
      .select('revoked_versions')
      .where('id', '=', key.id)
      .executeTakeFirstOrThrow()
    const all = new Set([...(parseRevokedVersions(row.revoked_versions) ?? []), ...versions])
    await trx
      .updateTable('tenant_keys')
      .set({ revoked_versions: JSON.stringify([...all].sort((a, b) => a - b)) })
      .where('id', '=', key.id)
      .execute()
  })
}
