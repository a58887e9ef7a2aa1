//! Helpers for the tests with real components: the built `matterbox`
//! binary, a private data folder per test, the Python SQLCipher client and
//! the Secret Service the test command starts.
//!
//! These tests never skip: when a component is missing they fail and say
//! how to start it (`./scripts/test.sh` starts everything).

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::thread;
use std::time::{Duration, Instant};

pub use tempfile::TempDir;

/// The `matterbox` binary built next to this test binary.
pub fn matterbox_bin() -> PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    // target/<profile>/deps/<test> -> target/<profile>/matterbox
    let dir = exe.parent().and_then(Path::parent).expect("target folder");
    let bin = dir.join(format!("matterbox{}", std::env::consts::EXE_SUFFIX));
    assert!(
        bin.exists(),
        "{} is missing: build it first (cargo build -p matterbox-cli), or run ./scripts/test.sh",
        bin.display()
    );
    bin
}

/// Fails unless the test command started a private Secret Service.
pub fn require_secret_service() {
    assert!(
        std::env::var_os("MATTERBOX_TEST_SECRET_SERVICE").is_some(),
        "this test needs the private Secret Service (gnome-keyring in dbus-run-session) that ./scripts/test.sh starts"
    );
}

/// The Python interpreter with `sqlcipher3` (PyPI sqlcipher3-binary).
pub fn sqlcipher_python() -> PathBuf {
    let py = std::env::var_os("MATTERBOX_TEST_PYTHON").unwrap_or_else(|| {
        panic!("MATTERBOX_TEST_PYTHON is not set: ./scripts/test.sh installs sqlcipher3-binary and sets it")
    });
    PathBuf::from(py)
}

/// A private home for one test: vault, device secrets and data folders.
pub struct Home {
    pub dir: TempDir,
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}\nstderr: {}", self.stdout, self.stderr))
    }

    #[track_caller]
    pub fn ok(self) -> Self {
        assert_eq!(
            self.code, 0,
            "stdout: {}\nstderr: {}",
            self.stdout, self.stderr
        );
        self
    }
}

/// A run that failed with exit code `code` and said `text` on stderr.
#[track_caller]
pub fn fails_with(run: Run, code: i32, text: &str) {
    assert_eq!(
        run.code, code,
        "stdout: {}\nstderr: {}",
        run.stdout, run.stderr
    );
    assert!(
        run.stderr.contains(text),
        "expected {text:?} in: {}",
        run.stderr
    );
}

impl From<Output> for Run {
    fn from(o: Output) -> Self {
        Run {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
}

/// The longest any one command of the tests may run before it counts as
/// hung (the slowest, a backup of many documents, takes seconds).
pub const COMMAND_LIMIT: Duration = Duration::from_secs(600);

/// Runs `cmd` to its end, but never longer than `limit`: past it the child
/// is killed and the test fails, so a command that hangs cannot stall the
/// suite. Returns the run and how long it took.
#[track_caller]
pub fn run_within(cmd: &mut Command, limit: Duration) -> (Run, Duration) {
    let started = Instant::now();
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {cmd:?}: {e}"));
    // Drained on their own threads, so a full pipe never blocks the child.
    let drain = |mut pipe: Box<dyn Read + Send>| {
        thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = pipe.read_to_end(&mut bytes);
            String::from_utf8_lossy(&bytes).into_owned()
        })
    };
    let stdout = drain(Box::new(child.stdout.take().unwrap()));
    let stderr = drain(Box::new(child.stderr.take().unwrap()));
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for the child") {
            break status;
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "{cmd:?} still ran after {limit:?} and was killed\nstderr: {}",
                stderr.join().unwrap()
            );
        }
        thread::sleep(Duration::from_millis(20));
    };
    let took = started.elapsed();
    let run = Run {
        code: status.code().unwrap_or(-1),
        stdout: stdout.join().unwrap(),
        stderr: stderr.join().unwrap(),
    };
    (run, took)
}

