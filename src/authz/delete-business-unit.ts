import { AppError } from '../shared/errors.ts'
import { actorOf, type Caller } from './caller.ts'
import { requireUnitPrivilege, unitOf, units } from './business-unit-support.ts'
import { SECURITY_ROWS_LIMIT } from './security-rows.ts'
import type { SharingDeps } from './share-support.ts'

/**
 * Deletes a business unit and its default team, in one transaction. Needs
 * prvDeletebusinessunit. Refused (409 IN_USE, naming what is left) while the unit has child
 * units, users or teams other than its default team; records still owned in the unit (by its
 * default team) make the records layer refuse (IN_USE). The root can't be deleted.
 *
 * @throws AppError FORBIDDEN, RECORD_NOT_FOUND, IN_USE, RECORD_INVALID (root)
 */
export async function deleteBusinessUnit(
  deps: SharingDeps,
  caller: Caller,
  id: string,
): Promise<void> {
  await requireUnitPrivilege(deps, caller, 'Delete')
  await deps.records.transaction(deps.env, async (records) => {
    const tx = { records, env: deps.env }
    const all = await units(tx)
    const unit = unitOf(all, id)
    if (unit.parentId === undefined) {
      throw new AppError('RECORD_INVALID', "The root business unit can't be deleted.")
    }
    const inUnit = async (table: string, select: string[]) =>
      (
        await records.queryRecords(
          deps.env,
          table,
          { count: false, select },
          { limit: SECURITY_ROWS_LIMIT },
        )
      ).records.filter((r) => r['businessunitid'] === unit.id)
    const children = all.filter((u) => u.parentId === unit.id).length
    const users = (await inUnit('systemuser', ['systemuserid', 'businessunitid'])).length
    const teams = await inUnit('team', ['teamid', 'businessunitid', 'isdefault'])
    const defaults = teams.filter((t) => t['isdefault'] === true)
    const others = teams.length - defaults.length
    if (children + users + others > 0) {
      throw new AppError(
        'IN_USE',
        `The business unit '${unit.name}' still has ${String(children)} child unit(s), ${String(users)} user(s) and ${String(others)} team(s) besides its default team; move or delete them first.`,
      )
    }
    const actor = actorOf(caller)
    for (const team of defaults) {
      await records.deleteRecord(deps.env, 'team', String(team['teamid']), actor)
    }
    await records.deleteRecord(deps.env, 'businessunit', unit.id, actor)
  })
}
