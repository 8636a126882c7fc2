import { createHash } from 'node:crypto'

/**
 * A deterministic MetadataId: SHA-256 of the kind and names, formatted as an RFC 9562 version 8
 * (custom) UUID. The same table or column has the same id in every environment, as standard
 * Dataverse tables do.
 */
export function metadataId(...names: readonly string[]): string {
  const h = createHash('sha256').update(names.join('\u0000')).digest()
  h[6] = ((h[6] ?? 0) & 0x0f) | 0x80
  h[8] = ((h[8] ?? 0) & 0x3f) | 0x80
  const hex = h.subarray(0, 16).toString('hex')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`
}

export const entityMetadataId = (table: string): string => metadataId('entity', table)
export const attributeMetadataId = (table: string, column: string): string =>
  metadataId('attribute', table, column)
export const keyMetadataId = (table: string, key: string): string =>
  metadataId('entitykey', table, key)
