// The list of people who have the document open: a colour swatch and the name, "you" first.
// Several tabs of one person show once.

import type { PageSettings } from "./page"
import type { Peer } from "./presence"
import { t } from "./strings"

export class PeopleList {
  readonly element = document.createElement("section")
  private readonly list = document.createElement("ul")

  constructor(private readonly settings: PageSettings) {
    this.element.className = "agora-people"
    const heading = document.createElement("h2")
    heading.id = "agora-people-heading"
    heading.textContent = t("web-people-here")
    this.element.setAttribute("aria-labelledby", heading.id)
    this.list.dataset.presenceList = ""
    this.element.append(heading, this.list)
    this.show([])
  }

  show(peers: Peer[]): void {
    const others = new Map<string, Peer>()
    for (const peer of peers) {
      const key = peer.account || peer.peerId
      if (key !== this.settings.account && !others.has(key)) others.set(key, peer)
    }
    const you = { name: this.settings.name, colour: this.settings.colour }
    const items = [entry(you.name, you.colour, true)]
    for (const peer of [...others.values()].sort((a, b) => a.name.localeCompare(b.name))) {
      items.push(entry(peer.name, peer.colour, false))
    }
    this.list.replaceChildren(...items)
  }
}

function entry(name: string, colour: string, isYou: boolean): HTMLLIElement {
  const item = document.createElement("li")
  item.dataset.peerName = name
  const swatch = document.createElement("span")
  swatch.className = "agora-swatch"
  swatch.setAttribute("aria-hidden", "true")
  swatch.style.setProperty("--peer-colour", colour)
  const label = document.createElement("span")
  label.textContent = isYou ? `${name} (${t("web-you")})` : name
  item.append(swatch, label)
  return item
}