impl Home {
    pub fn new() -> Self {
        Self {
            dir: tempfile::tempdir().expect("temporary folder"),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn vault_dir(&self, name: &str) -> PathBuf {
        self.path().join("vaults").join(name)
    }

    /// A `matterbox` command with this home's folders and no inherited
    /// secrets. The Secret Service of the test session stays reachable.
    /// Vaults it creates take the floor Argon2id cost instead of
    /// calibrating to half a second (`MATTERBOX_DANGER_TEST_KDF_FLOOR`,
    /// honoured by test builds only): every later command unlocks in about
    /// a third of the time, and the suites run thousands of them.
    pub fn cmd(&self) -> Command {
        self.cmd_under(&[])
    }

    /// [`Home::cmd`] run under `wrapper` (for example `strace` with its
    /// options): `wrapper[0] wrapper[1..] matterbox`, with the same
    /// environment.
    pub fn cmd_under(&self, wrapper: &[String]) -> Command {
        let mut c = match wrapper.split_first() {
            Some((program, args)) => {
                let mut c = Command::new(program);
                c.args(args).arg(matterbox_bin());
                c
            }
            None => Command::new(matterbox_bin()),
        };
        c.env("HOME", self.path())
            .env("XDG_DATA_HOME", self.path().join("data"))
            .env(
                "MATTERBOX_DEVICE_SECRET_DIR",
                self.path().join("device-secrets"),
            )
            .env("MATTERBOX_DANGER_TEST_KDF_FLOOR", "1")
            .env_remove("MATTERBOX_VAULT")
            .env_remove("MATTERBOX_PASSPHRASE")
            .env_remove("MATTERBOX_NEW_PASSPHRASE")
            .env_remove("MATTERBOX_RECOVERY_KEY")
            .env_remove("MATTERBOX_S3_SECRET_ACCESS_KEY")
            .stdin(std::process::Stdio::null());
        c
    }

    /// Runs `matterbox --vault <vault> ARGS` with `passphrase` in the environment.
    pub fn run(&self, vault: &str, passphrase: Option<&str>, args: &[&str]) -> Run {
        let mut c = self.cmd();
        c.arg("--vault").arg(self.vault_dir(vault)).args(args);
        if let Some(p) = passphrase {
            c.env("MATTERBOX_PASSPHRASE", p);
        }
        run_within(&mut c, COMMAND_LIMIT).0
    }
}

impl Default for Home {
    fn default() -> Self {
        Self::new()
    }
}

/// Every file below `dir` whose bytes contain `needle` (as UTF-8).
pub fn files_containing(dir: &Path, needle: &str) -> Vec<PathBuf> {
    let mut hits = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("read folder").flatten() {
            let p = entry.path();
            if p.is_dir() {
                stack.push(p);
            } else if let Ok(bytes) = std::fs::read(&p)
                && bytes.windows(needle.len()).any(|w| w == needle.as_bytes())
            {
                hits.push(p);
            }
        }
    }
    hits
}

/// Copies the folder `from` to `to`, files and subfolders.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create folder");
    for entry in std::fs::read_dir(from).expect("read folder").flatten() {
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy file");
        }
    }
}

/// An S3-compatible object store on loopback (moto's server from PyPI,
/// installed by `scripts/setup.sh --test` beside the test Python), stopped
/// when dropped. It keeps its objects in memory.
pub struct ObjectStore {
    child: std::process::Child,
    pub port: u16,
}

impl ObjectStore {
    pub fn start() -> Self {
        let bin = sqlcipher_python().with_file_name("moto_server");
        assert!(
            bin.exists(),
            "{} is missing: ./scripts/setup.sh --test installs moto[server]",
            bin.display()
        );
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let child = Command::new(&bin)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", bin.display()));
        let store = ObjectStore { child, port };
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "the object store did not start on port {port}"
            );
            thread::sleep(Duration::from_millis(100));
        }
        store
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Sends one unsigned request (the test store takes them) and returns
    /// the status code.
    fn raw(&self, method: &str, path: &str) -> u16 {
        use std::io::Write;
        let mut s = std::net::TcpStream::connect(("127.0.0.1", self.port)).expect("connect");
        s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        write!(
            s,
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            self.port
        )
        .unwrap();
        let mut answer = String::new();
        let _ = s.read_to_string(&mut answer);
        answer
            .split_whitespace()
            .nth(1)
            .and_then(|c| c.parse().ok())
            .unwrap_or(0)
    }

    pub fn create_bucket(&self, name: &str) {
        assert_eq!(self.raw("PUT", &format!("/{name}")), 200, "create {name}");
    }

    /// Copies every object of `bucket` into files under `to` (keys as
    /// paths), to look into with [`files_containing`].
    pub fn download_all(&self, bucket: &str, to: &Path) {
        let script = r#"
import os, sys, boto3
s3 = boto3.client("s3", endpoint_url=sys.argv[1], region_name="us-east-1",
                  aws_access_key_id="x", aws_secret_access_key="x")
pages = s3.get_paginator("list_objects_v2").paginate(Bucket=sys.argv[2])
n = 0
for page in pages:
    for o in page.get("Contents", []):
        path = os.path.join(sys.argv[3], o["Key"])
        os.makedirs(os.path.dirname(path), exist_ok=True)
        s3.download_file(sys.argv[2], o["Key"], path)
        n += 1
print(n)
"#;
        let mut c = Command::new(sqlcipher_python());
        c.args(["-c", script, &self.endpoint(), bucket]).arg(to);
        let (run, _) = run_within(&mut c, Duration::from_secs(120));
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert!(
            run.stdout.trim().parse::<u32>().unwrap_or(0) > 0,
            "the bucket is empty: {}",
            run.stdout
        );
    }
}

impl Drop for ObjectStore {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
