// An HSM administrator's tool, run as its OWN process (spawnHsmAdmin): it logs in to the token
// and destroys the objects of one key version. A separate process matters for SoftHSM: a
// destruction made in the server's own process is also dropped from that process's in-memory
// object index, which a restore of the token directory would not bring back; another process's
// change is seen, as with a real HSM. Reads its job on stdin (the PIN is never on argv).
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import pkcs11js from 'pkcs11js'
import { objectId } from '../../src/keys/pkcs11/key-objects.ts'
import type { KeyRef } from '../../src/keys/key-provider.ts'
import { trimLabel, type SoftHsmToken } from './softhsm.ts'

interface Job {
  readonly modulePath: string
  readonly tokenLabel: string
  readonly pin: string
  readonly ref: KeyRef
}

/** Destroys every object of `ref` in the token from another process; returns how many. */
export function destroyVersionFromAnotherProcess(token: SoftHsmToken, ref: KeyRef): number {
  const job: Job = {
    modulePath: token.modulePath,
    tokenLabel: token.tokenLabel,
    pin: new TextDecoder().decode(token.pin.expose()),
    ref,
  }
  const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url)], {
    // SOFTHSM2_CONF names this token's configuration (createSoftHsmToken set it for us).
    env: { PATH: process.env['PATH'] ?? '', SOFTHSM2_CONF: process.env['SOFTHSM2_CONF'] ?? '' },
    input: JSON.stringify(job),
    encoding: 'utf8',
    timeout: 30_000,
  })
  if (r.status !== 0) throw new Error(`hsm-admin exited ${String(r.status)}: ${r.stderr}`)
  return Number(r.stdout.trim())
}

function main(): void {
  const job = JSON.parse(readFileSync(0, 'utf8')) as Job
  const p11 = new pkcs11js.PKCS11()
  p11.load(job.modulePath)
  p11.C_Initialize()
  try {
    const slot = p11
      .C_GetSlotList(true)
      .find((s) => trimLabel(p11.C_GetTokenInfo(s).label) === job.tokenLabel)
    if (slot === undefined) throw new Error('token not found')
    const session = p11.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION | pkcs11js.CKF_RW_SESSION)
    p11.C_Login(session, pkcs11js.CKU_USER, job.pin)
    p11.C_FindObjectsInit(session, [{ type: pkcs11js.CKA_ID, value: objectId(job.ref) }])
    const found = p11.C_FindObjects(session, 16)
    p11.C_FindObjectsFinal(session)
    for (const object of found) p11.C_DestroyObject(session, object)
    p11.C_Logout(session)
    p11.C_CloseSession(session)
    process.stdout.write(`${String(found.length)}\n`)
  } finally {
    p11.C_Finalize()
    p11.close()
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) main()
