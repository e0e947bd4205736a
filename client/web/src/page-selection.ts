// Keys act on what the person sees selected. The browser reports a selection moved by the
// keyboard (Shift+Home, Ctrl+End) a moment later, so a quick next key can reach the editor
// before it knows; the page's selection is taken over before any key is handled.

import { Plugin, TextSelection } from "prosemirror-state"
import type { EditorView } from "prosemirror-view"

/** Makes the editor's selection the page's, where the page's lies inside the editor. */
export function takeSelectionFromPage(view: EditorView): void {
  const { state } = view
  if (view.composing || !view.hasFocus() || !(state.selection instanceof TextSelection)) return
  const selection = view.dom.ownerDocument.getSelection()
  const { anchorNode, focusNode } = selection ?? {}
  if (!selection || !anchorNode || !focusNode) return
  if (!view.dom.contains(anchorNode) || !view.dom.contains(focusNode)) return
  let anchor: number
  let head: number
  try {
    anchor = view.posAtDOM(anchorNode, selection.anchorOffset)
    head = view.posAtDOM(focusNode, selection.focusOffset)
  } catch {
    return // inside something the editor drew itself, such as another person's caret
  }
  if (anchor === state.selection.anchor && head === state.selection.head) return
  view.dispatch(state.tr.setSelection(TextSelection.create(state.doc, anchor, head)))
}

/** Takes the page's selection before the keymaps see a key; comes first among the plugins. */
export function selectionFromPage(): Plugin {
  return new Plugin({
    props: {
      handleKeyDown(view) {
        takeSelectionFromPage(view)
        return false
      },
    },
  })
}
