// Compiled, never run: each @ts-expect-error line must fail to type-check (STYLE §8).
import type { EnvironmentId, TenantId } from '../../src/shared/ids.ts'
import { Secret } from '../../src/shared/secret.ts'

declare const tenant: TenantId
declare const env: EnvironmentId
declare function useEnvironment(id: EnvironmentId): void

useEnvironment(env)
// @ts-expect-error a TenantId is not an EnvironmentId
useEnvironment(tenant)
// @ts-expect-error a plain string is not an EnvironmentId
useEnvironment('00000000-0000-0000-0000-000000000000')

// @ts-expect-error key material can't be used as a string
export const leaked: string = new Secret(new Uint8Array(32))
