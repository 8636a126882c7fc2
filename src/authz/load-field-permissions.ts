import type { SecurityRows } from './load-security-context.ts'
import type { FieldPermission } from './security-context.ts'

/** fieldpermission.canread/cancreate/canupdate: 4 is Allowed (0 Not Allowed). */
export const FIELD_PERMISSION_ALLOWED = 4

const allowed = (v: unknown): boolean => Number(v) === FIELD_PERMISSION_ALLOWED

/**
 * The column permissions a principal holds through field security profiles (dataverse-spec §3
 * "Column (field) level security"): the profiles it is a member of directly
 * (systemuserprofiles) and through any of its teams (teamprofiles), united per column. Keyed
 * `<table>.<column>`. Read as the system.
 */
export async function loadFieldPermissions(
  rows: SecurityRows,
  userId: string,
  teamIds: readonly string[],
): Promise<ReadonlyMap<string, FieldPermission>> {
  const direct = await rows.select('systemuserprofiles', ['fieldsecurityprofileid'], {
    systemuserid: [userId],
  })
  const viaTeams =
    teamIds.length === 0
      ? []
      : await rows.select('teamprofiles', ['fieldsecurityprofileid'], { teamid: teamIds })
  const profiles = [
    ...new Set([...direct, ...viaTeams].map((r) => String(r['fieldsecurityprofileid']))),
  ]
  const result = new Map<string, FieldPermission>()
  if (profiles.length === 0) return result
  const permissions = await rows.select(
    'fieldpermission',
    ['entityname', 'attributelogicalname', 'canread', 'cancreate', 'canupdate'],
    { fieldsecurityprofileid: profiles },
  )
  for (const p of permissions) {
    const key = `${String(p['entityname'])}.${String(p['attributelogicalname'])}`
    const before = result.get(key) ?? { read: false, create: false, update: false }
    result.set(key, {
      read: before.read || allowed(p['canread']),
      create: before.create || allowed(p['cancreate']),
      update: before.update || allowed(p['canupdate']),
    })
  }
  return result
}
