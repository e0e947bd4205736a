// The editing commands behind the toolbar and the shortcuts, for the schema of
// `@automerge/prosemirror` (paragraph, heading, bullet_list, ordered_list, list_item; marks
// strong, em, link).

import { setBlockType, toggleMark } from "prosemirror-commands"
import type { MarkType, NodeType, Schema } from "prosemirror-model"
import { liftListItem, wrapInList } from "prosemirror-schema-list"
import type { Command, EditorState } from "prosemirror-state"

export interface Commands {
  bold: Command
  italic: Command
  heading: (level: 1 | 2 | 3) => Command
  paragraph: Command
  bulletList: Command
  orderedList: Command
  setLink: (href: string) => Command
  removeLink: Command
}

export function commandsFor(schema: Schema): Commands {
  const { nodes, marks } = schema
  return {
    bold: toggleMark(marks.strong),
    italic: toggleMark(marks.em),
    heading: (level) => setBlockType(nodes.heading, { level }),
    paragraph: setBlockType(nodes.paragraph),
    bulletList: toggleList(nodes.bullet_list, nodes.list_item),
    orderedList: toggleList(nodes.ordered_list, nodes.list_item),
    setLink: (href) => (state, dispatch) => {
      const { from, to, empty } = state.selection
      if (dispatch) {
        const mark = marks.link.create({ href, title: null })
        const tr = empty
          ? state.tr.insertText(href, from).addMark(from, from + href.length, mark)
          : state.tr.removeMark(from, to, marks.link).addMark(from, to, mark)
        dispatch(tr.scrollIntoView())
      }
      return true
    },
    removeLink: (state, dispatch) => {
      const { from, to } = linkRange(state, marks.link) ?? state.selection
      if (!state.doc.rangeHasMark(from, to, marks.link)) return false
      dispatch?.(state.tr.removeMark(from, to, marks.link))
      return true
    },
  }
}

/** Lifts the selection out of a list of this kind, or wraps it in one. */
function toggleList(list: NodeType, item: NodeType): Command {
  return (state, dispatch) => {
    if (blockIsActive(state, list)) return liftListItem(item)(state, dispatch)
    return wrapInList(list)(state, dispatch)
  }
}

/** Whether the selection carries `mark` (or will, for the next typed character). */
export function markIsActive(state: EditorState, mark: MarkType): boolean {
  const { from, to, empty, $from } = state.selection
  if (empty) return mark.isInSet(state.storedMarks ?? $from.marks()) !== undefined
  return state.doc.rangeHasMark(from, to, mark)
}

/** Whether the selection sits in a node of `type` (with these attributes, when given). */
export function blockIsActive(state: EditorState, type: NodeType, attrs?: Record<string, unknown>): boolean {
  const { $from } = state.selection
  for (let depth = $from.depth; depth > 0; depth--) {
    const node = $from.node(depth)
    if (node.type === type) {
      return attrs === undefined || Object.entries(attrs).every(([key, value]) => node.attrs[key] === value)
    }
  }
  return false
}

/** The link around the caret (the whole run of text that carries it), with its href. */
export function linkRange(state: EditorState, link: MarkType): { from: number; to: number; href: string } | undefined {
  const { $from } = state.selection
  const blockStart = $from.start()
  let run: { from: number; to: number; href: string } | undefined
  let found: typeof run
  $from.parent.forEach((child, offset) => {
    const mark = link.isInSet(child.marks)
    const from = blockStart + offset
    const to = from + child.nodeSize
    if (!mark) {
      run = undefined
      return
    }
    const href = String(mark.attrs.href)
    run = run && run.to === from && run.href === href ? { ...run, to } : { from, to, href }
    if (run.from <= $from.pos && $from.pos <= run.to) found = run
  })
  return found
}

/** Only web and mail links; anything else (`javascript:`, `data:`) is not a link we keep. */
export function safeHref(href: string): string | undefined {
  const trimmed = href.trim()
  const withScheme = /^[a-z][a-z0-9+.-]*:/i.test(trimmed) ? trimmed : `https://${trimmed}`
  try {
    const url = new URL(withScheme)
    if (!["http:", "https:", "mailto:"].includes(url.protocol)) return undefined
    if (url.protocol !== "mailto:" && !url.hostname.includes(".") && url.hostname !== "localhost") return undefined
    return url.href
  } catch {
    return undefined
  }
}
