export {
  createEnvironmentDatabases,
  type DynamicDb,
  type EnvDb,
  type EnvironmentDatabases,
  type EnvironmentDatabasesOptions,
  type OpenEnvironmentKeys,
} from './environment-databases.ts'
export {
  isCorruptionError,
  openEncryptedDatabase,
  PAGE_CIPHERS,
  type OpenDatabaseOptions,
  type PageCipher,
} from './sqlite/open-encrypted-database.ts'
export { sqliteDialect, type SqliteDialectOptions } from './sqlite/sqlite-dialect.ts'
export { createChangeStamp, type ChangeStamp } from './sqlite/change-stamp.ts'
