//! Builds the browser client (`client/web`) and embeds it in the `agora` binary, so that one
//! file serves everything.
//!
//! The client is built with npm (`npm ci` when its packages are missing or out of date, then
//! `npm run build`) into this build's output folder, where the client's build also writes a
//! gzip and a brotli copy of every file. `AGORA_WEB_DIST` names an already built client instead
//! (for builds without Node.js, e.g. a container that built the client in an earlier stage).
//! The result is `web_assets.rs`: a table of every file (with its compressed copies) and the
//! entry script and stylesheets from vite's manifest.

use std::env;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The entry module in `client/web`, as vite's manifest names it.
const ENTRY: &str = "src/main.ts";

fn main() {
    println!("cargo:rerun-if-env-changed=AGORA_WEB_DIST");
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let dist = match env::var_os("AGORA_WEB_DIST") {
        Some(dist) => PathBuf::from(dist),
        None => build_web_client(&out.join("web")),
    };
    let table = asset_table(&dist);
    std::fs::write(out.join("web_assets.rs"), table).expect("write web_assets.rs");
}

/// Runs the client's npm build into `into` and returns it.
fn build_web_client(into: &Path) -> PathBuf {
    let manifest_dir = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let web = manifest_dir.join("../client/web");
    for input in [
        "src",
        "package.json",
        "package-lock.json",
        "vite.config.ts",
        "tsconfig.json",
        "scripts",
    ] {
        println!("cargo:rerun-if-changed={}", web.join(input).display());
    }
    let installed = web.join("node_modules/.package-lock.json");
    if !installed.exists() || newer(&web.join("package-lock.json"), &installed) {
        npm(
            &web,
            &["ci", "--no-audit", "--no-fund", "--loglevel=error"],
            into,
        );
    }
    npm(&web, &["run", "--silent", "build"], into);
    into.to_owned()
}

fn newer(a: &Path, b: &Path) -> bool {
    let modified = |path: &Path| std::fs::metadata(path).and_then(|m| m.modified()).ok();
    modified(a) > modified(b)
}

fn npm(web: &Path, args: &[&str], out: &Path) {
    let output = Command::new("npm")
        .args(args)
        .current_dir(web)
        .env("AGORA_WEB_OUT", out)
        .output()
        .unwrap_or_else(|error| {
            panic!(
                "building the browser client needs Node.js 20 with npm ({error}); \
                 or set AGORA_WEB_DIST to a built client"
            )
        });
    if !output.status.success() {
        panic!(
            "`npm {}` in client/web failed:\n{}\n{}",
            args.join(" "),
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

/// The Rust source of the asset table for the built client in `dist`.
fn asset_table(dist: &Path) -> String {
    let mut files = Vec::new();
    collect_files(dist, dist, &mut files);
    files.sort();
    let mut table = String::from("pub static ASSETS: &[Asset] = &[\n");
    for path in &files {
        let name = path.to_str().expect("utf-8 asset names");
        // Compressed copies sit beside their file and are served through it.
        if name.ends_with(".gz") || name.ends_with(".br") || name.starts_with(".vite/") {
            continue;
        }
        let full = dist.join(path);
        let _ = writeln!(
            table,
            "    Asset {{ path: {name:?}, content_type: {:?}, body: include_bytes!({:?}), \
             gzip: {}, brotli: {} }},",
            content_type(name),
            full.display().to_string(),
            compressed(&full, "gz"),
            compressed(&full, "br"),
        );
    }
    table.push_str("];\n");
    let (script, styles) = entry(dist);
    let _ = writeln!(table, "pub const ENTRY_SCRIPT: &str = {script:?};");
    let _ = writeln!(table, "pub const ENTRY_STYLES: &[&str] = &{styles:?};");
    table
}

fn collect_files(root: &Path, dir: &Path, files: &mut Vec<PathBuf>) {
    let entries = std::fs::read_dir(dir)
        .unwrap_or_else(|error| panic!("the built client at {} ({error})", dir.display()));
    for entry in entries {
        let path = entry.expect("list the built client").path();
        if path.is_dir() {
            collect_files(root, &path, files);
        } else {
            files.push(path.strip_prefix(root).expect("inside root").to_owned());
        }
    }
}

fn compressed(file: &Path, extension: &str) -> String {
    let mut name = file.as_os_str().to_owned();
    name.push(".");
    name.push(extension);
    let copy = PathBuf::from(name);
    if copy.exists() {
        format!("Some(include_bytes!({:?}))", copy.display().to_string())
    } else {
        "None".to_owned()
    }
}

fn content_type(name: &str) -> &'static str {
    match name.rsplit_once('.').map(|(_, extension)| extension) {
        Some("js") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("wasm") => "application/wasm",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("woff2") => "font/woff2",
        Some("json") => "application/json",
        _ => "application/octet-stream",
    }
}

/// The entry script and its stylesheets, from vite's manifest.
fn entry(dist: &Path) -> (String, Vec<String>) {
    let manifest_path = dist.join(".vite/manifest.json");
    let text = std::fs::read_to_string(&manifest_path)
        .unwrap_or_else(|error| panic!("{} ({error})", manifest_path.display()));
    let manifest: serde_json::Value = serde_json::from_str(&text).expect("vite's manifest");
    let entry = &manifest[ENTRY];
    let script = entry["file"]
        .as_str()
        .unwrap_or_else(|| panic!("vite's manifest has no entry {ENTRY}"))
        .to_owned();
    let styles = entry["css"]
        .as_array()
        .map(|css| {
            css.iter()
                .filter_map(|file| file.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    (script, styles)
}
