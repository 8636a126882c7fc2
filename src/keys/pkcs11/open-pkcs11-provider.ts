import path from 'node:path'
import { AppError } from '../../shared/errors.ts'
import type { Clock } from '../../shared/clock.ts'
import { Lru } from '../../shared/lru.ts'
import { Mutex } from '../../shared/mutex.ts'
import type { Logger } from '../../shared/logger.ts'
import type { Random } from '../../shared/random.ts'
import type { Secret } from '../../shared/secret.ts'
import type { KeyProvider } from '../key-provider.ts'
import { createKey } from './create-key.ts'
import { describeKeyIn } from './describe-key.ts'
import { keyHealth } from './key-health.ts'
import type { Pkcs11Context } from './pkcs11-context.ts'
import { openPkcs11Session } from './pkcs11-session.ts'
import { rotateKey } from './rotate-key.ts'
import { setVersionStatus } from './set-version-status.ts'
import { unwrapKey } from './unwrap-key.ts'
import { wrapKey } from './wrap-key.ts'

/** Options of {@link openPkcs11Provider}. */
export interface Pkcs11ProviderOptions {
  /** Absolute path of the vendor's PKCS#11 module (for SoftHSM2: /usr/lib/softhsm/libsofthsm2.so). */
  readonly modulePath: string
  /** CKA_LABEL of the token (PKCS#11 v2.40 §3.2: at most 32 bytes of UTF-8). */
  readonly tokenLabel: string
  /** The user PIN, read by the caller from a file or the environment — never from argv. */
  readonly pin: Secret
  readonly random: Random
  readonly clock: Clock
  readonly logger: Logger
}

const MAX_TOKEN_LABEL_BYTES = 32
/** Key versions whose object handles are remembered between wraps/unwraps. */
const FOUND_VERSIONS = 256
const MAX_PIN_BYTES = 256

function assertOptions(opts: Pkcs11ProviderOptions): void {
  const invalid = (what: string): AppError =>
    new AppError('KEY_PROVIDER_INVALID', `The PKCS#11 provider settings are invalid: ${what}.`)
  if (!path.isAbsolute(opts.modulePath)) throw invalid('the module path must be absolute')
  const labelBytes = new TextEncoder().encode(opts.tokenLabel).length
  if (labelBytes === 0 || labelBytes > MAX_TOKEN_LABEL_BYTES) {
    throw invalid('the token label must be 1 to 32 bytes')
  }
  if (opts.pin.length === 0 || opts.pin.length > MAX_PIN_BYTES) {
    throw invalid('the PIN must be 1 to 256 bytes')
  }
}

/**
 * Opens a {@link KeyProvider} of kind `'pkcs11'` over one token of a PKCS#11 module. Keys are
 * generated in the token (RSA 2048/3072/4096 or AES-256), marked sensitive and non-extractable,
 * and never leave it: RSA keys unwrap with RSA-OAEP-SHA-256 in the token, AES keys wrap and
 * unwrap with AES-256-GCM in the token; the wrap context is bound as the OAEP label or GCM AAD.
 * Each key version is one token object (an RSA pair or an AES key) named by CKA_ID; a version
 * disabled clears CKA_DECRYPT, destroying calls C_DestroyObject, and a version deleted in the
 * HSM reports `destroyed` / health `missing`. See docs/keys.md.
 *
 * The token is not touched until first use, so the provider can be built while the HSM is
 * down; each use then reaches it (or fails with KEY_UNAVAILABLE).
 *
 * @throws AppError KEY_PROVIDER_INVALID when the settings are malformed or the module can't be
 * loaded.
 * @example
 * const hsm = openPkcs11Provider({ modulePath: '/usr/lib/softhsm/libsofthsm2.so',
 *   tokenLabel: 'strongroom', pin, random: cryptoRandom, clock: systemClock, logger })
 */
export function openPkcs11Provider(opts: Pkcs11ProviderOptions): KeyProvider {
  assertOptions(opts)
  const session = openPkcs11Session({
    modulePath: opts.modulePath,
    tokenLabel: opts.tokenLabel,
    pin: opts.pin,
    logger: opts.logger,
  })
  const ctx: Pkcs11Context = {
    session,
    random: opts.random,
    clock: opts.clock,
    logger: opts.logger,
    oaep: { mode: 'unknown' },
    found: new Lru(FOUND_VERSIONS, () => undefined),
    changes: new Mutex(),
  }
  return {
    kind: 'pkcs11',
    createKey: (o) => createKey(ctx, o),
    describeKey: (keyId) => session.run((h) => describeKeyIn(h, keyId), { retry: true }),
    rotateKey: (keyId) => rotateKey(ctx, keyId),
    setVersionStatus: (ref, status) => setVersionStatus(ctx, ref, status),
    wrap: (ref, plaintext, context) => wrapKey(ctx, ref, plaintext, context),
    unwrap: (ref, wrapped, context) => unwrapKey(ctx, ref, wrapped, context),
    health: (ref) => keyHealth(ctx, ref),
    close: () => {
      session.close()
    },
  }
}
