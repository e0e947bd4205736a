// The connection line above the editor: whether edits reach the server right now, said in
// words (and announced politely to screen readers), with the state in an attribute for tests.

import type { NetworkAdapter } from "@automerge/automerge-repo/slim"

import { t } from "./strings"

export type ConnectionState = "connecting" | "synced" | "reconnecting" | "offline" | "unavailable"

const TEXT: Record<ConnectionState, () => string> = {
  connecting: () => t("web-connection-connecting"),
  synced: () => t("web-connection-synced"),
  reconnecting: () => t("web-connection-reconnecting"),
  offline: () => t("web-connection-offline"),
  unavailable: () => t("web-unavailable"),
}

export class ConnectionLine {
  readonly element = document.createElement("p")
  private isUp = false
  private waiting: Array<() => void> = []
  /** Once the document is gone for this account, nothing else is said. */
  private final = false

  constructor() {
    this.element.className = "agora-connection"
    this.element.setAttribute("role", "status")
    this.element.setAttribute("aria-live", "polite")
    this.show("connecting")
  }

  /** Follows the socket to the server and the browser's own idea of being online. */
  watch(network: NetworkAdapter): void {
    network.on("peer-candidate", () => {
      this.isUp = true
      this.update()
      for (const wake of this.waiting.splice(0)) wake()
    })
    network.on("peer-disconnected", () => {
      this.isUp = false
      this.update()
    })
    addEventListener("online", () => this.update())
    addEventListener("offline", () => this.update())
    this.update()
  }

  get isConnected(): boolean {
    return this.isUp
  }

  /** Resolves when the server is reachable (again). */
  connected(): Promise<void> {
    return this.isUp ? Promise.resolve() : new Promise((resolve) => this.waiting.push(resolve))
  }

  /** The document cannot be had: no access (any more), or it does not exist. */
  unavailable(): void {
    this.show("unavailable")
    this.final = true
  }

  /** The server said something went wrong (e.g. a change it refused). */
  problem(message: string): void {
    if (this.final) return
    this.element.dataset.problem = message
  }

  private update(): void {
    if (!navigator.onLine) this.show("offline")
    else if (this.isUp) this.show("synced")
    else this.show(this.element.dataset.connectionState === "connecting" ? "connecting" : "reconnecting")
  }

  private show(state: ConnectionState): void {
    if (this.final || this.element.dataset.connectionState === state) return
    this.element.dataset.connectionState = state
    this.element.textContent = TEXT[state]()
  }
}
