fn main() {
    // tauri.conf.json sits at the repository root, beside ui/ and icons/.
    tauri_build::try_build(tauri_build::Attributes::new().config_path("../tauri.conf.json"))
        .expect("tauri build configuration");
}
