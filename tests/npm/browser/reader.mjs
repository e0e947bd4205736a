// A reader's browser shows the text live but cannot change it, by keyboard or otherwise.
// Env: AGORA_URL, AGORA_DOCUMENT, AGORA_PASSWORD, AGORA_A_EMAIL (an editor), AGORA_READER_EMAIL.
// Prints {"text":…, "heads":…}: the document both pages agree on.

import {
  assert, caretTo, openDocument, report, required, run, shownText, signIn, waitForAgreement, waitForShown,
} from "./harness.mjs"

const id = required("AGORA_DOCUMENT")

await run(async (browser) => {
  const editor = await signIn(browser, required("AGORA_A_EMAIL"))
  const reader = await signIn(browser, required("AGORA_READER_EMAIL"))
  await Promise.all([openDocument(editor.page, id), openDocument(reader.page, id)])

  const editable = await reader.page.getAttribute("#agora-editor .ProseMirror", "contenteditable")
  assert(editable === "false", `the reader's editor is contenteditable=${editable}`)

  await caretTo(editor.page, "end")
  await editor.page.keyboard.type(" Live für Lesende.")
  await waitForShown(reader.page, "Live für Lesende.", 5_000)

  // Everything a reader could try: typing, pasting, deleting.
  await reader.page.click("#agora-editor .ProseMirror")
  await reader.page.keyboard.type("LESER-TEXT")
  await reader.page.keyboard.press("Backspace")
  await reader.page.keyboard.press("Control+A")
  await reader.page.keyboard.press("Delete")
  await reader.page.evaluate(() => document.execCommand("insertText", false, "EINGEFUEGT"))
  await new Promise((resolve) => setTimeout(resolve, 1_000))

  // The reader's own copy is the editor's document exactly: no change of its own, not even local.
  const { text, heads } = await waitForAgreement([editor.page, reader.page], ["Live für Lesende."])
  assert(!text.includes("LESER") && !text.includes("EINGEFUEGT"), `the reader changed the text: ${text}`)
  const shown = await shownText(reader.page)
  assert(shown.includes("Live für Lesende.") && !shown.includes("LESER"), `the reader's page shows: ${shown}`)
  report({ text, heads })
})
