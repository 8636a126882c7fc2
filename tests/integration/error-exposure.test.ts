import assert from 'node:assert/strict'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { runCli } from '../../src/cli/run.ts'
import { cryptoRandom } from '../../src/shared/random.ts'
import { capturingLogger } from '../../src/shared/logger.ts'
import { cliJson, tempDir } from '../helpers/cli.ts'

// Unexpected failures never show their internals (paths, SQL, stack) in the error output.
describe('error exposure', () => {
  const dir = tempDir('sr-exposure-')
  const data = join(dir.path, 'data')
  before(async () => {
    await cliJson(data, ['init'])
  })
  after(() => {
    dir.remove()
  })

  const SECRET_DETAIL = 'SELECT * FROM secret_table WHERE path=/var/lib/internal'
  const failingRandom = {
    bytes: (n: number) => cryptoRandom.bytes(n),
    uuid: () => {
      throw new Error(SECRET_DETAIL)
    },
  }

  const run = async (argv: string[], json: boolean) => {
    let stdout = ''
    let stderr = ''
    const logger = capturingLogger()
    const code = await runCli(
      [...argv, '--data-dir', data, ...(json ? ['--json'] : [])],
      {
        stdout: (t) => (stdout += t),
        stderr: (t) => (stderr += t),
        readStdin: () => Promise.resolve(''),
        env: {},
        cwd: process.cwd(),
        waitForShutdown: () => Promise.resolve(),
      },
      { random: failingRandom, logger },
    )
    return { code, stdout, stderr, logger }
  }

  it('an internal error prints a generic message and exit 1', async () => {
    const r = await run(['tenant', 'create', 'acme'], false)
    assert.equal(r.code, 1)
    assert.match(r.stderr, /^error \[INTERNAL\]: An unexpected error occurred\.\n/)
    assert.ok(!r.stderr.includes('secret_table'))
    assert.ok(!r.stderr.includes(' at '), 'no stack trace')
  })

  it('the same with --json: only the generic body', async () => {
    const r = await run(['tenant', 'create', 'acme'], true)
    assert.equal(r.code, 1)
    assert.deepEqual(JSON.parse(r.stderr), {
      error: { code: 'INTERNAL', message: 'An unexpected error occurred.' },
    })
  })

  it('the detail goes only to the log, at debug level', async () => {
    const r = await run(['tenant', 'create', 'acme'], true)
    const entry = r.logger.entries.find((e) => e.event === 'cli.internal-error')
    assert.equal(entry?.level, 'debug')
    assert.ok(String(entry.fields['error']).includes('secret_table'))
  })

  it('a failed create leaves nothing behind', async () => {
    const list = await cliJson<unknown[]>(data, ['tenant', 'list'])
    assert.equal(list.length, 0)
  })
})
