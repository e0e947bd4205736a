// Who else has the document open, and where their caret is: automerge-repo's Presence over
// ephemeral messages (never stored). Carets travel as automerge cursors, which stay on the
// same character while others type, unlike ProseMirror positions.

import * as A from "@automerge/automerge/slim"
import { Presence, type DocHandle, type PeerId } from "@automerge/automerge-repo/slim"

import { safeColour, type PageSettings } from "./page"

export interface Caret {
  anchor: A.Cursor
  head: A.Cursor
}

interface Person {
  name: string
  colour: string
  account: string
}

type PresenceState = { person: Person; caret: Caret | null }

/** Someone with the document open, as the page shows them. */
export interface Peer {
  peerId: PeerId
  name: string
  colour: string
  account: string
  caret: Caret | null
}

const HEARTBEAT_MS = 1000
/** Gone this long after the last word from them: a closed laptop disappears in seconds. */
const PEER_TTL_MS = 3500
/** Carets are sent at most this often while someone moves or types. */
const CARET_EVERY_MS = 50

export class People {
  private readonly presence: Presence<PresenceState>
  private readonly listeners: Array<(peers: Peer[]) => void> = []
  private pendingCaret: (() => Caret | null) | undefined
  private caretTimer: ReturnType<typeof setTimeout> | undefined

  constructor(handle: DocHandle<unknown>, settings: PageSettings) {
    this.presence = new Presence<PresenceState>({ handle })
    const person = { name: settings.name, colour: settings.colour, account: settings.account }
    this.presence.start({ initialState: { person, caret: null }, heartbeatMs: HEARTBEAT_MS, peerTtlMs: PEER_TTL_MS })
    for (const event of ["update", "snapshot", "goodbye", "pruning"] as const) {
      this.presence.on(event, () => this.notify())
    }
    // Say goodbye when the tab goes, so the others do not wait for the timeout.
    addEventListener("pagehide", () => this.presence.stop())
  }

  onChange(listener: (peers: Peer[]) => void): void {
    this.listeners.push(listener)
    listener(this.peers())
  }

  /** The others (not this tab), newest information only, checked: it comes from other peers. */
  peers(): Peer[] {
    const states = this.presence.getPeerStates().getStates()
    return Object.values(states).flatMap(({ peerId, value }) => {
      const person = value?.person
      if (!person || typeof person.name !== "string") return []
      return [
        {
          peerId,
          name: person.name.slice(0, 120),
          colour: safeColour(person.colour),
          account: String(person.account ?? ""),
          caret: isCaret(value.caret) ? value.caret : null,
        },
      ]
    })
  }

  /**
   * Shares this tab's caret, throttled: `caret` is asked only when it is sent, so typing
   * fast does not convert positions on every keystroke. It gives `null` without focus.
   */
  setCaret(caret: () => Caret | null): void {
    this.pendingCaret = caret
    if (this.caretTimer !== undefined) return
    this.caretTimer = setTimeout(() => {
      this.caretTimer = undefined
      const pending = this.pendingCaret
      this.pendingCaret = undefined
      if (pending) this.presence.broadcast("caret", pending())
    }, CARET_EVERY_MS)
  }

  private notify(): void {
    const peers = this.peers()
    for (const listener of this.listeners) listener(peers)
  }
}

function isCaret(value: unknown): value is Caret {
  const caret = value as Caret | null | undefined
  return typeof caret?.anchor === "string" && typeof caret?.head === "string"
}
