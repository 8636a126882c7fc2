/**
 * Records: per-environment table metadata and records in Dataverse terms (tables, columns,
 * typed values, system columns, versionnumber concurrency), stored in the environment's
 * encrypted SQLite database.
 */
export type * from './model.ts'
export { COLUMN_TYPES, KEY_COLUMN_TYPES } from './model.ts'
export type { AddColumnInput } from './add-column.ts'
export type { CreateRecordOptions } from './create-record.ts'
export type { CreateTableInput } from './create-table.ts'
export { MAX_KEY_COLUMNS, MAX_KEYS_PER_TABLE, type CreateKeyInput } from './create-key.ts'
export { matchKey } from './find-record-by-key.ts'
export type { DeleteRecordOptions } from './delete-record.ts'
export type { QueryRecordsOptions, QueryRecordsResult } from './query-records.ts'
export {
  MAX_AGGREGATE_RECORDS,
  type AggregateRecordsOptions,
  type AggregateRow,
} from './aggregate-records.ts'
export type { RetrieveRecordOptions } from './retrieve-record.ts'
export type { UpdateRecordOptions } from './update-record.ts'
export type { ColumnEncryptionInput, ColumnEncryptionResult } from './set-column-encryption.ts'
export { securedRefusal, type ColumnSecuredResult } from './set-column-secured.ts'
export { ENCRYPTABLE_TYPES } from './cells/encryptable.ts'
export type { RecordOperation, RecordScope } from './record-scope.ts'
export {
  createRecordsService,
  type RecordOperations,
  type RecordsService,
  type RecordsServiceOptions,
} from './records-service.ts'
export { migrateEnvironmentDatabase, SCHEMA_VERSION } from './migrate-environment-database.ts'
export {
  provisionEnvironment,
  type ProvisionEnvironmentOptions,
  type ProvisionedIds,
} from './provision-environment.ts'
export { encodeValue, type StorageValue } from './encode-value.ts'
export { decodeValue } from './decode-value.ts'
export { defaultEntitySetName } from './entity-set-name.ts'
export { standardTables } from './standard-tables.ts'
export { maxLengthOf, precisionOf, rangeOf } from './column-defaults.ts'
