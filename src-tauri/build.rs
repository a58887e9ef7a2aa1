fn main() {
    // tauri.conf.json sits beside this file, as the Tauri CLI (the
    // bundler, scripts/package.sh) expects; its paths are relative to it.
    tauri_build::build();
}
