// A search hit links to its section: `#section-3` is the text under the document's third
// heading. The page opens there, with the caret at the start of that heading.

import { TextSelection } from "prosemirror-state"
import type { EditorView } from "prosemirror-view"

export function openAtSection(view: EditorView, hash: string): void {
  const match = /^#section-(\d+)$/.exec(hash)
  if (!match) return
  const wanted = Number(match[1])
  let headings = 0
  let found: number | undefined
  view.state.doc.descendants((node, pos) => {
    if (found !== undefined) return false
    if (node.type.name === "heading" && ++headings === wanted) found = pos
    return !node.isTextblock
  })
  if (found === undefined) return
  const { state } = view
  view.dispatch(state.tr.setSelection(TextSelection.near(state.doc.resolve(found + 1))))
  if (view.editable) view.focus()
  const heading = view.nodeDOM(found)
  if (heading instanceof HTMLElement) heading.scrollIntoView({ block: "start" })
}
