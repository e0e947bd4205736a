// Rich text by toolbar, shortcut and typing rules reaches the other person as structure:
// a heading, bold and italic words, a link (only web or mail addresses), bullet and numbered
// lists. Env as two-editors.mjs. Prints {"text":…, "heads":…}.

import { assert, caretTo, openDocument, report, required, run, signIn, waitForAgreement } from "./harness.mjs"

const id = required("AGORA_DOCUMENT")

await run(async (browser) => {
  const a = await signIn(browser, required("AGORA_A_EMAIL"))
  const b = await signIn(browser, required("AGORA_B_EMAIL"))
  await Promise.all([openDocument(a.page, id), openDocument(b.page, id)])
  const keys = a.page.keyboard

  await caretTo(a.page, "end")
  await keys.press("Enter")
  await keys.type("# Unsere Werte")
  await keys.press("Enter")
  await keys.type("Wir sind ")
  await keys.press("Control+b")
  await keys.type("mutig")
  await keys.press("Control+b")
  await keys.type(" und ")
  await a.page.click(".agora-toolbar button[aria-label='Kursiv']")
  await keys.type("offen")
  await a.page.click(".agora-toolbar button[aria-label='Kursiv']")
  await keys.type(".")
  await keys.press("Enter")
  await keys.type("- erster Punkt")
  await keys.press("Enter")
  await keys.type("zweiter Punkt")
  await keys.press("Enter")
  await keys.press("Enter")
  await keys.type("1. Schritt eins")
  await keys.press("Enter")
  await keys.press("Enter")
  await keys.press("Control+Alt+2")
  await keys.type("Mehr lesen")

  // A link: the dialog refuses a script address and takes a web address.
  await keys.press("Shift+Home")
  await a.page.waitForFunction(() => getSelection()?.toString() === "Mehr lesen")
  await keys.press("Control+k")
  await a.page.fill("#agora-link-address", "javascript:alert(1)")
  await keys.press("Enter")
  await a.page.waitForSelector(".agora-link-dialog .agora-problem:not([hidden])")
  await a.page.fill("#agora-link-address", "https://example.org/leitbild")
  await keys.press("Enter")

  const { text, heads } = await waitForAgreement([a.page, b.page], ["Unsere Werte", "zweiter Punkt", "Schritt eins", "Mehr lesen"])
  const editor = "#agora-editor .ProseMirror"
  const structure = (page) =>
    page.evaluate((editor) => {
      const root = document.querySelector(editor)
      const textOf = (selector) => [...root.querySelectorAll(selector)].map((element) => element.textContent)
      return {
        h1: textOf("h1"),
        h2: textOf("h2"),
        strong: textOf("strong"),
        em: textOf("em"),
        bullets: textOf("ul > li"),
        numbered: textOf("ol > li"),
        links: [...root.querySelectorAll("a")].map((link) => link.getAttribute("href")),
      }
    }, editor)
  const wanted = {
    h1: ["Unsere Werte"],
    h2: ["Mehr lesen"],
    strong: ["mutig"],
    em: ["offen"],
    bullets: ["erster Punkt", "zweiter Punkt"],
    numbered: ["Schritt eins"],
    links: ["https://example.org/leitbild"],
  }
  // Both the writer's page and the other person's page show the structure (the other page
  // draws the last changes a moment after its document holds them).
  for (const [who, page] of [["writer", a.page], ["other person", b.page]]) {
    const deadline = Date.now() + 5_000
    for (;;) {
      const seen = await structure(page)
      const wrong = Object.entries(wanted).filter(([what, list]) => JSON.stringify(seen[what]) !== JSON.stringify(list))
      if (wrong.length === 0) break
      assert(
        Date.now() < deadline,
        wrong.map(([what, list]) => `${who}'s ${what}: got ${JSON.stringify(seen[what])}, wanted ${JSON.stringify(list)}`).join("; "),
      )
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  }
  report({ text, heads })
})
