// Shared steps of the browser tests: Debian's chromium driven headless by playwright-core,
// signing in through Agora's own pages and reading the editor's state through the hooks the
// client exposes (`window.agora`).
//
// Every script takes its settings from the environment (AGORA_URL, AGORA_DOCUMENT, people's
// emails and the password), prints one JSON line per result on stdout, and exits by itself
// after LIFETIME_SECS (default 120) so a stuck browser never outlives its test.

import readline from "node:readline"
import { chromium } from "playwright-core"

export const base = required("AGORA_URL")
export const password = required("AGORA_PASSWORD")

const lifetime = Number(process.env.LIFETIME_SECS ?? 120)
setTimeout(() => {
  console.error(`browser test gave up after ${lifetime} s`)
  process.exit(3)
}, lifetime * 1000).unref()

export function required(name) {
  const value = process.env[name]
  if (!value) {
    console.error(`${name} is not set`)
    process.exit(2)
  }
  return value
}

/** A headless chromium; `CHROMIUM` names another binary. */
export function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking"],
  })
}

/** A fresh browser context (its own cookies and IndexedDB) signed in as `email`. */
export async function signIn(browser, email, options = {}) {
  const context = await browser.newContext({ locale: "de-DE", ...options })
  const page = await context.newPage()
  page.on("pageerror", (error) => console.error(`[${email}] page error: ${error.message}`))
  page.on("console", (message) => {
    if (message.type() === "error") console.error(`[${email}] console: ${message.text()}`)
  })
  await page.goto(`${base}/login`)
  await page.fill("#email", email)
  await page.fill("#password", password)
  await Promise.all([page.waitForURL((url) => !url.pathname.startsWith("/login")), page.click("form[action='/login'] button[type=submit]")])
  return { context, page }
}

/** Opens a document's page (or its meeting view) and waits until the editor holds it. */
export async function openDocument(page, id, view = "") {
  await page.goto(`${base}/d/${id}${view}`)
  await page.waitForFunction(() => window.agora !== undefined, null, { timeout: 15_000 })
  await page.evaluate(() => window.agora.ready)
  await page.waitForSelector("#agora-editor .ProseMirror")
}

/** The document's text as the page's automerge document holds it. */
export function documentText(page) {
  return page.evaluate(() => window.agora.text())
}

/** The text the editor shows. */
export function shownText(page) {
  return page.locator("#agora-editor .ProseMirror").innerText()
}

/** Waits until the editor shows `fragment`; returns the milliseconds it took. */
export async function waitForShown(page, fragment, timeout = 10_000) {
  const started = performance.now()
  await page.waitForFunction(
    (fragment) => document.querySelector("#agora-editor .ProseMirror")?.textContent?.includes(fragment),
    fragment,
    { timeout, polling: 10 },
  )
  return Math.round(performance.now() - started)
}

/** The page's document: its text and its heads (sorted hex change hashes). */
export function documentState(page) {
  return page.evaluate(() => ({ text: window.agora.text(), heads: window.agora.heads().sort() }))
}

/**
 * Waits until every page holds the identical document (same heads, same text) and its text
 * contains every fragment; returns that document's `{text, heads}`.
 */
export async function waitForAgreement(pages, fragments, timeout = 15_000) {
  const deadline = Date.now() + timeout
  for (;;) {
    const states = await Promise.all(pages.map(documentState))
    const [first] = states
    const agreed = states.every(({ text, heads }) => text === first.text && heads.join() === first.heads.join())
    if (agreed && fragments.every((fragment) => first.text.includes(fragment))) return first
    if (Date.now() > deadline) {
      throw new Error(`pages did not agree within ${timeout} ms: ${JSON.stringify(states)}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

/** Puts the caret at the end (or start) of the editor's text. */
export async function caretTo(page, where) {
  await page.click("#agora-editor .ProseMirror")
  await page.keyboard.press(where === "start" ? "Control+Home" : "Control+End")
}

/** Cuts the context's sync socket while `blocked`, as a dead network would. */
export async function cuttableSync(context) {
  const state = { blocked: false, sockets: new Set() }
  await context.routeWebSocket(/\/sync/, (socket) => {
    if (state.blocked) {
      socket.close()
      return
    }
    socket.connectToServer()
    state.sockets.add(socket)
  })
  return {
    /** The network is gone: the browser is offline and the socket is cut. */
    async cut() {
      state.blocked = true
      await context.setOffline(true)
      for (const socket of state.sockets) await socket.close()
      state.sockets.clear()
    },
    /** The browser is online again, but the server stays out of reach. */
    async online() {
      await context.setOffline(false)
    },
    /** The server is reachable again. */
    async restore() {
      state.blocked = false
      await context.setOffline(false)
    },
  }
}

export function report(result) {
  console.log(JSON.stringify(result))
}

export function assert(condition, message) {
  if (!condition) throw new Error(message)
}

/** The next JSON line on stdin (for scripts that take turns with a Rust test). */
const input = readline.createInterface({ input: process.stdin })
const lines = input[Symbol.asyncIterator]()
export async function nextCommand() {
  const { value, done } = await lines.next()
  if (done) throw new Error("the test closed stdin")
  return JSON.parse(value)
}

/** Runs a test body, reports its failure clearly and always closes the browser. */
export async function run(body) {
  const browser = await launch()
  try {
    await body(browser)
    input.close()
  } catch (error) {
    console.error(error.stack ?? String(error))
    process.exitCode = 1
  } finally {
    await browser.close()
    input.close()
  }
}
