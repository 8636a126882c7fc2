import type { RecordsContext } from './internal/context.ts'
import { requireEnvSetting } from './internal/env-settings.ts'
import type { ProvisionedIds } from './provision-environment.ts'

/**
 * The seed record ids provisionEnvironment stored in `_env`.
 *
 * @throws AppError INVALID_STATE when the environment was never provisioned
 */
export async function readProvisionedIds(ctx: RecordsContext): Promise<ProvisionedIds> {
  return {
    organizationId: await requireEnvSetting(ctx.db, 'organization_id'),
    businessUnitId: await requireEnvSetting(ctx.db, 'root_business_unit_id'),
    systemUserId: await requireEnvSetting(ctx.db, 'system_user_id'),
    defaultTeamId: await requireEnvSetting(ctx.db, 'default_team_id'),
    systemAdministratorRoleId: await requireEnvSetting(ctx.db, 'system_administrator_role_id'),
    basicUserRoleId: await requireEnvSetting(ctx.db, 'basic_user_role_id'),
  }
}
