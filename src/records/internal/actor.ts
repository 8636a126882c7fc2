import type { EnvDb } from '../../storage/index.ts'
import { AppError } from '../../shared/errors.ts'
import { isGuid } from '../../shared/ids.ts'
import type { TableCatalog } from './table-catalog.ts'

/**
 * Checks that the acting user (createdby/modifiedby) is a systemuser of this environment and
 * returns its id.
 *
 * @throws AppError VALIDATION when it is not a GUID or not a user here; INVALID_STATE when the
 *   environment was never provisioned
 */
export async function checkActor(
  trx: EnvDb,
  catalog: TableCatalog,
  actorId: string,
): Promise<string> {
  const fail = (): AppError =>
    new AppError('VALIDATION', 'The acting user is not a user of this environment.', {
      details: [{ path: 'actorId', message: 'no such systemuser' }],
    })
  const users = catalog.byName.get('systemuser')
  if (users === undefined) {
    throw new AppError('INVALID_STATE', 'The environment database has not been provisioned.')
  }
  if (!isGuid(actorId)) throw fail()
  const row = await trx
    .selectFrom(users.name)
    .select(users.primaryIdColumn)
    .where(users.primaryIdColumn, '=', actorId)
    .executeTakeFirst()
  if (row === undefined) throw fail()
  return actorId
}
