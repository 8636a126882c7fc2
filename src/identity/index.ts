/**
 * Identity: the built-in OpenID provider of each tenant (oidc-provider; client credentials for
 * application users now, interactive users later), verification of access tokens of any
 * trusted issuer, and application users of environments.
 */
export { groupSetKey, type Principal, type TokenVerifier } from './principal.ts'
export type { ApplicationUser, Caller, CreatedApplicationUser } from './application-user.ts'
export type {
  EnvironmentRecords,
  IdentityDirectory,
  IdentityEnvironment,
  IdentityServiceOptions,
} from './types.ts'
export {
  createIdentityService,
  DEFAULT_ACCESS_TOKEN_TTL_SECONDS,
  type IdentityService,
} from './identity-service.ts'
export {
  CLOCK_TOLERANCE_SECONDS,
  createTokenVerifier,
  MAX_TOKEN_LENGTH,
  UNAUTHORIZED_MESSAGE,
  type TokenVerifierOptions,
} from './verify-access-token.ts'
export {
  environmentNameOf,
  environmentOfHost,
  environmentUrl,
  issuerUrl,
  oidcMountPath,
  type Routing,
} from './urls.ts'
export { ASYMMETRIC_ALGS, type TrustedIssuer } from './trusted-issuers.ts'
export { SIGNING_ALG } from './signing-keys.ts'
export { IDENTITY_SEALING_PURPOSE } from './sealing.ts'
