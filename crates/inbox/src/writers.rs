//! Which inbox files a program still has open for writing.
//!
//! Native events see a writer close a file, but only writers that opened it
//! after watching started; a poll sees none at all. A scanner that pauses
//! longer than the quiet period would then look finished. On Linux the open
//! files of every process this user may inspect are listed under `/proc`,
//! so such a writer is seen wherever it started. Other users' programs and
//! writers on other machines (network shares) are not visible: for those
//! the quiet period alone decides, as it does on other systems.

#[cfg(target_os = "linux")]
use std::collections::HashMap;
use std::collections::HashSet;
#[cfg(target_os = "linux")]
use std::path::Path;
use std::path::PathBuf;

/// The `paths` that some process has open for writing, as far as can be
/// seen. One look at all processes, however many paths are asked about.
#[cfg(target_os = "linux")]
pub fn open_for_writing(paths: &[PathBuf]) -> HashSet<PathBuf> {
    use std::os::unix::fs::MetadataExt;
    let wanted: HashMap<(u64, u64), &PathBuf> = paths
        .iter()
        .filter_map(|p| {
            let m = std::fs::symlink_metadata(p).ok()?;
            m.is_file().then_some(((m.dev(), m.ino()), p))
        })
        .collect();
    let mut busy = HashSet::new();
    if wanted.is_empty() {
        return busy;
    }
    let Ok(procs) = std::fs::read_dir("/proc") else {
        return busy;
    };
    for process in procs.flatten() {
        let pid = process.file_name();
        if !pid.to_string_lossy().bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        // Processes of other users, and ones that ended meanwhile, cannot
        // be read: skipped.
        let Ok(fds) = std::fs::read_dir(process.path().join("fd")) else {
            continue;
        };
        for fd in fds.flatten() {
            // The descriptor's target, followed through /proc's link.
            let Ok(m) = std::fs::metadata(fd.path()) else {
                continue;
            };
            let Some(path) = wanted.get(&(m.dev(), m.ino())) else {
                continue;
            };
            let info = process.path().join("fdinfo").join(fd.file_name());
            if opened_for_writing(&info) {
                busy.insert((*path).clone());
            }
        }
    }
    busy
}

#[cfg(not(target_os = "linux"))]
pub fn open_for_writing(_paths: &[PathBuf]) -> HashSet<PathBuf> {
    HashSet::new()
}

/// Whether `/proc/<pid>/fdinfo/<fd>` says write-only or read-write. An
/// unreadable entry (the descriptor was closed meanwhile) says no.
#[cfg(target_os = "linux")]
fn opened_for_writing(fdinfo: &Path) -> bool {
    const ACCESS_MODE: u32 = 0o3; // O_ACCMODE; 0 is read-only
    std::fs::read_to_string(fdinfo).is_ok_and(|info| {
        info.lines()
            .find_map(|l| l.strip_prefix("flags:"))
            .and_then(|f| u32::from_str_radix(f.trim(), 8).ok())
            .is_some_and(|flags| flags & ACCESS_MODE != 0)
    })
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn a_file_open_for_writing_is_busy_until_closed_and_readers_do_not_count() {
        let dir = tempfile::tempdir().unwrap();
        let scan = dir.path().join("2026-0001_scan.pdf");
        let other = dir.path().join("letter.txt");
        std::fs::write(&other, "done").unwrap();
        let mut writer = std::fs::File::create(&scan).unwrap();
        writer.write_all(b"%PDF-1.7 first page").unwrap();
        let both = [scan.clone(), other.clone(), dir.path().join("gone.txt")];
        assert_eq!(open_for_writing(&both), HashSet::from([scan.clone()]));
        drop(writer);
        let _reader = std::fs::File::open(&scan).unwrap();
        let _appender = std::fs::OpenOptions::new()
            .append(true)
            .open(&other)
            .unwrap();
        assert_eq!(open_for_writing(&both), HashSet::from([other]));
    }

    #[test]
    fn another_process_writing_is_seen() {
        let dir = tempfile::tempdir().unwrap();
        let scan = dir.path().join("scan.txt");
        std::fs::write(&scan, "first page").unwrap();
        // A separate program holding the file open for appending.
        let mut writer = std::process::Command::new("sh")
            .args(["-c", "exec 3>>\"$1\"; echo ready; read _", "sh"])
            .arg(&scan)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut ready = String::new();
        std::io::BufRead::read_line(
            &mut std::io::BufReader::new(writer.stdout.take().unwrap()),
            &mut ready,
        )
        .unwrap();
        assert_eq!(ready, "ready\n");
        assert!(open_for_writing(std::slice::from_ref(&scan)).contains(&scan));
        drop(writer.stdin.take());
        writer.wait().unwrap();
        assert!(open_for_writing(&[scan]).is_empty());
    }
}
