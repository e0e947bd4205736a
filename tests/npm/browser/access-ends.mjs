// A reader has the document open when the owner takes the access back: the page says the
// document is no longer available. Takes turns with the Rust test:
//   -> {"step":"ready"}          the reader's page holds the document
//   <- {"revoked":true}          the grant is gone
//   -> {"step":"told","ms":…,"message":"…"}
// Env: AGORA_URL, AGORA_DOCUMENT, AGORA_PASSWORD, AGORA_READER_EMAIL.

import { nextCommand, openDocument, report, required, run, signIn } from "./harness.mjs"

const id = required("AGORA_DOCUMENT")

await run(async (browser) => {
  const { page } = await signIn(browser, required("AGORA_READER_EMAIL"))
  await openDocument(page, id)
  await page.waitForSelector('[data-connection-state="synced"]', { timeout: 10_000 })
  report({ step: "ready" })
  await nextCommand()
  const started = performance.now()
  await page.waitForSelector('[data-connection-state="unavailable"]', { timeout: 10_000 })
  const ms = Math.round(performance.now() - started)
  report({ step: "told", ms, message: await page.textContent("[data-connection-state]") })
})
