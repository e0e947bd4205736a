// The client's texts in the visitor's language. The server puts every `web-*` message of
// `schema/locales/<language>/agora.ftl` into the page; keys are always literal, so a test can
// check that each one exists in every language.

let strings: Record<string, string> | undefined

function load(): Record<string, string> {
  const element = document.getElementById("agora-strings")
  try {
    return element?.textContent ? (JSON.parse(element.textContent) as Record<string, string>) : {}
  } catch {
    return {}
  }
}

/** The text for `key`; a missing one shows as its key, never as nothing. */
export function t(key: string): string {
  strings ??= load()
  return strings[key] ?? key
}
