// The browser's half of editing one document together with the Rust client. It takes turns
// with the Rust test over stdin/stdout, one JSON line each:
//   -> {"step":"ready"}                  the page holds the document
//   <- {"waitFor":"…"}                   the Rust client wrote this; wait until the page shows it
//   -> {"step":"seen","ms":…}
//   <- {"type":"…"}                      type this at the end of the text
//   -> {"step":"typed"}
//   <- {"finish":true}
//   -> {"step":"finished","text":"…","heads":[…]}    the page's document
// Env: AGORA_URL, AGORA_DOCUMENT, AGORA_PASSWORD, AGORA_A_EMAIL.

import { caretTo, documentState, nextCommand, openDocument, report, required, run, signIn, waitForShown } from "./harness.mjs"

const id = required("AGORA_DOCUMENT")

await run(async (browser) => {
  const { page } = await signIn(browser, required("AGORA_A_EMAIL"))
  await openDocument(page, id)
  report({ step: "ready" })
  for (;;) {
    const command = await nextCommand()
    if (command.waitFor !== undefined) {
      report({ step: "seen", ms: await waitForShown(page, command.waitFor, 10_000) })
    } else if (command.type !== undefined) {
      await caretTo(page, "end")
      await page.keyboard.type(command.type)
      report({ step: "typed" })
    } else if (command.finish) {
      report({ step: "finished", ...(await documentState(page)) })
      return
    }
  }
})
