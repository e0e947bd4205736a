// Other people's carets and selections in the text: a ProseMirror plugin that draws them as
// decorations, each caret with the person's name (so presence never rests on colour alone).
// Positions are converted from automerge cursors each time presence changes, and mapped
// through edits in between.

import * as A from "@automerge/automerge/slim"
import type { DocHandle } from "@automerge/automerge-repo/slim"
import { basicSchemaAdapter } from "@automerge/prosemirror"
import { amSpliceIdxToPmIdx, pmRangeToAmRange } from "@automerge/prosemirror/dist/traversal.js"
import type { EditorState } from "prosemirror-state"
import { Plugin, PluginKey } from "prosemirror-state"
import { Decoration, DecorationSet } from "prosemirror-view"

import type { Caret, Peer } from "./presence"

const TEXT: A.Prop[] = ["text"]
const caretsKey = new PluginKey<DecorationSet>("agora-carets")

export function caretsPlugin(): Plugin<DecorationSet> {
  return new Plugin<DecorationSet>({
    key: caretsKey,
    state: {
      init: () => DecorationSet.empty,
      apply(tr, carets) {
        const replaced = tr.getMeta(caretsKey) as DecorationSet | undefined
        return replaced ?? carets.map(tr.mapping, tr.doc)
      },
    },
    props: { decorations: (state) => caretsKey.getState(state) },
  })
}

/** A transaction meta for the view: the carets of `peers` in the current document. */
export function drawCarets(state: EditorState, handle: DocHandle<unknown>, peers: Peer[]) {
  const doc = handle.doc() as A.Doc<unknown> | undefined
  const decorations: Decoration[] = []
  if (doc) {
    const spans = A.spans(doc, TEXT)
    const size = state.doc.content.size
    const toPm = (cursor: A.Cursor): number | null => {
      try {
        const index = A.getCursorPosition(doc, TEXT, cursor)
        const position = amSpliceIdxToPmIdx(basicSchemaAdapter, spans, index)
        return position === null ? null : Math.max(0, Math.min(position, size))
      } catch {
        return null // a cursor from a change we do not have yet
      }
    }
    for (const peer of peers) {
      if (!peer.caret) continue
      const head = toPm(peer.caret.head)
      const anchor = toPm(peer.caret.anchor)
      if (head === null) continue
      decorations.push(Decoration.widget(head, () => caretElement(peer), { key: `${peer.peerId}:${head}`, side: 1 }))
      if (anchor !== null && anchor !== head) {
        decorations.push(
          Decoration.inline(Math.min(anchor, head), Math.max(anchor, head), { class: "agora-remote-selection" }),
        )
      }
    }
  }
  return state.tr.setMeta(caretsKey, DecorationSet.create(state.doc, decorations)).setMeta("addToHistory", false)
}

function caretElement(peer: Peer): HTMLElement {
  const caret = document.createElement("span")
  caret.className = "agora-remote-caret"
  // The name is drawn by CSS from the attribute, so it is not part of the text.
  caret.dataset.peerName = peer.name
  caret.style.setProperty("--peer-colour", peer.colour)
  caret.setAttribute("aria-hidden", "true")
  return caret
}

/** This tab's selection as automerge cursors, to share with the others. */
export function caretOf(state: EditorState, handle: DocHandle<unknown>): Caret | null {
  const doc = handle.doc() as A.Doc<unknown> | undefined
  if (!doc) return null
  const spans = A.spans(doc, TEXT)
  const toCursor = (position: number): A.Cursor | null => {
    const range = pmRangeToAmRange(basicSchemaAdapter, spans, { from: position, to: position })
    if (!range) return null
    try {
      return A.getCursor(doc, TEXT, range.start)
    } catch {
      return null
    }
  }
  const anchor = toCursor(state.selection.anchor)
  const head = toCursor(state.selection.head)
  return anchor && head ? { anchor, head } : null
}
