import type { KeyHealth, KeyRef } from '../key-provider.ts'
import * as rows from '../key-store/key-rows.ts'
import type { ByokContext } from './byok-context.ts'
import { BYOK_TABLES } from './byok-rows.ts'

/** An uploaded key version's health now (see key-store keyHealth). Never throws. */
export const keyHealth = (ctx: ByokContext | undefined, ref: KeyRef): KeyHealth =>
  rows.keyHealth(ctx?.db, BYOK_TABLES, ref)
