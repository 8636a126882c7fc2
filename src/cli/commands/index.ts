import type { Command } from '../command.ts'
import { appCreate, appDelete, appList } from './app.ts'
import {
  envCreate,
  envDelete,
  envDisable,
  envEnable,
  envList,
  envPurge,
  envRecover,
  envShow,
  envUnlock,
} from './env.ts'
import { init } from './init.ts'
import {
  keyCreate,
  keyImport,
  keyList,
  keyRestore,
  keyRetire,
  keyRevoke,
  keyRotate,
  keyShow,
} from './key.ts'
import { policyAddEnv, policyCreate, policyList, policyRemoveEnv } from './policy.ts'
import { quickstart } from './quickstart.ts'
import {
  columnSecure,
  columnUnsecure,
  fspAddMember,
  fspCreate,
  fspGrant,
  fspList,
} from './column-security.ts'
import { serve } from './serve.ts'
import { recordCreate, recordDelete, recordGet, recordList, recordUpdate } from './record.ts'
import {
  columnAdd,
  columnDecrypt,
  columnEncrypt,
  tableCreate,
  tableKeyAdd,
  tableKeyDelete,
  tableKeyList,
  tableList,
  tableShow,
} from './table.ts'
import { tenantCreate, tenantHistory, tenantList } from './tenant.ts'

/** Every command, in the order `help` lists them. */
export const COMMANDS: readonly Command[] = [
  init,
  serve,
  quickstart,
  tenantCreate,
  tenantList,
  tenantHistory,
  envCreate,
  envList,
  envShow,
  envDelete,
  envRecover,
  envPurge,
  envDisable,
  envEnable,
  envUnlock,
  keyCreate,
  keyImport,
  keyList,
  keyShow,
  keyRotate,
  keyRetire,
  keyRevoke,
  keyRestore,
  policyCreate,
  policyAddEnv,
  policyRemoveEnv,
  policyList,
  tableCreate,
  tableList,
  tableShow,
  columnAdd,
  tableKeyAdd,
  tableKeyList,
  tableKeyDelete,
  columnEncrypt,
  columnDecrypt,
  columnSecure,
  columnUnsecure,
  fspCreate,
  fspList,
  fspGrant,
  fspAddMember,
  recordCreate,
  recordGet,
  recordList,
  recordUpdate,
  recordDelete,
  appCreate,
  appList,
  appDelete,
]
