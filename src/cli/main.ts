#!/usr/bin/env node
import cluster from 'node:cluster'
import { readFileSync } from 'node:fs'
import { readProcessEnv } from '../config/index.ts'
import { runCli } from './run.ts'

if (cluster.isWorker) {
  // A server worker (serve --workers) stops only when its supervisor tells it to, over IPC: a
  // Ctrl-C reaches the whole process group, and the supervisor must see every worker exit as
  // asked, never as a crash. (If the supervisor dies, the IPC channel closes and workers exit.)
  process.on('SIGINT', () => undefined)
  process.on('SIGTERM', () => undefined)
}

const code = await runCli(process.argv.slice(2), {
  // A server worker (serve --workers) leaves stdout to the primary, which speaks for all.
  stdout: (t) => cluster.isWorker || process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  readStdin: () => Promise.resolve(readFileSync(0, 'utf8')),
  env: readProcessEnv(),
  cwd: process.cwd(),
  waitForShutdown: () =>
    new Promise<void>((resolve) => {
      process.once('SIGINT', () => {
        resolve()
      })
      process.once('SIGTERM', () => {
        resolve()
      })
    }),
})
process.exitCode = code
// A worker's IPC channel would keep it alive after its server stopped. (The worker's own
// disconnect keeps the exit code; process.disconnect() would turn it into 0.)
cluster.worker?.disconnect()
