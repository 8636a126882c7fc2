// A CPU profile of one stretch of a benchmark (not the whole process, as `node --cpu-prof`
// would take), through the inspector: a development aid for the bench files.
import { mkdirSync, writeFileSync } from 'node:fs'
import { Session } from 'node:inspector/promises'

/** Where the profiles go. */
export const PROFILE_DIR = '/tmp/sr-prof'

/**
 * Starts the inspector's CPU profiler; the function it returns stops it and writes the profile
 * to `${PROFILE_DIR}/<name>.cpuprofile`, returning the file's path.
 */
export async function startCpuProfile(): Promise<(name: string) => Promise<string>> {
  const session = new Session()
  session.connect()
  await session.post('Profiler.enable')
  await session.post('Profiler.start')
  return async (name) => {
    const { profile } = await session.post('Profiler.stop')
    session.disconnect()
    mkdirSync(PROFILE_DIR, { recursive: true })
    const file = `${PROFILE_DIR}/${name}.cpuprofile`
    writeFileSync(file, JSON.stringify(profile))
    return file
  }
}
