// Two signed-in people in separate browser contexts edit the same statement at once: each
// sees the other's text and caret within one second, both end with the same document, and
// undo takes back only one's own words.
// Env: AGORA_URL, AGORA_DOCUMENT, AGORA_PASSWORD, AGORA_A_EMAIL, AGORA_B_EMAIL, AGORA_B_NAME,
// AGORA_A_NAME. Prints {"textMs":…, "caretMs":…, "text":…, "heads":…}: the agreed document.

import {
  assert, caretTo, openDocument, report, required, run, signIn, waitForAgreement, waitForShown,
} from "./harness.mjs"

const id = required("AGORA_DOCUMENT")
const within = 1000

await run(async (browser) => {
  const a = await signIn(browser, required("AGORA_A_EMAIL"))
  const b = await signIn(browser, required("AGORA_B_EMAIL"))
  await Promise.all([openDocument(a.page, id), openDocument(b.page, id)])

  // A's words reach B.
  await caretTo(a.page, "end")
  await a.page.keyboard.type("Wir hören einander zu.")
  const textMs = await waitForShown(b.page, "Wir hören einander zu.", 5_000)
  assert(textMs < within, `B saw A's text after ${textMs} ms`)

  // B's caret reaches A, with B's name on it.
  await caretTo(b.page, "start")
  const caret = `.agora-remote-caret[data-peer-name="${required("AGORA_B_NAME")}"]`
  const caretStarted = performance.now()
  await a.page.waitForSelector(caret, { state: "attached", timeout: 5_000 })
  const caretMs = Math.round(performance.now() - caretStarted)
  assert(caretMs < within, `A saw B's caret after ${caretMs} ms`)
  await b.page.waitForSelector(`.agora-remote-caret[data-peer-name="${required("AGORA_A_NAME")}"]`, {
    state: "attached",
    timeout: within,
  })

  // Both type at once, at opposite ends of the text. (After a pause, so A's undo history
  // keeps these words apart from the first sentence.)
  await new Promise((resolve) => setTimeout(resolve, 700))
  await Promise.all([
    a.page.keyboard.type(" Entscheidungen treffen wir gemeinsam.", { delay: 15 }),
    b.page.keyboard.type("Präambel: ", { delay: 15 }),
  ])
  await waitForAgreement([a.page, b.page], ["Entscheidungen treffen wir gemeinsam.", "Präambel: "])

  // Undo takes back one's own words, never a colleague's.
  await a.page.keyboard.press("Control+z")
  const { text, heads } = await waitForAgreement([a.page, b.page], ["Wir hören einander zu.", "Präambel: "])
  assert(!text.includes("Entscheidungen"), `A's undo did not take back A's sentence: ${text}`)
  report({ textMs, caretMs, text, heads })
})
