// A search hit's link (`/d/ID#section-N`) opens the document at that section: its heading is
// scrolled to the top of the window, below the toolbar, and the caret waits at its start.
// Env: AGORA_URL, AGORA_DOCUMENT, AGORA_PASSWORD, AGORA_A_EMAIL, AGORA_LINK (the hit's link
// path), AGORA_HEADING (the section's heading). Prints {"heading":…, "top":…, "caretIn":…}.

import { assert, report, required, run, signIn } from "./harness.mjs"

await run(async (browser) => {
  const { page } = await signIn(browser, required("AGORA_A_EMAIL"))
  await page.goto(`${required("AGORA_URL")}${required("AGORA_LINK")}`)
  await page.waitForFunction(() => window.agora !== undefined, null, { timeout: 15_000 })
  await page.evaluate(() => window.agora.ready)
  const heading = required("AGORA_HEADING")
  const seen = await page.evaluate((heading) => {
    const element = [...document.querySelectorAll("#agora-editor .ProseMirror h1, #agora-editor .ProseMirror h2")]
      .find((candidate) => candidate.textContent === heading)
    const caret = getSelection()?.anchorNode
    const caretElement = caret?.nodeType === Node.TEXT_NODE ? caret.parentElement : caret
    return {
      heading: element?.textContent ?? null,
      top: element ? Math.round(element.getBoundingClientRect().top) : null,
      scrolled: Math.round(scrollY),
      window: innerHeight,
      toolbarBottom: Math.round(document.querySelector(".agora-toolbar")?.getBoundingClientRect().bottom ?? 0),
      caretIn: caretElement?.closest("h1, h2")?.textContent ?? null,
    }
  }, heading)
  assert(seen.heading === heading, `no heading ${heading} on the page`)
  assert(seen.scrolled > 0 && seen.top < seen.window / 2, `the section is not at the top: ${JSON.stringify(seen)}`)
  assert(seen.top >= seen.toolbarBottom, `the heading hides under the toolbar: ${JSON.stringify(seen)}`)
  assert(seen.caretIn === heading, `the caret is not in the section's heading: ${JSON.stringify(seen)}`)
  report(seen)
})
