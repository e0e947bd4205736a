// One browser loses its connection; both people keep typing; it comes back and both edits are
// kept and converge. While cut off, the page says so, the other side does not see its words,
// and a reload shows them from the browser's own storage. Env as two-editors.mjs.
// Prints {"text":…, "heads":…, "reconnectMs":…}.

import {
  assert, caretTo, cuttableSync, documentText, openDocument, report, required, run, shownText, signIn,
  waitForAgreement, waitForShown,
} from "./harness.mjs"

const id = required("AGORA_DOCUMENT")

await run(async (browser) => {
  const a = await signIn(browser, required("AGORA_A_EMAIL"))
  const b = await signIn(browser, required("AGORA_B_EMAIL"))
  const network = await cuttableSync(a.context)
  await Promise.all([openDocument(a.page, id), openDocument(b.page, id)])
  await a.page.waitForSelector('[data-connection-state="synced"]', { timeout: 10_000 })

  await network.cut()
  await a.page.waitForSelector('[data-connection-state="offline"]', { timeout: 10_000 })
  await caretTo(a.page, "end")
  await a.page.keyboard.type(" Offline geschrieben, im Keller ohne Netz.", { delay: 10 })
  await caretTo(b.page, "start")
  await b.page.keyboard.type("Online geschrieben. ", { delay: 10 })
  await new Promise((resolve) => setTimeout(resolve, 1_000))
  assert(!(await shownText(b.page)).includes("im Keller"), "B saw A's words while A was offline")
  assert(!(await shownText(a.page)).includes("Online geschrieben"), "A heard B while offline")

  // Back online but the server still out of reach: a reload keeps the words (IndexedDB).
  await network.online()
  await a.page.reload()
  await a.page.waitForFunction(() => window.agora !== undefined)
  await a.page.evaluate(() => window.agora.ready)
  await waitForShown(a.page, "im Keller ohne Netz.", 5_000)
  const state = await a.page.getAttribute("[data-connection-state]", "data-connection-state")
  assert(state !== "synced", `the page says ${state} while the server is out of reach`)
  assert(!(await documentText(b.page)).includes("im Keller"), "B saw A's words before A reconnected")

  const back = performance.now()
  await network.restore()
  const { text, heads } = await waitForAgreement([a.page, b.page], ["im Keller ohne Netz.", "Online geschrieben. "], 20_000)
  const reconnectMs = Math.round(performance.now() - back)
  await a.page.waitForSelector('[data-connection-state="synced"]', { timeout: 10_000 })
  report({ text, heads, reconnectMs })
})
