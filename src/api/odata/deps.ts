import type { ControlContext } from '../../control/context.ts'
import type { RecordsService } from '../../records/index.ts'
import type { Clock } from '../../shared/clock.ts'
import type { Logger } from '../../shared/logger.ts'
import type { Random } from '../../shared/random.ts'

/**
 * The part of the records service the OData layer uses. $batch passes a transaction-bound
 * implementation for change sets, so the handler reaches records only through this.
 */
export type RecordsApi = Pick<
  RecordsService,
  | 'readProvisionedIds'
  | 'listTables'
  | 'getTable'
  | 'createRecord'
  | 'retrieveRecord'
  | 'findRecordIdByKey'
  | 'updateRecord'
  | 'deleteRecord'
  | 'queryRecords'
  | 'countRecords'
  | 'aggregateRecords'
  | 'transaction'
>

/** Size limits of the OData layer (dataverse-spec §7 Query options, Limits). */
export interface ODataLimits {
  /** dataverse-spec §7: odata.maxpagesize is at most (and by default) 5,000. */
  readonly maxPageSize: number
  /** Navigation properties in one $expand. */
  readonly maxExpand: number
  /** Properties of a JSON request body. */
  readonly maxBodyProperties: number
  /** Length of a property name in a request body. */
  readonly maxPropertyNameLength: number
  /**
   * Rows one collection-valued $expand may add to a response (as $apply's 50,000): without it
   * 5,000 parents × 5,000 children would be 25 million rows in one answer.
   */
  readonly maxExpandedRows: number
  /** dataverse-spec §7: a $apply aggregation reads at most 50,000 records. */
  readonly maxAggregateRecords: number
}

export const DEFAULT_ODATA_LIMITS: ODataLimits = {
  maxPageSize: 5000,
  maxExpand: 10,
  maxBodyProperties: 1000,
  maxPropertyNameLength: 128,
  maxExpandedRows: 50_000,
  maxAggregateRecords: 50_000,
}

/** What createODataHandler needs. */
export interface ODataDeps {
  readonly records: RecordsApi
  /** Not used yet; reserved for control-plane lookups (organization settings). */
  readonly control?: ControlContext
  readonly clock: Clock
  readonly random: Random
  readonly logger: Logger
  readonly limits?: Partial<ODataLimits>
}
