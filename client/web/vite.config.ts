// The build the agora binary embeds: everything under /app/, file names with a content hash
// (the server lets browsers keep them for good), and a manifest that names the entry script
// and stylesheet for the server's pages. The server's build script sets AGORA_WEB_OUT.
import { defineConfig } from "vite"

export default defineConfig({
  base: "/app/",
  build: {
    target: "es2022",
    outDir: process.env.AGORA_WEB_OUT ?? "dist",
    emptyOutDir: true,
    manifest: true,
    // automerge's WebAssembly is large by nature; it is compressed when served.
    chunkSizeWarningLimit: 4096,
    rollupOptions: { input: "src/main.ts" },
  },
})
