import { AppError } from '../shared/errors.ts'
import { actorOf, type Caller } from './caller.ts'
import { CYCLE_MESSAGE, requireUnitPrivilege, unitOf, units } from './business-unit-support.ts'
import type { SharingDeps } from './share-support.ts'

/**
 * Moves a business unit (with its subtree) under another parent; every scope follows on the
 * next request (the closure's triggers, §2.2). Needs prvWritebusinessunit. The root can't be
 * moved; a parent inside the moved subtree is refused with a clean error before the write (the
 * trigger's RAISE(ABORT) stays the backstop).
 *
 * @throws AppError FORBIDDEN, RECORD_NOT_FOUND, RECORD_INVALID (cycle, root)
 */
export async function moveBusinessUnit(
  deps: SharingDeps,
  caller: Caller,
  id: string,
  parentId: string,
): Promise<void> {
  await requireUnitPrivilege(deps, caller, 'Write')
  await deps.records.transaction(deps.env, async (records) => {
    const all = await units({ records, env: deps.env })
    const unit = unitOf(all, id)
    let cursor: string | undefined = unitOf(all, parentId).id
    if (unit.parentId === undefined) {
      throw invalid("the root business unit can't be moved")
    }
    for (let hops = 0; cursor !== undefined && hops <= all.length; hops += 1) {
      if (cursor === unit.id) throw new AppError('RECORD_INVALID', CYCLE_MESSAGE, cycleDetails)
      cursor = all.find((u) => u.id === cursor)?.parentId
    }
    await records.updateRecord(
      deps.env,
      'businessunit',
      unit.id,
      { parentbusinessunitid: parentId.toLowerCase() },
      actorOf(caller),
    )
  })
}

const cycleDetails = {
  details: [
    {
      path: 'parentbusinessunitid',
      message: "a business unit can't be moved under itself or one of its descendants",
    },
  ],
}

const invalid = (message: string): AppError =>
  new AppError('RECORD_INVALID', `Column 'parentbusinessunitid': ${message}.`, {
    details: [{ path: 'parentbusinessunitid', message }],
  })
