import { existsSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Secret } from '../shared/secret.ts'
import { AEAD_KEY_LENGTH, decryptFailed, open } from './aead.ts'

/**
 * Opens a message that {@link seal} made of UTF-8 text, straight to a string: the read path of
 * encrypted columns (one call per cell). `sealed` is the message, or its hex text as a point
 * read selects it. Every failure — not hex, unknown format, truncated, altered, another key or
 * other associated data — is DECRYPT_FAILED, and no plaintext escapes.
 */
export interface TextOpener {
  /** `native`: the one-shot addon (native/aead); `node`: node:crypto's stream objects. */
  readonly backend: 'native' | 'node'
  /** @throws AppError DECRYPT_FAILED */
  open(key: Secret, sealed: Uint8Array | string, aad: Uint8Array): string
}

const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

/** The TextOpener on node:crypto alone (`open`, then a strict UTF-8 decode). */
export function nodeTextOpener(): TextOpener {
  return {
    backend: 'node',
    open(key, sealed, aad) {
      const blob = typeof sealed === 'string' ? hexBytes(sealed) : sealed
      if (blob === undefined) throw decryptFailed()
      const bytes = open(key, blob, aad)
      try {
        return UTF8.decode(bytes)
      } catch (e) {
        throw decryptFailed(e)
      } finally {
        bytes.fill(0)
      }
    },
  }
}

/** The addon's one export (native/aead/aead.c). */
interface NativeAead {
  openText(key: Uint8Array, sealed: Uint8Array | string, aad: Uint8Array): string | undefined
}

/** Where `npm install` builds the addon, relative to the package root. */
const ADDON = join('native', 'aead', 'build', 'Release', 'strongroom_aead.node')

/**
 * The TextOpener on the native addon (native/aead: AES-256-GCM in one call through the OpenSSL
 * that Node links, no stream object, no garbage but the string), or undefined when the addon
 * isn't built (`npm install --ignore-scripts`, no compiler) or doesn't load. The layout and the
 * algorithm are those of `seal`: the two openers read the same cells, and refuse the same
 * ones (the addon checks the plaintext is well-formed UTF-8 as nodeTextOpener's fatal decoder
 * does). It wipes its plaintext buffers and resets its cipher context before each call returns.
 */
export function nativeTextOpener(): TextOpener | undefined {
  const addon = loadAddon()
  if (addon === undefined) return undefined
  return {
    backend: 'native',
    open(key, sealed, aad) {
      const bytes = key.expose()
      // A wrong-sized key is a programmer error, not bad input (STYLE §5.7).
      if (bytes.length !== AEAD_KEY_LENGTH)
        throw new RangeError(`AES-256-GCM needs a ${String(AEAD_KEY_LENGTH)}-byte key`)
      const text = addon.openText(bytes, sealed, aad)
      if (text === undefined) throw decryptFailed()
      return text
    },
  }
}

/** The fastest TextOpener that works here: native when built, node:crypto otherwise. */
export function defaultTextOpener(): TextOpener {
  return nativeTextOpener() ?? nodeTextOpener()
}

function loadAddon(): NativeAead | undefined {
  const root = packageRoot(dirname(fileURLToPath(import.meta.url)))
  if (root === undefined) return undefined
  const path = join(root, ADDON)
  if (!existsSync(path)) return undefined
  try {
    const addon = createRequire(import.meta.url)(path) as Partial<NativeAead>
    return typeof addon.openText === 'function' ? (addon as NativeAead) : undefined
  } catch {
    // Built for another Node ABI or platform: node:crypto serves instead.
    return undefined
  }
}

/**
 * Strongroom's package root: the nearest folder above `dir` with a package.json, when that is
 * Strongroom's own (the module runs from build/src/ in tests and dist/ in the package). Only
 * there is an addon looked for, never in a folder further up.
 */
function packageRoot(dir: string): string | undefined {
  for (let at = dir; ; at = dirname(at)) {
    const manifest = join(at, 'package.json')
    if (existsSync(manifest)) {
      try {
        const { name } = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown }
        return name === 'strongroom' ? at : undefined
      } catch {
        return undefined
      }
    }
    if (dirname(at) === at) return undefined
  }
}

/**
 * Hex text as bytes. Strict: Buffer.from stops at the first pair that isn't hex, so text that
 * doesn't decode whole is refused rather than half-read.
 */
function hexBytes(text: string): Uint8Array | undefined {
  const bytes = Buffer.from(text, 'hex')
  return bytes.length * 2 === text.length ? bytes : undefined
}
