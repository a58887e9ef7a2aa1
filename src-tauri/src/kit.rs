//! The emergency kit saved as a PDF file: the page printed by WebKit
//! straight to a file (GTK's "Print to File" backend), with no print
//! dialog, for the computers where no printer is set up and the dialog
//! is of no help.

use std::path::Path;
use std::time::Duration;

use matterbox_core::CoreError;

/// How long WebKit may take to lay out and write the page.
const PRINT_TIME_LIMIT: Duration = Duration::from_secs(60);

/// A vault name made fit for a file name: separators and control
/// characters become spaces, and it is kept short.
pub fn file_name_part(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| {
            if c.is_control() || matches!(c, '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|') {
                ' '
            } else {
                c
            }
        })
        .take(80)
        .collect();
    let trimmed = cleaned.trim().trim_start_matches('.').trim();
    if trimmed.is_empty() {
        "Matterbox".into()
    } else {
        trimmed.into()
    }
}

/// Prints the window's page (its print style shows only the kit) to a new
/// PDF file at `path`, made private (0600) before anything is written and
/// never replacing a file. A failure removes the file.
pub fn print_to_pdf(window: &tauri::WebviewWindow, path: &Path) -> Result<(), CoreError> {
    // Claimed first, private and new: WebKit then writes into it.
    private_new(path).map_err(CoreError::user_file("save", path))?;
    let out = print(window, path);
    let written = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    match out {
        Ok(()) if written > 0 => Ok(()),
        other => {
            let _ = std::fs::remove_file(path);
            match other {
                Err(e) => Err(e),
                Ok(()) => Err(CoreError::Invalid(
                    "The page was printed, but nothing was written to the file. Use Print… and choose \"Print to File\" instead."
                        .into(),
                )),
            }
        }
    }
}

fn private_new(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)
}

#[cfg(target_os = "linux")]
fn print(window: &tauri::WebviewWindow, path: &Path) -> Result<(), CoreError> {
    use webkit2gtk::PrintOperationExt;
    let failed = |what: &str| {
        CoreError::Invalid(format!(
            "The emergency kit could not be saved as PDF ({what}). Use Print… and choose \"Print to File\" instead."
        ))
    };
    let absolute = std::path::absolute(path).map_err(|_| failed("the file's place"))?;
    let uri = tauri::Url::from_file_path(&absolute)
        .map_err(|_| failed("the file's place"))?
        .to_string();
    let (tx, rx) = std::sync::mpsc::channel::<Result<(), String>>();
    window
        .with_webview(move |webview| {
            let operation = webkit2gtk::PrintOperation::new(&webview.inner());
            let settings = gtk::PrintSettings::new();
            settings.set_printer("Print to File");
            settings.set(gtk::PRINT_SETTINGS_OUTPUT_FILE_FORMAT, Some("pdf"));
            settings.set(gtk::PRINT_SETTINGS_OUTPUT_URI, Some(&uri));
            operation.set_print_settings(&settings);
            let done = tx.clone();
            operation.connect_finished(move |_| {
                let _ = done.send(Ok(()));
            });
            operation.connect_failed(move |_, error| {
                let _ = tx.send(Err(error.to_string()));
            });
            operation.print();
        })
        .map_err(|_| failed("the window"))?;
    match rx.recv_timeout(PRINT_TIME_LIMIT) {
        // "finished" follows "failed" too: the first answer counts.
        Ok(Ok(())) => Ok(()),
        Ok(Err(reason)) => Err(failed(&reason)),
        Err(_) => Err(failed("printing did not finish")),
    }
}

#[cfg(not(target_os = "linux"))]
fn print(_window: &tauri::WebviewWindow, _path: &Path) -> Result<(), CoreError> {
    Err(CoreError::Invalid(
        "Use Print… and choose \"Save as PDF\" in the print dialog.".into(),
    ))
}

#[cfg(test)]
mod tests {
    use super::file_name_part;

    #[test]
    fn vault_names_become_safe_file_names() {
        assert_eq!(
            file_name_part("Fictional & Partners"),
            "Fictional & Partners"
        );
        assert_eq!(file_name_part("a/b\\c:d"), "a b c d");
        assert!(!file_name_part("../..").contains('/'));
        assert_eq!(file_name_part(""), "Matterbox");
        assert_eq!(file_name_part(&"x".repeat(200)).len(), 80);
    }
}
