export { openPkcs11Provider } from './open-pkcs11-provider.ts'
export type { Pkcs11ProviderOptions } from './open-pkcs11-provider.ts'
