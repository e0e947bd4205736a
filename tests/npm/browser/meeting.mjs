// The meeting view on a projector-sized screen, with two people present: large type, both
// names in the presence list; a screenshot is kept as a test artefact; someone who leaves is
// gone from the list within seconds.
// Env: AGORA_URL, AGORA_DOCUMENT, AGORA_PASSWORD, AGORA_A_EMAIL, AGORA_B_EMAIL, AGORA_A_NAME,
// AGORA_B_NAME, AGORA_SCREENSHOT (the file to write). Prints {"fontPx":…, "screenshot":…, "goneMs":…}.

import { assert, caretTo, openDocument, report, required, run, signIn } from "./harness.mjs"

const id = required("AGORA_DOCUMENT")
const screenshot = required("AGORA_SCREENSHOT")

await run(async (browser) => {
  const projector = await signIn(browser, required("AGORA_A_EMAIL"), { viewport: { width: 1920, height: 1080 } })
  const laptop = await signIn(browser, required("AGORA_B_EMAIL"))
  await openDocument(projector.page, id, "/meeting")
  await openDocument(laptop.page, id)
  await caretTo(laptop.page, "end")
  await laptop.page.keyboard.type(" Wir sagen, was wir denken.")

  for (const name of [required("AGORA_A_NAME"), required("AGORA_B_NAME")]) {
    await projector.page.waitForSelector(`[data-presence-list] li[data-peer-name="${name}"]`, { timeout: 5_000 })
  }
  await projector.page.waitForSelector(".agora-remote-caret", { state: "attached", timeout: 5_000 })
  const fontPx = await projector.page.evaluate(() =>
    parseFloat(getComputedStyle(document.querySelector("#agora-editor .ProseMirror p") ?? document.body).fontSize),
  )
  assert(fontPx >= 28, `the meeting view's text is ${fontPx}px`)
  await projector.page.screenshot({ path: screenshot, fullPage: false })

  // Someone who leaves is gone from the list within seconds.
  const left = performance.now()
  await laptop.context.close()
  await projector.page.waitForSelector(`[data-presence-list] li[data-peer-name="${required("AGORA_B_NAME")}"]`, {
    state: "detached",
    timeout: 6_000,
  })
  const goneMs = Math.round(performance.now() - left)
  report({ fontPx, screenshot, goneMs })
})
