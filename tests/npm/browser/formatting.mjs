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
  // Marks are not in the text: wait until the last of them has arrived too.
  for (const page of [a.page, b.page]) {
    await page.waitForSelector(`${editor} a[href="https://example.org/leitbild"]`, { timeout: 5_000 })
  }
  const seen = await b.page.evaluate((editor) => {
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
  const expect = (what, got, wanted) =>
    assert(JSON.stringify(got) === JSON.stringify(wanted), `${what}: got ${JSON.stringify(got)}, wanted ${JSON.stringify(wanted)}`)
  expect("heading 1", seen.h1, ["Unsere Werte"])
  expect("heading 2", seen.h2, ["Mehr lesen"])
  expect("bold", seen.strong, ["mutig"])
  expect("italic", seen.em, ["offen"])
  expect("bullets", seen.bullets, ["erster Punkt", "zweiter Punkt"])
  expect("numbered", seen.numbered, ["Schritt eins"])
  expect("links", seen.links, ["https://example.org/leitbild"])
  report({ text, heads })
})
