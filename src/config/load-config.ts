import { existsSync, readFileSync, statSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { z } from 'zod'
import { AppError } from '../shared/errors.ts'
import type { LogLevel } from '../shared/logger.ts'
import { parseSlug } from '../shared/names.ts'
import type { SecretSource } from './read-secret-file.ts'
import { FILE_SETTINGS, type FileSettings } from './settings.ts'

export const CONFIG_FILE = 'strongroom.json'

/** Where the master key comes from; the key itself is read by keys/master-key. */
export type MasterKeySource =
  | { readonly kind: 'value'; readonly text: string }
  | { readonly kind: 'file'; readonly path: string }

export interface Config extends FileSettings {
  readonly dataDir: string
  readonly masterKey: MasterKeySource
  readonly logLevel: LogLevel
  /** The HSM user PIN's source (STRONGROOM_PKCS11_PIN, else keyProviders.pkcs11.pinFile). */
  readonly pkcs11Pin: SecretSource | undefined
}

export interface ConfigInput {
  /** The process environment (only this module reads it). */
  readonly env: Readonly<Record<string, string | undefined>>
  /** --data-dir from the command line, which wins over STRONGROOM_DATA_DIR. */
  readonly dataDir?: string | undefined
  readonly cwd: string
}

const LOG_LEVEL = z.enum(['debug', 'info', 'warn', 'error'])

/**
 * Reads the configuration once, at start-up, and fails fast with a precise message.
 * The data directory's own settings file is optional until `init` writes it.
 */
export function loadConfig(input: ConfigInput): Config {
  const dataDirText = input.dataDir ?? input.env['STRONGROOM_DATA_DIR'] ?? './data'
  if (dataDirText.length === 0 || dataDirText.length > 1024 || dataDirText.includes('\0')) {
    throw new AppError('DATA_DIR_INVALID', 'The data directory path is empty or too long.')
  }
  const dataDir = resolve(input.cwd, dataDirText)
  if (existsSync(dataDir) && !statSync(dataDir).isDirectory()) {
    throw new AppError('DATA_DIR_INVALID', 'The data directory path is not a directory.')
  }

  const logLevel = LOG_LEVEL.safeParse(input.env['STRONGROOM_LOG_LEVEL'] ?? 'info')
  if (!logLevel.success) {
    throw new AppError(
      'DATA_DIR_INVALID',
      'STRONGROOM_LOG_LEVEL must be debug, info, warn or error.',
    )
  }

  const keyText = input.env['STRONGROOM_MASTER_KEY']
  const keyFile = input.env['STRONGROOM_MASTER_KEY_FILE']
  const masterKey: MasterKeySource =
    keyText !== undefined && keyText !== ''
      ? { kind: 'value', text: keyText }
      : { kind: 'file', path: resolve(input.cwd, keyFile ?? join(dataDir, 'master.key')) }

  const settings = readFileSettings(join(dataDir, CONFIG_FILE))
  const pinText = input.env['STRONGROOM_PKCS11_PIN']
  const pinFile = settings.keyProviders.pkcs11?.pinFile
  const pkcs11Pin: SecretSource | undefined =
    pinText !== undefined && pinText !== ''
      ? { kind: 'value', text: pinText }
      : pinFile !== undefined
        ? { kind: 'file', path: resolve(dataDir, pinFile) }
        : undefined

  return Object.freeze({
    dataDir,
    masterKey,
    logLevel: logLevel.data,
    pkcs11Pin,
    ...settings,
  })
}

export function readFileSettings(path: string): FileSettings {
  let raw: unknown = {}
  if (existsSync(path)) {
    try {
      raw = JSON.parse(readFileSync(path, 'utf8'))
    } catch (cause) {
      throw new AppError('DATA_DIR_INVALID', `${CONFIG_FILE} is not valid JSON.`, { cause })
    }
  }
  const parsed = FILE_SETTINGS.safeParse(raw)
  if (!parsed.success) {
    throw new AppError('DATA_DIR_INVALID', `${CONFIG_FILE} has invalid settings.`, {
      details: parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
    })
  }
  const names = new Set<string>()
  for (const region of parsed.data.regions) {
    parseSlug(region.name, 'region name')
    if (names.has(region.name)) {
      throw new AppError('DATA_DIR_INVALID', `Region '${region.name}' is configured twice.`)
    }
    names.add(region.name)
  }
  return parsed.data
}

/** The settings file `init` writes: every default spelled out, for the operator to edit. */
export function defaultFileSettings(): FileSettings {
  return FILE_SETTINGS.parse({})
}
