import type { KeyHealth, KeyRef } from '../key-provider.ts'
import * as rows from '../key-store/key-rows.ts'
import type { VaultContext } from './vault-context.ts'
import { VAULT_TABLES } from './vault-rows.ts'

/** A vault key version's health now (see key-store keyHealth). Never throws. */
export const keyHealth = (ctx: VaultContext | undefined, ref: KeyRef): KeyHealth =>
  rows.keyHealth(ctx?.db, VAULT_TABLES, ref)
