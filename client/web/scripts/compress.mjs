// Writes a gzip and a brotli copy beside every built file worth compressing, so the server
// can send the smallest one the browser accepts without compressing on each request.
import fs from "node:fs"
import path from "node:path"
import zlib from "node:zlib"

const out = process.env.AGORA_WEB_OUT ?? "dist"
const worthIt = /\.(js|css|wasm|svg|json)$/

function* files(dir) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name)
    if (entry.isDirectory()) yield* files(full)
    else yield full
  }
}

for (const file of files(out)) {
  if (!worthIt.test(file) || file.includes(`${path.sep}.vite${path.sep}`)) continue
  const body = fs.readFileSync(file)
  const gzip = zlib.gzipSync(body, { level: 9 })
  const brotli = zlib.brotliCompressSync(body, {
    params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: body.length },
  })
  // A copy that saves nothing is left out; the server then sends the file itself.
  if (gzip.length < body.length) fs.writeFileSync(`${file}.gz`, gzip)
  if (brotli.length < body.length) fs.writeFileSync(`${file}.br`, brotli)
}
