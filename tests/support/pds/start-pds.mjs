// A real Bluesky Personal Data Server for the tests: an in-memory PLC directory and a PDS on
// SQLite, from @atproto/dev-env, listening on 127.0.0.1 only.
//
// Env: PLC_PORT (2582), PDS_PORT (2583); 0 picks a free port. PDS_DATA: data folder (default: a
// new temporary one). Prints one JSON line {"ready":true,"pds":URL,...} when it serves; on
// SIGTERM or SIGINT it closes and deletes its data folder. There is no App View: app.bsky.*
// reads are pointed at a closed port and fail fast with 502.
import fs from 'node:fs'
import http from 'node:http'
import os from 'node:os'
import path from 'node:path'

// dev-env's servers call listen(port) with no host, which binds every interface; binding to
// loopback here keeps the test servers off the network whatever they ask for.
const listen = http.Server.prototype.listen
http.Server.prototype.listen = function (...args) {
  if (typeof args[0] === 'number' && typeof args[1] !== 'string') args.splice(1, 0, '127.0.0.1')
  else if (args[0] && typeof args[0] === 'object' && !args[0].host) args[0] = { ...args[0], host: '127.0.0.1' }
  return listen.apply(this, args)
}

const t0 = performance.now()
const mod = await import('@atproto/dev-env')
const { TestNetworkNoAppView } = mod.TestNetworkNoAppView ? mod : mod.default

const port = (v, d) => { const n = Number(v ?? d); return n ? { port: n } : {} } // 0: get-port picks
const DATA = process.env.PDS_DATA || fs.mkdtempSync(path.join(os.tmpdir(), 'cluetrain-pds-'))
process.env.TMPDIR = DATA // dev-env makes its own folders under os.tmpdir(): keep them inside DATA
const NOWHERE = 'http://127.0.0.1:9' // nothing listens there

let net
try {
  net = await TestNetworkNoAppView.create({
    plc: port(process.env.PLC_PORT, 2582),
    pds: {
      ...port(process.env.PDS_PORT, 2583),
      hostname: 'localhost',
      dataDirectory: DATA,
      blobstoreDiskLocation: path.join(DATA, 'blobs'),
      bskyAppViewUrl: NOWHERE,
      bskyAppViewDid: 'did:example:invalid',
      modServiceUrl: NOWHERE,
      modServiceDid: 'did:example:invalid',
    },
  })
} catch (err) {
  console.error(err)
  fs.rmSync(DATA, { recursive: true, force: true })
  process.exit(1)
}
// dev-env reports http://localhost:PORT; 127.0.0.1 avoids an IPv6 (::1) attempt first.
const loopback = (url) => url.replace('//localhost:', '//127.0.0.1:')
console.log(JSON.stringify({
  ready: true, plc: loopback(net.plc.url), pds: loopback(net.pds.url), adminPassword: 'admin-pass',
  dataDir: DATA, startupMs: Math.round(performance.now() - t0), node: process.version, pid: process.pid,
}))

let stopping = false
const stop = async () => {
  if (stopping) return
  stopping = true
  try { await net.close() } finally {
    fs.rmSync(DATA, { recursive: true, force: true })
    process.exit(0)
  }
}
process.on('SIGTERM', stop)
process.on('SIGINT', stop)
// The test run holds our stdin: when it dies without a signal, stop with it.
process.stdin.on('end', stop)
process.stdin.resume()
