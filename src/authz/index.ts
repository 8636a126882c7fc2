export type { Caller } from './caller.ts'
export { BASIC_USER, recordAccess, SYSTEM_ADMINISTRATOR } from './record-access.ts'
