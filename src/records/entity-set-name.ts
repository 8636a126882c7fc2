/**
 * The default entity set name of a table: the English plural of its logical name, as
 * Dataverse makes it (account → accounts, opportunity → opportunities, address → addresses).
 */
export function defaultEntitySetName(name: string): string {
  if (/[^aeiou]y$/.test(name)) return `${name.slice(0, -1)}ies`
  if (/(?:s|x|ch|sh)$/.test(name)) return `${name}es`
  return `${name}s`
}

/** A display name from a logical name: new_widget → 'New Widget'. */
export function defaultDisplayName(name: string): string {
  return name
    .split('_')
    .filter((part) => part !== '')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join(' ')
}
