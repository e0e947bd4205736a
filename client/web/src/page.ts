// What the server's page tells the client (`server/templates/editor.html`): which document,
// the visitor's role, name and colour, and how to show it.

import { isValidAutomergeUrl, type AutomergeUrl } from "@automerge/automerge-repo/slim"

export type Role = "owner" | "editor" | "commenter" | "reader"
export type View = "page" | "meeting"

export interface PageSettings {
  root: HTMLElement
  documentUrl: AutomergeUrl
  role: Role
  view: View
  account: string
  name: string
  colour: string
  lang: string
}

const ROLES: readonly Role[] = ["owner", "editor", "commenter", "reader"]

export function readPage(): PageSettings {
  const root = document.getElementById("agora-editor")
  if (!root) throw new Error("this page has no #agora-editor")
  const data = root.dataset
  const documentUrl = data.documentUrl ?? ""
  if (!isValidAutomergeUrl(documentUrl)) throw new Error(`not a document: ${documentUrl}`)
  // Anything unexpected falls back to the least access; the server enforces it anyway.
  const role = ROLES.find((role) => role === data.role) ?? "reader"
  return {
    root,
    documentUrl,
    role,
    view: data.view === "meeting" ? "meeting" : "page",
    account: data.account ?? "",
    name: data.name ?? "",
    colour: safeColour(data.colour),
    lang: data.lang ?? document.documentElement.lang,
  }
}

/** Whether the role may change the text (the server refuses changes from the others). */
export function canEdit(role: Role): boolean {
  return role === "owner" || role === "editor"
}

/** A `#rrggbb` colour, or a neutral grey for anything else (colours also come from peers). */
export function safeColour(colour: unknown): string {
  return typeof colour === "string" && /^#[0-9a-fA-F]{6}$/.test(colour) ? colour : "#55595e"
}
