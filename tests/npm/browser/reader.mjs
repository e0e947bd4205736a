// A reader's browser shows the text live but cannot change it, by keyboard or otherwise.
// Env: AGORA_URL, AGORA_DOCUMENT, AGORA_PASSWORD, AGORA_A_EMAIL (an editor), AGORA_READER_EMAIL.
// Prints {"text":…} with the editor's final automerge text.

import {
  assert, caretTo, documentText, openDocument, report, required, run, shownText, signIn, waitForShown,
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

  const readerText = await documentText(reader.page)
  const editorText = await documentText(editor.page)
  assert(!readerText.includes("LESER") && !readerText.includes("EINGEFUEGT"), `the reader changed the text: ${readerText}`)
  assert(readerText === editorText, "the reader's text differs from the editor's")
  assert((await shownText(reader.page)).includes("Live für Lesende."), "the reader lost the text")
  report({ text: editorText })
})
