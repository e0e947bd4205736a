// The official automerge-repo sync server wiring (as in automerge-repo-sync-server), pinned to
// the npm versions in package.json. Agora's tests use it as an oracle for the protocol and the
// benchmarks as the baseline to beat.
//
// Usage: node node-sync-server.mjs [port] [dataDir] [lifetimeSecs]
//   or env PORT, DATA_DIR, LIFETIME_SECS. Port 0 picks a free port.
// Prints `listening <port>` on stdout once it accepts connections. Binds loopback only: it has
// no authentication and must never face a network. With a lifetime it exits by itself, so a
// test that dies cannot leave it running for long.

import fs from "node:fs"
import os from "node:os"
import path from "node:path"
import { WebSocketServer } from "ws"
import { Repo } from "@automerge/automerge-repo"
import { NodeWSServerAdapter } from "@automerge/automerge-repo-network-websocket"
import { NodeFSStorageAdapter } from "@automerge/automerge-repo-storage-nodefs"

const [portArg, dataDirArg, lifetimeArg] = process.argv.slice(2)
const port = Number(portArg ?? process.env.PORT ?? 0)
const dataDir =
  dataDirArg ??
  process.env.DATA_DIR ??
  fs.mkdtempSync(path.join(os.tmpdir(), "agora-node-sync-"))
const lifetimeSecs = Number(lifetimeArg ?? process.env.LIFETIME_SECS ?? 0)

fs.mkdirSync(dataDir, { recursive: true })

const wss = new WebSocketServer({ host: "127.0.0.1", port })
const adapter = new NodeWSServerAdapter(wss)
// The adapter only handles connections once the repo has loaded its storage id and called
// adapter.connect(); a client that joins before that is never answered (and the adapter's own
// whenReady() waits for a first connection). So readiness is "listening and connected".
const adapterConnected = new Promise(resolve => {
  const connect = adapter.connect.bind(adapter)
  adapter.connect = (...args) => {
    connect(...args)
    resolve()
  }
})
const repo = new Repo({
  network: [adapter],
  storage: new NodeFSStorageAdapter(dataDir),
  peerId: `storage-server-${process.pid}`,
  // Like the official server: only sync documents a client asks for.
  sharePolicy: async () => false,
})

const listening = new Promise(resolve => wss.on("listening", resolve))
Promise.all([listening, adapterConnected]).then(() => {
  console.log(`listening ${wss.address().port}`)
})

function shutdown() {
  repo.shutdown().finally(() => process.exit(0))
  // If a flush hangs, do not linger.
  setTimeout(() => process.exit(0), 2000).unref()
}

process.on("SIGTERM", shutdown)
process.on("SIGINT", shutdown)
if (lifetimeSecs > 0) {
  setTimeout(shutdown, lifetimeSecs * 1000)
}
