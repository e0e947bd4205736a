// A peer built from the official npm client (automerge-repo 2.5.6 with the WebSocket network
// adapter), driven line by line so Rust tests can script it against any sync server.
//
// Usage: node npm-peer.mjs <ws-url>
// Reads one JSON command per line on stdin and answers each with one JSON line on stdout:
//   {"cmd":"create","text":"..."}                    -> {"ok":true,"url":"automerge:..."}
//   {"cmd":"find","url":"...","timeoutMs":5000}      -> {"ok":true,"text":"..."} | {"ok":false,"error":"..."}
//   {"cmd":"append","url":"...","text":"..."}        -> {"ok":true,"text":"<whole text after>"}
//   {"cmd":"text","url":"..."}                       -> {"ok":true,"text":"..."}
//   {"cmd":"waitText","url":"...","equals":"...","timeoutMs":5000} -> {"ok":true} | {"ok":false,...}
//   {"cmd":"broadcast","url":"...","message":<json>} -> {"ok":true}
//   {"cmd":"waitEphemeral","url":"...","timeoutMs":5000} -> {"ok":true,"senderId":"...","message":<json>}
// Documents hold their body as text under the key "text", as Agora's documents do.
// It exits when stdin closes, or after LIFETIME_SECS (default 120) so it never lingers.

import readline from "node:readline"
import { Repo } from "@automerge/automerge-repo"
import { WebSocketClientAdapter } from "@automerge/automerge-repo-network-websocket"
import * as A from "@automerge/automerge"

const url = process.argv[2]
if (!url) {
  console.error("usage: node npm-peer.mjs <ws-url>")
  process.exit(2)
}
const lifetime = Number(process.env.LIFETIME_SECS ?? 120)
setTimeout(() => process.exit(3), lifetime * 1000).unref()

const repo = new Repo({ network: [new WebSocketClientAdapter(url)] })
const handles = new Map()
const ephemeral = new Map() // url -> received messages not yet taken

function remember(handle) {
  handles.set(handle.url, handle)
  if (!ephemeral.has(handle.url)) {
    ephemeral.set(handle.url, [])
    handle.on("ephemeral-message", ({ senderId, message }) => {
      ephemeral.get(handle.url).push({ senderId, message })
    })
  }
  return handle
}

function withTimeout(promise, ms, what) {
  return Promise.race([
    promise,
    new Promise((_, reject) => setTimeout(() => reject(new Error(`timeout: ${what}`)), ms)),
  ])
}

async function handleOf(url, timeoutMs = 5000) {
  return handles.get(url) ?? remember(await withTimeout(repo.find(url), timeoutMs, `find ${url}`))
}

const textOf = (handle) => handle.doc()?.text ?? ""

async function until(check, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    const value = check()
    if (value !== undefined) return value
    await new Promise((r) => setTimeout(r, 10))
  }
  throw new Error(`timeout: ${what}`)
}

const commands = {
  async create({ text }) {
    const handle = remember(repo.create({ text: text ?? "" }))
    return { url: handle.url }
  },
  async find({ url, timeoutMs }) {
    const handle = await handleOf(url, timeoutMs ?? 5000)
    return { text: textOf(handle) }
  },
  async append({ url, text }) {
    const handle = await handleOf(url)
    handle.change((doc) => {
      A.splice(doc, ["text"], (doc.text ?? "").length, 0, text)
    })
    return { text: textOf(handle) }
  },
  async text({ url }) {
    return { text: textOf(await handleOf(url)) }
  },
  async waitText({ url, equals, timeoutMs }) {
    const handle = await handleOf(url)
    await until(() => (textOf(handle) === equals ? true : undefined), timeoutMs ?? 5000, `text of ${url}`)
    return {}
  },
  async broadcast({ url, message }) {
    ;(await handleOf(url)).broadcast(message)
    return {}
  },
  async waitEphemeral({ url, timeoutMs }) {
    await handleOf(url)
    const queue = ephemeral.get(url)
    return await until(() => queue.shift(), timeoutMs ?? 5000, `ephemeral message on ${url}`)
  },
}

const lines = readline.createInterface({ input: process.stdin })
let queue = Promise.resolve()
lines.on("line", (line) => {
  // One command at a time, answered in order.
  queue = queue.then(async () => {
    let answer
    try {
      const request = JSON.parse(line)
      const run = commands[request.cmd]
      if (!run) throw new Error(`unknown command ${request.cmd}`)
      answer = { ok: true, ...(await run(request)) }
    } catch (error) {
      answer = { ok: false, error: String(error?.message ?? error) }
    }
    process.stdout.write(JSON.stringify(answer) + "\n")
  })
})
lines.on("close", () => {
  queue.finally(() => repo.shutdown().finally(() => process.exit(0)))
  setTimeout(() => process.exit(0), 2000).unref()
})
