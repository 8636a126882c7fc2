import type { Expression, ExpressionBuilder, SqlBool } from 'kysely'
import type { EnvironmentId } from '../shared/ids.ts'
import type { SecurityRows } from './load-security-context.ts'

/** The part of the records service the security reads use (identity's port has the same shape). */
export interface RecordQueries {
  queryRecords(
    env: EnvironmentId,
    table: string,
    options: { readonly count: boolean; readonly select?: readonly string[] },
    extra: {
      readonly where?: (
        eb: ExpressionBuilder<Record<string, Record<string, unknown>>, string>,
      ) => Expression<SqlBool>
      readonly limit?: number
    },
  ): Promise<{ readonly records: readonly Readonly<Record<string, unknown>>[] }>
}

/** The most rows one security-table read returns (a user's assignments, a role's privileges). */
export const SECURITY_ROWS_LIMIT = 100_000

/** SecurityRows over the records layer, reading as the system (no scope). */
export function securityRowsOf(records: RecordQueries, env: EnvironmentId): SecurityRows {
  return {
    select: async (table, columns, where) => {
      const entries = Object.entries(where)
      const result = await records.queryRecords(
        env,
        table,
        { count: false, select: columns },
        {
          ...(entries.length === 0
            ? {}
            : {
                where: (eb) => eb.and(entries.map(([c, values]) => eb(eb.ref(c), 'in', values))),
              }),
          limit: SECURITY_ROWS_LIMIT,
        },
      )
      return result.records
    },
  }
}
