import { initDataDir, openStrongroom, type Deps, type Strongroom } from '../../src/app.ts'
import { loadConfig } from '../../src/config/index.ts'
import { silentLogger } from '../../src/shared/logger.ts'
import { cryptoRandom } from '../../src/shared/random.ts'
import { systemClock } from '../../src/shared/clock.ts'

export const testDeps: Deps = { clock: systemClock, random: cryptoRandom, logger: silentLogger }

export function configFor(dataDir: string, env: Record<string, string> = {}) {
  return loadConfig({ env, dataDir, cwd: process.cwd() })
}

/** Initialises `dataDir` (if `init`) and opens it in-process. */
export async function openApp(
  dataDir: string,
  options: { init?: boolean; env?: Record<string, string> } = {},
): Promise<Strongroom> {
  const config = configFor(dataDir, options.env)
  if (options.init === true) await initDataDir(config, testDeps)
  return openStrongroom(config, testDeps)
}
