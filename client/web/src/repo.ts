// The automerge-repo that holds the visitor's documents: synced with the server over `/sync`
// (the session cookie signs the socket in) and kept in IndexedDB, so a reload or an offline
// hour loses nothing.

import { Repo, initializeWasm } from "@automerge/automerge-repo/slim"
import { WebSocketClientAdapter } from "@automerge/automerge-repo-network-websocket"
import { IndexedDBStorageAdapter } from "@automerge/automerge-repo-storage-indexeddb"
import wasmUrl from "@automerge/automerge/automerge.wasm?url"

/** How soon a lost connection is tried again (the adapter's default is 5 s). */
const RETRY_MS = 1500

export interface OpenRepo {
  repo: Repo
  network: WebSocketClientAdapter
}

export async function openRepo(account: string): Promise<OpenRepo> {
  await initializeWasm(wasmUrl)
  const scheme = location.protocol === "https:" ? "wss" : "ws"
  const network = new WebSocketClientAdapter(`${scheme}://${location.host}/sync`, RETRY_MS)
  const repo = new Repo({
    network: [network],
    // One database per account: people who share a browser never see each other's copies.
    storage: new IndexedDBStorageAdapter(`agora-${account}`),
    // The server is the only peer, and it decides what each account may have.
    sharePolicy: async () => true,
  })
  return { repo, network }
}
