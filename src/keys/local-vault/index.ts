export { openLocalVault } from './open-local-vault.ts'
export type { LocalVaultOptions } from './open-local-vault.ts'
