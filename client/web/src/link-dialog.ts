// The link form behind Mod+K and the toolbar's link button: a modal dialog with one address
// field; only web and mail addresses are accepted.

import type { EditorView } from "prosemirror-view"

import { linkRange, safeHref, type Commands } from "./commands"
import { takeSelectionFromPage } from "./page-selection"
import { t } from "./strings"

export class LinkDialog {
  private readonly dialog = document.createElement("dialog")
  private readonly input = document.createElement("input")
  private readonly problem = document.createElement("p")
  private view: EditorView | undefined

  constructor(private readonly commands: Commands) {
    const form = document.createElement("form")
    form.method = "dialog"
    const label = document.createElement("label")
    label.htmlFor = this.input.id = "agora-link-address"
    label.textContent = t("web-link-address")
    this.input.type = "url"
    this.input.setAttribute("autocomplete", "url")
    this.input.placeholder = "https://"
    this.problem.className = "agora-problem"
    this.problem.setAttribute("role", "alert")
    this.problem.hidden = true
    const buttons = document.createElement("div")
    buttons.className = "agora-dialog-buttons"
    buttons.append(
      button(t("web-link-save"), "submit", "primary"),
      button(t("web-link-remove"), "button", "remove"),
      button(t("web-cancel"), "button", "cancel"),
    )
    form.append(label, this.input, this.problem, buttons)
    this.dialog.className = "agora-link-dialog"
    this.dialog.setAttribute("aria-label", t("web-link"))
    this.dialog.append(form)
    document.body.append(this.dialog)

    form.addEventListener("submit", (event) => {
      event.preventDefault()
      this.save()
    })
    buttons.querySelector("[data-action=remove]")?.addEventListener("click", () => {
      if (this.view) this.commands.removeLink(this.view.state, this.view.dispatch)
      this.close()
    })
    buttons.querySelector("[data-action=cancel]")?.addEventListener("click", () => this.close())
    this.dialog.addEventListener("close", () => this.view?.focus())
  }

  open(view: EditorView): boolean {
    this.view = view
    takeSelectionFromPage(view)
    const current = linkRange(view.state, view.state.schema.marks.link)
    this.input.value = current?.href ?? ""
    this.problem.hidden = true
    this.dialog.showModal()
    this.input.focus()
    return true
  }

  private save(): void {
    const href = safeHref(this.input.value)
    if (!href || !this.view) {
      this.problem.textContent = t("web-link-invalid")
      this.problem.hidden = false
      this.input.focus()
      return
    }
    const { state } = this.view
    const current = linkRange(state, state.schema.marks.link)
    // With the caret inside a link and nothing selected, the whole link gets the new address.
    if (current && state.selection.empty) {
      this.view.dispatch(
        state.tr.removeMark(current.from, current.to, state.schema.marks.link).addMark(
          current.from,
          current.to,
          state.schema.marks.link.create({ href, title: null }),
        ),
      )
    } else {
      this.commands.setLink(href)(state, this.view.dispatch)
    }
    this.close()
  }

  private close(): void {
    if (this.dialog.open) this.dialog.close()
  }
}

function button(label: string, type: "submit" | "button", action: string): HTMLButtonElement {
  const element = document.createElement("button")
  element.type = type
  element.textContent = label
  element.dataset.action = action
  if (action === "primary") element.className = "primary"
  return element
}
