import type { RecordOperations } from '../records/index.ts'
import type { EnvironmentId } from '../shared/ids.ts'

/** How many record ids one share probe names (SQLite parameter limits stay far away). */
const CHUNK = 500

/**
 * Per-record column shares (principalobjectattributeaccess, dataverse-spec §3): for each of
 * `ids`, the columns of `table` shared with any of `principals` with `access`. Read live (as
 * the system) on every request, so a share or its removal takes effect at once.
 */
export async function readColumnShares(
  records: Pick<RecordOperations, 'queryRecords'>,
  env: EnvironmentId,
  table: string,
  ids: readonly string[],
  columns: readonly string[],
  principals: readonly string[],
  access: 'readaccess' | 'updateaccess',
): Promise<ReadonlyMap<string, ReadonlySet<string>>> {
  const shared = new Map<string, Set<string>>()
  if (ids.length === 0 || columns.length === 0 || principals.length === 0) return shared
  for (let i = 0; i < ids.length; i += CHUNK) {
    const chunk = ids.slice(i, i + CHUNK)
    const result = await records.queryRecords(
      env,
      'principalobjectattributeaccess',
      { count: false, select: ['objectid', 'attributelogicalname'] },
      {
        where: (eb) =>
          eb.and([
            eb(eb.ref('objecttypecode'), '=', table),
            eb(eb.ref('objectid'), 'in', chunk),
            eb(eb.ref('attributelogicalname'), 'in', columns),
            eb(eb.ref('principalid'), 'in', principals),
            eb(eb.ref(access), '=', 1),
          ]),
        limit: chunk.length * columns.length * principals.length,
      },
    )
    for (const r of result.records) {
      const id = String(r['objectid'])
      let set = shared.get(id)
      if (set === undefined) shared.set(id, (set = new Set()))
      set.add(String(r['attributelogicalname']))
    }
  }
  return shared
}
