// Agora's browser client. It reads the page (document, role, person), opens the local
// automerge-repo (IndexedDB + the server's `/sync`), finds the document and mounts the editor
// with presence and the connection line. `window.agora` gives tests (and the curious) the
// handle and the document's text.

import * as A from "@automerge/automerge/slim"
import type { AutomergeUrl, DocHandle, Repo } from "@automerge/automerge-repo/slim"

import { ConnectionLine } from "./connection"
import { mountEditor } from "./editor"
import { canEdit, readPage } from "./page"
import { PeopleList } from "./people-list"
import { openAtSection } from "./section-link"
import { People } from "./presence"
import { openRepo } from "./repo"
import { t } from "./strings"
import "./styles.css"

interface Statement {
  text?: string
}

declare global {
  interface Window {
    agora: {
      ready: Promise<void>
      repo?: Repo
      handle?: DocHandle<Statement>
      /** The document's text, block markers included, as every client reads it. */
      text(): string
      /** The document's heads (hex change hashes): equal heads, identical documents. */
      heads(): string[]
    }
  }
}

async function main(): Promise<void> {
  const settings = readPage()
  const { root } = settings
  root.dataset.view = settings.view
  const editable = canEdit(settings.role)

  const connection = new ConnectionLine()
  const bar = document.createElement("div")
  bar.className = "agora-bar"
  bar.append(connection.element)
  if (!editable) {
    const badge = document.createElement("span")
    badge.className = "agora-badge"
    badge.textContent = t("web-read-only")
    bar.append(badge)
  }
  const people = new PeopleList(settings)
  const fallback = [...root.children]
  root.prepend(bar)

  const { repo, network } = await openRepo(settings.account)
  window.agora.repo = repo
  connection.watch(network)
  // The server's word on this document: gone for this account, or a refusal with a reason.
  const documentId = settings.documentUrl.slice("automerge:".length)
  repo.networkSubsystem.on("message", (message) => {
    const { type, documentId: about, message: reason } = message as { type: string; documentId?: string; message?: unknown }
    if (type === "doc-unavailable" && about === documentId) connection.unavailable()
    else if (type === "error") connection.problem(String(reason ?? ""))
  })

  const handle = await findDocument(repo, settings.documentUrl, connection)
  window.agora.handle = handle
  handle.on("delete", () => connection.unavailable())

  const place = document.createElement("div")
  place.className = "agora-text"
  const presence = new People(handle, settings)
  const editor = mountEditor(place, handle, editable, (caret) => presence.setCaret(caret))
  presence.onChange((peers) => {
    people.show(peers)
    editor.showCarets(peers)
  })

  const layout = document.createElement("div")
  layout.className = "agora-layout"
  const main = document.createElement("div")
  main.className = "agora-main"
  if (editor.toolbar) main.append(editor.toolbar)
  main.append(place)
  layout.append(main, people.element)
  for (const element of fallback) element.remove()
  root.append(layout)
  openAtSection(editor.view, location.hash)
}

/**
 * The document, from this browser's storage or the server. Without a connection "not found"
 * only means "not here yet": it is asked again once the server is reachable.
 */
async function findDocument(repo: Repo, url: AutomergeUrl, connection: ConnectionLine): Promise<DocHandle<Statement>> {
  for (;;) {
    try {
      return await repo.find<Statement>(url)
    } catch (error) {
      if (connection.isConnected) {
        connection.unavailable()
        throw error
      }
      await connection.connected()
    }
  }
}

let started!: () => void
let failed!: (error: unknown) => void
window.agora = {
  ready: new Promise<void>((resolve, reject) => {
    started = resolve
    failed = reject
  }),
  text() {
    const text = window.agora.handle?.doc()?.text
    return typeof text === "string" ? text : ""
  },
  heads() {
    const doc = window.agora.handle?.doc()
    return doc ? A.getHeads(doc) : []
  },
}
// A page nobody tests has nobody waiting on `ready`; its failure is shown, not thrown again.
window.agora.ready.catch(() => undefined)
main().then(started, (error: unknown) => {
  console.error(error)
  failed(error)
})
