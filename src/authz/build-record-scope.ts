import type { Expression, SqlBool } from 'kysely'
import type { DynamicExpressionBuilder } from '../query/index.ts'
import type { RecordScope, TableDef } from '../records/index.ts'
import { ACCESS_RIGHT_MASK, type Right } from './privileges.ts'
import type { TablePrivilege } from './table-privilege.ts'

/** The internal BU closure table (docs/authz.md §2.2), kept by triggers on businessunit. */
export const BU_CLOSURE = '_bu_closure'
/** The share table (Dataverse PrincipalObjectAccess). */
export const POA = 'principalobjectaccess'

/**
 * The SQL row predicate of a TablePrivilege on a user-owned table (docs/authz.md §5):
 *
 *   ownerid IN (owners) OR owningbusinessunit IN (local BUs)
 *   OR owningbusinessunit IN (SELECT descendantid FROM _bu_closure WHERE ancestorid IN (deep))
 *   OR EXISTS (a POA row for the record, one of the principals, with the right's flag)
 *
 * Every value is a bound parameter; table and column names come from TableDef metadata.
 */
export function scopePredicate(
  eb: DynamicExpressionBuilder,
  privilege: TablePrivilege,
  table: TableDef,
  right: Right,
): Expression<SqlBool> {
  const col = (name: string) => eb.ref(`${table.name}.${name}`)
  const terms: Expression<SqlBool>[] = []
  if (privilege.owners.length > 0) terms.push(eb(col('ownerid'), 'in', privilege.owners))
  if (privilege.localBusinessUnits.length > 0) {
    terms.push(eb(col('owningbusinessunit'), 'in', privilege.localBusinessUnits))
  }
  if (privilege.deepBusinessUnits.length > 0) {
    terms.push(
      eb(
        col('owningbusinessunit'),
        'in',
        eb
          .selectFrom(`${BU_CLOSURE} as _buc`)
          .select('_buc.descendantid')
          .where('_buc.ancestorid', 'in', privilege.deepBusinessUnits),
      ),
    )
  }
  if (privilege.sharePrincipals.length > 0) {
    terms.push(
      eb.exists(
        eb
          .selectFrom(`${POA} as _poa`)
          .select('_poa.objectid')
          .where('_poa.objectid', '=', col(table.primaryIdColumn))
          .where('_poa.objecttypecode', '=', table.name)
          .where('_poa.principalid', 'in', privilege.sharePrincipals)
          .where(
            (p) =>
              p(
                p(p.ref('_poa.accessrightsmask'), '|', p.ref('_poa.inheritedaccessrightsmask')),
                '&',
                ACCESS_RIGHT_MASK[right],
              ),
            '!=',
            0,
          ),
      ),
    )
  }
  return eb.or(terms)
}

/**
 * The RecordScope for a resolved privilege: undefined when it reaches every row (Organization
 * depth, or any privilege on an organization-owned table), else the predicate above. Records
 * outside it are reported as not found (docs/authz.md §6).
 */
export function buildRecordScope(
  privilege: TablePrivilege,
  table: TableDef,
  right: Right,
): RecordScope | undefined {
  if (privilege.global || table.ownership === 'organization') return undefined
  return { where: (eb, t) => scopePredicate(eb, privilege, t, right) }
}
