import type { RecordData, RecordOperations, TableDef } from '../records/index.ts'
import type { EnvironmentId } from '../shared/ids.ts'
import { actingAlone, type Caller } from './caller.ts'
import {
  columnAccess,
  filterColumns,
  isSystemAdministrator,
  maskRecord,
  refuseUnreadableColumns,
  refuseUnwritableColumns,
  sharePrincipals,
  unreadableIn,
  type ColumnAccess,
} from './column-access.ts'
import { readColumnShares } from './read-column-shares.ts'

/** The record operations column security guards (the OData layer's RecordsApi has them). */
export type ColumnSecuredOperations = Pick<
  RecordOperations,
  | 'getTable'
  | 'createRecord'
  | 'retrieveRecord'
  | 'findRecordIdByKey'
  | 'updateRecord'
  | 'queryRecords'
  | 'countRecords'
  | 'aggregateRecords'
  | 'transaction'
>

/**
 * The enforcement point of column security (docs/authz.md §12): `records` as `caller` may use
 * them. Every read, query, count, key lookup and write of a record made through the result is
 * checked against columnAccess — a secured column the caller can't read is null in every
 * record (unless that record's column is shared with it), refused in $filter, $orderby and
 * alternate keys, and setting one without Create/Update is refused — and so is every
 * operation of a unit of work opened on it. The OData handler wraps its records with it once
 * per Caller object, so retrieve, query, $expand, $count, $batch parts, upsert and
 * single-property reads and writes all pass here.
 */
export function withColumnSecurity<T extends ColumnSecuredOperations>(
  records: T,
  caller: Caller,
): T {
  // Impersonation (docs/authz.md §8): both users' column security, one inside the other, so
  // a value is seen only if both may read it (each with its own profiles and column shares),
  // and a filter, sort, key or write passes only if both may.
  if (caller.impersonator !== undefined) {
    return withColumnSecurity(withColumnSecurity(records, caller.impersonator), actingAlone(caller))
  }
  // System Administrators reach every secured column: no per-call catalog read for them.
  if (isSystemAdministrator(caller)) return records
  const accessOf = async (
    env: EnvironmentId,
    table: string,
  ): Promise<{ def: TableDef; access: ColumnAccess | undefined }> => {
    const def = await records.getTable(env, table)
    return { def, access: columnAccess(caller, def) }
  }
  const mask = async (
    env: EnvironmentId,
    def: TableDef,
    access: ColumnAccess,
    rows: readonly RecordData[],
  ): Promise<RecordData[]> => {
    const columns = unreadableIn(access, rows)
    if (columns.length === 0) return [...rows]
    const ids = rows.flatMap((r) => {
      const id = r[def.primaryIdColumn]
      return typeof id === 'string' ? [id] : []
    })
    const shares = await readColumnShares(
      records,
      env,
      def.name,
      ids,
      columns,
      sharePrincipals(caller),
      'readaccess',
    )
    return rows.map((r) => maskRecord(r, access, shares.get(String(r[def.primaryIdColumn]))))
  }
  const guarded: ColumnSecuredOperations = {
    getTable: (env, name) => records.getTable(env, name),
    async createRecord(env, table, data, options) {
      const { access } = await accessOf(env, table)
      refuseUnwritableColumns(caller, access, data, 'create')
      return records.createRecord(env, table, data, options)
    },
    async retrieveRecord(env, table, id, options) {
      const { def, access } = await accessOf(env, table)
      const record = await records.retrieveRecord(env, table, id, options)
      if (access === undefined) return record
      const [masked] = await mask(env, def, access, [record])
      return masked ?? record
    },
    async findRecordIdByKey(env, table, values) {
      const { access } = await accessOf(env, table)
      refuseUnreadableColumns(caller, access, Object.keys(values), 'an alternate key')
      return records.findRecordIdByKey(env, table, values)
    },
    async updateRecord(env, table, id, data, options) {
      const { access } = await accessOf(env, table)
      if (access !== undefined) {
        const wanted = Object.keys(data).filter((c) => access.noUpdate.has(c))
        const shares =
          wanted.length === 0
            ? undefined
            : await readColumnShares(
                records,
                env,
                access.table,
                [id],
                wanted,
                sharePrincipals(caller),
                'updateaccess',
              )
        refuseUnwritableColumns(caller, access, data, 'update', shares?.get(id))
      }
      return records.updateRecord(env, table, id, data, options)
    },
    async queryRecords(env, table, options, extra) {
      const { def, access } = await accessOf(env, table)
      if (access === undefined) return records.queryRecords(env, table, options, extra)
      refuseUnreadableColumns(caller, access, filterColumns(options.filter), '$filter')
      refuseUnreadableColumns(
        caller,
        access,
        (options.orderBy ?? []).map((o) => o.column),
        '$orderby',
      )
      const result = await records.queryRecords(env, table, options, extra)
      return { ...result, records: await mask(env, def, access, result.records) }
    },
    async countRecords(env, table, options, extra) {
      const { access } = await accessOf(env, table)
      refuseUnreadableColumns(caller, access, filterColumns(options.filter), '$filter')
      return records.countRecords(env, table, options, extra)
    },
    async aggregateRecords(env, table, apply, extra) {
      // Grouping or aggregating a column reveals its values: every column $apply touches must
      // be readable on every record (a per-record column share doesn't extend to aggregates).
      const { access } = await accessOf(env, table)
      refuseUnreadableColumns(
        caller,
        access,
        [
          ...filterColumns(apply.filter),
          ...apply.groupBy.map((g) => g.column),
          ...apply.aggregates.flatMap((a) => (a.kind === 'method' ? [a.column] : [])),
        ],
        '$apply',
      )
      return records.aggregateRecords(env, table, apply, extra)
    },
    transaction: (env, fn) => records.transaction(env, (tx) => fn(withColumnSecurity(tx, caller))),
  }
  return { ...records, ...guarded }
}
