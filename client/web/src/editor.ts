// The rich-text editor bound to the document's `text`: ProseMirror with
// `@automerge/prosemirror`'s sync plugin, our commands, shortcuts, toolbar and the others'
// carets. Readers and commenters get the same live text without a way to change it.

import type { DocHandle } from "@automerge/automerge-repo/slim"
import { init } from "@automerge/prosemirror"
import { history } from "prosemirror-history"
import type { Mark } from "prosemirror-model"
import { EditorState, type Command } from "prosemirror-state"
import { EditorView } from "prosemirror-view"

import { caretOf, caretsPlugin, drawCarets } from "./carets"
import { commandsFor, safeHref } from "./commands"
import { editingKeys } from "./keymap"
import { LinkDialog } from "./link-dialog"
import { selectionFromPage } from "./page-selection"
import type { Caret, Peer } from "./presence"
import { t } from "./strings"
import { toolbar } from "./toolbar"

export interface Editor {
  view: EditorView
  /** Only for people who may edit. */
  toolbar?: HTMLElement
  showCarets(peers: Peer[]): void
}

export function mountEditor(
  place: HTMLElement,
  handle: DocHandle<unknown>,
  editable: boolean,
  /** Called when this person's caret moves, with a way to get it as automerge cursors. */
  onCaret: (caret: () => Caret | null) => void,
): Editor {
  const { schema, pmDoc, plugin: sync } = init(handle, ["text"])
  const commands = commandsFor(schema)
  const links = new LinkDialog(commands)
  const openLink: Command = (_state, dispatch, view) => {
    if (dispatch && view) links.open(view)
    return true
  }
  const tools = editable ? toolbar(commands, openLink) : undefined

  const view: EditorView = new EditorView(place, {
    state: EditorState.create({
      schema,
      doc: pmDoc,
      plugins: [
        selectionFromPage(),
        ...editingKeys(schema, commands, openLink),
        history(),
        sync,
        caretsPlugin(),
        ...(tools ? [tools.plugin] : []),
      ],
    }),
    editable: () => editable,
    attributes: {
      role: "textbox",
      "aria-multiline": "true",
      "aria-label": t("web-editor-label"),
      "aria-readonly": String(!editable),
      spellcheck: "true",
    },
    markViews: { link: (mark) => ({ dom: linkElement(mark) }) },
    dispatchTransaction(tr) {
      view.updateState(view.state.apply(tr))
      if (tr.selectionSet || tr.docChanged) onCaret(currentCaret)
    },
    handleDOMEvents: {
      focus: () => {
        onCaret(currentCaret)
        return false
      },
      blur: () => {
        onCaret(currentCaret)
        return false
      },
    },
  })

  // Without focus there is no caret to show the others.
  const currentCaret = () => (view.hasFocus() ? caretOf(view.state, handle) : null)

  return {
    view,
    toolbar: tools?.element,
    showCarets: (peers) => view.dispatch(drawCarets(view.state, handle, peers)),
  }
}

/** A link as the text shows it; an address that is not web or mail is not followed. */
function linkElement(mark: Mark): HTMLElement {
  const link = document.createElement("a")
  const href = safeHref(String(mark.attrs.href ?? ""))
  if (href) link.href = href
  if (mark.attrs.title) link.title = String(mark.attrs.title)
  link.rel = "noopener noreferrer nofollow"
  link.target = "_blank"
  return link
}
