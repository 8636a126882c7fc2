import { existsSync } from 'node:fs'
import { dataPaths, initDataDir } from '../../app.ts'
import { startServer } from '../../api/start-server.ts'
import { AppError } from '../../shared/errors.ts'
import { defineCommand, stringOption } from '../command.ts'

/**
 * `strongroom serve`: the HTTPS server, until SIGINT or SIGTERM, then a graceful shutdown that
 * lets in-flight requests finish. `--init` initialises a fresh data directory first (what
 * `npm start` does).
 */
export const serve = defineCommand({
  name: 'serve',
  summary: 'Start the HTTPS server (Web API and identity provider) until interrupted.',
  args: [],
  options: {
    host: { type: 'string', description: 'Address to listen on (default 127.0.0.1)' },
    port: { type: 'string', description: 'Port (default 8443; 0 picks a free one)' },
    init: { type: 'boolean', description: 'Initialise the data directory if it is new' },
  },
  async run(input) {
    const portText = stringOption(input, 'port')
    if (portText !== undefined && !/^[0-9]{1,5}$/.test(portText)) {
      throw new AppError('USAGE', '--port must be a number from 0 to 65535.')
    }
    const port = portText === undefined ? undefined : Number(portText)
    if (port !== undefined && port > 65_535) {
      throw new AppError('USAGE', '--port must be a number from 0 to 65535.')
    }
    let masterKeyFile: string | null = null
    if (input.options['init'] === true && !existsSync(dataPaths(input.config.dataDir).keyring)) {
      masterKeyFile = (await initDataDir(input.config, input.deps)).masterKeyFile
    }
    const app = await input.app()
    const running = await startServer(app, input.deps, { host: stringOption(input, 'host'), port })
    const ready = {
      status: 'listening',
      baseUrl: running.baseUrl,
      port: running.port,
      caCertFile: running.caCertFile,
      masterKeyFile,
    }
    if (input.options['json'] === true) {
      input.io.stdout(JSON.stringify(ready) + '\n')
    } else {
      input.io.stdout(
        `Strongroom is listening on ${running.baseUrl}\n` +
          (running.caCertFile === null
            ? ''
            : `TLS: local CA certificate at ${running.caCertFile} (trust it, e.g. NODE_EXTRA_CA_CERTS=${running.caCertFile})\n`) +
          (masterKeyFile === null
            ? ''
            : `Master key created at ${masterKeyFile}: back it up off this machine.\n`) +
          'Environment URLs: strongroom env show <env> --tenant <tenant>\n' +
          'Stop with Ctrl-C (in-flight requests finish first).\n',
      )
    }
    await input.io.waitForShutdown()
    await running.stop()
    return { ...ready, status: 'stopped' }
  },
  human: () => 'Stopped.\n',
})
