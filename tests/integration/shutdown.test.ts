import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { connect } from 'node:tls'
import { describe, it } from 'node:test'
import { startServer } from '../../src/api/start-server.ts'
import { tempDir } from '../helpers/cli.ts'
import { openApp, testDeps } from '../helpers/open-app.ts'

describe('shutdown', () => {
  it('a request that never finishes does not hold shutdown past the drain deadline', async () => {
    const dir = tempDir('sr-shutdown-')
    const app = await openApp(dir.path, { init: true })
    const running = await startServer(app, testDeps, { host: '127.0.0.1', port: 0, drainMs: 300 })
    const ca = readFileSync(running.caCertFile ?? '', 'utf8')
    // A slow client: the request's headers promise a body that never comes.
    const socket = connect({ host: '127.0.0.1', port: running.port, servername: 'localhost', ca })
    await new Promise<void>((resolve, reject) => {
      socket.once('secureConnect', resolve)
      socket.once('error', reject)
    })
    socket.write(
      'POST /acme/prod/api/data/v9.2/accounts HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{',
    )
    await new Promise((r) => setTimeout(r, 50))
    const started = Date.now()
    await running.stop()
    const took = Date.now() - started
    assert.ok(took < 5_000, `stop took ${String(took)} ms`)
    socket.destroy()
    await app.close()
    dir.remove()
  })
})
