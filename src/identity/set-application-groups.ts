import { z } from 'zod'
import { AppError } from '../shared/errors.ts'
import { isGuid } from '../shared/ids.ts'
import type { IdentityContext } from './identity-context.ts'
import { MAX_TOKEN_GROUPS } from './verify-access-token.ts'

const GROUPS = z
  .array(
    z
      .string()
      .trim()
      .toLowerCase()
      .regex(/^[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}$/),
  )
  .max(MAX_TOKEN_GROUPS)

/**
 * Sets the Entra-style group object ids an application's access tokens carry in their `groups`
 * claim (as Entra does for a service principal that is a member of groups, when the app asks
 * for group claims). Stored with the client in the control plane; tokens issued from now on
 * carry the new set, tokens already issued keep theirs until they expire (as in Entra). An
 * empty list removes the claim. At most MAX_TOKEN_GROUPS (200) GUIDs.
 *
 * @returns the stored set (sorted, lower-case, unique)
 * @throws AppError VALIDATION, APPLICATION_NOT_FOUND, TENANT_NOT_FOUND, ENVIRONMENT_NOT_FOUND
 */
export async function setApplicationGroups(
  ctx: IdentityContext,
  input: { tenant: string; environment: string; clientId: string; groups: readonly string[] },
): Promise<readonly string[]> {
  const parsed = GROUPS.safeParse(input.groups)
  if (!parsed.success) {
    throw new AppError('VALIDATION', 'Groups are up to 200 object ids (GUIDs).', {
      details: parsed.error.issues.map((i) => ({
        path: ['groups', ...i.path].join('.'),
        message: i.message,
      })),
    })
  }
  const groups = [...new Set(parsed.data)].sort()
  const env = await ctx.directory.findEnvironment(input.tenant, input.environment)
  const clientId = input.clientId.trim().toLowerCase()
  const notFound = () =>
    new AppError('APPLICATION_NOT_FOUND', 'The environment has no application with that client id.')
  if (!isGuid(clientId)) throw notFound()
  const result = await ctx.db
    .updateTable('identity_clients')
    .set({ groups: groups.length === 0 ? null : JSON.stringify(groups) })
    .where('client_id', '=', clientId)
    .where('tenant_id', '=', env.tenantId)
    .where('environment_id', '=', env.environmentId)
    .executeTakeFirst()
  if (result.numUpdatedRows === 0n) throw notFound()
  return groups
}

/**
 * The stored groups of a client row, parsed as untrusted input (STYLE §6: JSON read back from
 * the database); a malformed value gives no groups (fail closed: no group team membership).
 */
export function storedGroups(value: string | null | undefined): string[] {
  if (value === null || value === undefined) return []
  try {
    const parsed = GROUPS.safeParse(JSON.parse(value))
    return parsed.success ? parsed.data : []
  } catch {
    return []
  }
}
