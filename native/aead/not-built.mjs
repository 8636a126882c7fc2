// Run by `npm install` when node-gyp could not build the addon (no compiler, no Node headers
// with OpenSSL): Strongroom still works, opening encrypted cells through node:crypto, slower.
import process from 'node:process'

process.stderr.write(
  'strongroom: the native AEAD addon (native/aead) did not build; encrypted columns open ' +
    'through node:crypto instead (same results, about 4 µs more per cell).\n',
)
