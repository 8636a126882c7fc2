import type { EnvDb } from '../../storage/index.ts'
import { AppError } from '../../shared/errors.ts'

/** Keys of the `_env` table. */
export type EnvSettingKey =
  | 'schema_version'
  | 'environment_id'
  | 'organization_name'
  | 'organization_id'
  | 'root_business_unit_id'
  | 'system_user_id'
  | 'default_team_id'
  | 'system_administrator_role_id'
  | 'basic_user_role_id'
  | 'provisioned_on'

/** Reads one `_env` value; undefined when unset. */
export async function readEnvSetting(db: EnvDb, key: EnvSettingKey): Promise<string | undefined> {
  const row = await db.selectFrom('_env').select('value').where('key', '=', key).executeTakeFirst()
  return row === undefined ? undefined : String(row['value'])
}

/** Reads one `_env` value that provisioning wrote. @throws AppError INVALID_STATE if unset */
export async function requireEnvSetting(db: EnvDb, key: EnvSettingKey): Promise<string> {
  const value = await readEnvSetting(db, key)
  if (value === undefined) {
    throw new AppError('INVALID_STATE', 'The environment database has not been provisioned.')
  }
  return value
}
