fn main() {
    // tauri.conf.json sits beside this file, as the Tauri CLI (the
    // bundler, scripts/package.sh) expects; its paths are relative to it.
    tauri_build::build();
    // The built UI is embedded in the binary: a new `npm run build` must
    // rebuild the app, or it would run the previous UI.
    println!("cargo:rerun-if-changed=../ui/dist");
}
