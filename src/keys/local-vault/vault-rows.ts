import { KEY_TYPES, type KeyRef, type ProviderKeyInfo } from '../key-provider.ts'
import * as rows from '../key-store/key-rows.ts'
import type { VaultContext } from './vault-context.ts'

export { keyNotFound, type VersionRow } from '../key-store/key-rows.ts'

/** The local vault's tables (see key-store/key-rows). */
export const VAULT_TABLES: rows.KeyTables = {
  keys: 'keys',
  versions: 'key_versions',
  types: KEY_TYPES,
}

/** Reads a key and its versions in one read transaction (one WAL snapshot). */
export const readKeyInfo = (ctx: VaultContext, keyId: string): ProviderKeyInfo =>
  rows.readKeyInfo(ctx.db, VAULT_TABLES, keyId)

/** Reads one key version's type, status and sealed material. @throws AppError KEY_NOT_FOUND */
export const readVersion = (ctx: VaultContext, ref: KeyRef): rows.VersionRow =>
  rows.readVersion(ctx.db, VAULT_TABLES, ref)
