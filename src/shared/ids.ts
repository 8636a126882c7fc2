import { AppError } from './errors.ts'

declare const brand: unique symbol
export type Brand<T, B extends string> = T & { readonly [brand]: B }

export type TenantId = Brand<string, 'TenantId'>
export type EnvironmentId = Brand<string, 'EnvironmentId'>
export type KeyId = Brand<string, 'KeyId'>
export type RecordId = Brand<string, 'RecordId'>

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

/** Dataverse ids are GUIDs; we keep them lower-case, braces removed. */
export function parseGuid(value: string, what = 'id'): string {
  const v = value
    .trim()
    .replace(/^\{(.*)\}$/, '$1')
    .toLowerCase()
  if (!GUID.test(v)) {
    throw new AppError('VALIDATION', `The ${what} is not a GUID.`, {
      details: [
        { path: what, message: 'expected a GUID such as 00000000-0000-0000-0000-000000000000' },
      ],
    })
  }
  return v
}

export const isGuid = (value: string): boolean => GUID.test(value)

export const asTenantId = (v: string): TenantId => parseGuid(v, 'tenant id') as TenantId
export const asEnvironmentId = (v: string): EnvironmentId =>
  parseGuid(v, 'environment id') as EnvironmentId
export const asKeyId = (v: string): KeyId => parseGuid(v, 'key id') as KeyId
export const asRecordId = (v: string): RecordId => parseGuid(v, 'record id') as RecordId
