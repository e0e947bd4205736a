// Shortcuts people know from word processors, and Markdown-like typing ("# ", "- ", "1. ").

import { baseKeymap } from "prosemirror-commands"
import { redo, undo } from "prosemirror-history"
import { inputRules, textblockTypeInputRule, wrappingInputRule } from "prosemirror-inputrules"
import { keymap } from "prosemirror-keymap"
import type { Schema } from "prosemirror-model"
import { liftListItem, sinkListItem, splitListItem } from "prosemirror-schema-list"
import type { Command, Plugin } from "prosemirror-state"

import type { Commands } from "./commands"

export function editingKeys(schema: Schema, commands: Commands, openLinkDialog: Command): Plugin[] {
  const item = schema.nodes.list_item
  return [
    inputRules({
      rules: [
        textblockTypeInputRule(/^(#{1,3})\s$/, schema.nodes.heading, (match) => ({ level: match[1].length })),
        wrappingInputRule(/^\s*([-*])\s$/, schema.nodes.bullet_list),
        wrappingInputRule(/^(\d+)\.\s$/, schema.nodes.ordered_list, (match) => ({ order: Number(match[1]) })),
      ],
    }),
    keymap({
      "Mod-b": commands.bold,
      "Mod-i": commands.italic,
      "Mod-k": openLinkDialog,
      "Mod-z": undo,
      "Mod-Shift-z": redo,
      "Mod-y": redo,
      "Mod-Alt-0": commands.paragraph,
      "Mod-Alt-1": commands.heading(1),
      "Mod-Alt-2": commands.heading(2),
      "Mod-Alt-3": commands.heading(3),
      "Mod-Shift-7": commands.orderedList,
      "Mod-Shift-8": commands.bulletList,
      Enter: splitListItem(item),
      // Tab indents only inside lists; elsewhere it moves the focus on, as keyboard users expect.
      Tab: sinkListItem(item),
      "Shift-Tab": liftListItem(item),
    }),
    keymap(baseKeymap),
  ]
}
