/** The purpose name under which app.ts derives the key sealing the signing keys. */
export const IDENTITY_SEALING_PURPOSE = 'identity-signing-keys'
