import type { Operation } from './operation.ts'

/** Preference-Applied for the preferences a read honoured (RFC 7240 §3; dataverse-spec §7). */
export function appliedPreferences(op: Operation): Record<string, string> {
  const applied: string[] = []
  if (op.prefer.maxPageSize !== undefined) {
    applied.push(`odata.maxpagesize=${op.prefer.maxPageSize}`)
  }
  if (op.prefer.annotationsText !== undefined) {
    applied.push(`odata.include-annotations="${op.prefer.annotationsText}"`)
  }
  return applied.length === 0 ? {} : { 'Preference-Applied': applied.join(',') }
}

/** OData-EntityId for a record (dataverse-spec §7: create and upsert answer with it). */
export function entityIdHeader(op: Operation, set: string, id: string): Record<string, string> {
  return { 'OData-EntityId': `${op.api.webApiUrl}${set}(${id})` }
}
