// The formatting toolbar: one button per command, each with a name for screen readers and the
// shortcut in its tooltip; `aria-pressed` shows what applies at the caret. A plugin keeps the
// buttons in step with the editor.

import { redo, redoDepth, undo, undoDepth } from "prosemirror-history"
import { Plugin, type Command, type EditorState } from "prosemirror-state"
import type { EditorView } from "prosemirror-view"

import { blockIsActive, markIsActive, type Commands } from "./commands"
import { t } from "./strings"

interface Tool {
  /** Shown on the button; the accessible name is `label`. */
  symbol: string | (() => Element)
  label: string
  shortcut: string
  run: Command
  /** For toggles: whether it applies at the caret. */
  active?: (state: EditorState) => boolean
  enabled?: (state: EditorState) => boolean
  /** Starts a new group of buttons. */
  group?: boolean
}

const mod = /Mac|iPhone|iPad/.test(navigator.platform) ? "⌘" : "Ctrl+"
const alt = /Mac|iPhone|iPad/.test(navigator.platform) ? "⌥" : "Alt+"

export function toolbar(commands: Commands, openLink: Command): { element: HTMLElement; plugin: Plugin } {
  const tools: Tool[] = [
    {
      symbol: "B",
      label: t("web-bold"),
      shortcut: `${mod}B`,
      run: commands.bold,
      active: (state) => markIsActive(state, state.schema.marks.strong),
    },
    {
      symbol: "I",
      label: t("web-italic"),
      shortcut: `${mod}I`,
      run: commands.italic,
      active: (state) => markIsActive(state, state.schema.marks.em),
    },
    {
      symbol: linkIcon,
      label: t("web-link"),
      shortcut: `${mod}K`,
      run: openLink,
      active: (state) => markIsActive(state, state.schema.marks.link),
    },
    ...([1, 2, 3] as const).map((level, index) => ({
      symbol: `H${level}`,
      label: [t("web-heading-1"), t("web-heading-2"), t("web-heading-3")][index],
      shortcut: `${mod}${alt}${level}`,
      run: commands.heading(level),
      active: (state: EditorState) => blockIsActive(state, state.schema.nodes.heading, { level }),
      group: level === 1,
    })),
    {
      symbol: "¶",
      label: t("web-paragraph"),
      shortcut: `${mod}${alt}0`,
      run: commands.paragraph,
      active: (state) => state.selection.$from.parent.type === state.schema.nodes.paragraph,
      enabled: () => true,
    },
    {
      symbol: "•",
      label: t("web-bullet-list"),
      shortcut: `${mod}⇧8`,
      run: commands.bulletList,
      active: (state) => blockIsActive(state, state.schema.nodes.bullet_list),
      group: true,
    },
    {
      symbol: "1.",
      label: t("web-numbered-list"),
      shortcut: `${mod}⇧7`,
      run: commands.orderedList,
      active: (state) => blockIsActive(state, state.schema.nodes.ordered_list),
    },
    { symbol: "↶", label: t("web-undo"), shortcut: `${mod}Z`, run: undo, enabled: (s) => undoDepth(s) > 0, group: true },
    { symbol: "↷", label: t("web-redo"), shortcut: `${mod}⇧Z`, run: redo, enabled: (s) => redoDepth(s) > 0 },
  ]

  const element = document.createElement("div")
  element.className = "agora-toolbar"
  element.setAttribute("role", "toolbar")
  element.setAttribute("aria-label", t("web-toolbar"))
  let view: EditorView | undefined

  const buttons = tools.map((tool) => {
    const button = document.createElement("button")
    button.type = "button"
    if (typeof tool.symbol === "string") button.textContent = tool.symbol
    else button.append(tool.symbol())
    button.setAttribute("aria-label", tool.label)
    button.title = `${tool.label} (${tool.shortcut})`
    if (tool.group) button.classList.add("agora-group-start")
    // Keep the editor's selection: the button acts on it.
    button.addEventListener("mousedown", (event) => event.preventDefault())
    button.addEventListener("click", () => {
      if (!view) return
      tool.run(view.state, view.dispatch, view)
      if (tool.run !== openLink) view.focus()
    })
    element.append(button)
    return button
  })

  const refresh = (state: EditorState) => {
    tools.forEach((tool, index) => {
      const button = buttons[index]
      if (tool.active) button.setAttribute("aria-pressed", String(tool.active(state)))
      button.disabled = !(tool.enabled?.(state) ?? tool.run(state))
    })
  }

  const plugin = new Plugin({
    view(editorView) {
      view = editorView
      refresh(editorView.state)
      return { update: (updated) => refresh(updated.state) }
    },
  })
  return { element, plugin }
}

/** Two chain links: drawn, since not every system font has a link symbol. */
function linkIcon(): Element {
  const svg = "http://www.w3.org/2000/svg"
  const icon = document.createElementNS(svg, "svg")
  for (const [name, value] of Object.entries({
    viewBox: "0 0 24 24",
    width: "20",
    height: "20",
    fill: "none",
    stroke: "currentColor",
    "stroke-width": "2.2",
    "aria-hidden": "true",
  })) {
    icon.setAttribute(name, value)
  }
  for (const x of ["1.5", "10.5"]) {
    const link = document.createElementNS(svg, "rect")
    for (const [name, value] of Object.entries({ x, y: "7.5", width: "12", height: "9", rx: "4.5" })) {
      link.setAttribute(name, value)
    }
    icon.append(link)
  }
  return icon
}
