//! Key material kept in memory that is locked against swapping.
//!
//! [`Locked<N>`] holds `N` bytes in a heap allocation of their own, so they
//! never move while the value is moved around, and locks the memory pages
//! holding them (`mlock`, `VirtualLock`, through `region::lock`) so the
//! operating system does not write them to swap. Dropping it wipes the
//! bytes first and then unlocks.
//!
//! Invariants:
//! - Locking is **best effort**: the OS may refuse (RLIMIT_MEMLOCK, 8 MiB
//!   for a normal Linux user, or no support at all). A refusal is counted
//!   ([`lock_failures`]) and warned about once on stderr, never an error:
//!   the key still works and is still wiped on drop.
//! - Pages are reference-counted: locks do not nest in the OS (one
//!   `munlock` undoes any number of `mlock`s), so two keys that share a page
//!   keep it locked until the last of them is dropped.
//! - Only keys belong here (32-byte values): locked memory is a scarce,
//!   per-user budget, never for documents or other large buffers.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};

use zeroize::{Zeroize, ZeroizeOnDrop};

/// `N` secret bytes on the heap, locked in memory where the OS allows it,
/// wiped on drop. Prints as `[redacted]`.
pub struct Locked<const N: usize> {
    bytes: Box<[u8; N]>,
    /// The pages this value counted in the registry (those that locked).
    held: Vec<usize>,
}

impl<const N: usize> Locked<N> {
    /// All zeros, already locked: fill it in place with
    /// [`Locked::expose_mut`], so the secret is never copied through the
    /// stack.
    pub fn zeroed() -> Self {
        let bytes = Box::new([0u8; N]);
        let held = lock_range(bytes.as_ptr() as usize, N);
        Self { bytes, held }
    }

    /// Moves `bytes` into locked memory and wipes the argument.
    pub fn new(mut bytes: [u8; N]) -> Self {
        let mut locked = Self::zeroed();
        locked.bytes.copy_from_slice(&bytes);
        bytes.zeroize();
        locked
    }

    pub fn expose(&self) -> &[u8; N] {
        &self.bytes
    }

    pub fn expose_mut(&mut self) -> &mut [u8; N] {
        &mut self.bytes
    }

    /// Whether every page of this value is locked (false where the OS
    /// refused or cannot lock).
    pub fn is_locked(&self) -> bool {
        N == 0 || self.held.len() == pages(self.bytes.as_ptr() as usize, N).count()
    }
}

impl<const N: usize> Clone for Locked<N> {
    fn clone(&self) -> Self {
        let mut copy = Self::zeroed();
        copy.bytes.copy_from_slice(&self.bytes[..]);
        copy
    }
}

impl<const N: usize> PartialEq for Locked<N> {
    fn eq(&self, other: &Self) -> bool {
        self.bytes == other.bytes
    }
}

impl<const N: usize> Eq for Locked<N> {}

impl<const N: usize> Zeroize for Locked<N> {
    fn zeroize(&mut self) {
        self.bytes.zeroize();
    }
}

impl<const N: usize> ZeroizeOnDrop for Locked<N> {}

impl<const N: usize> Drop for Locked<N> {
    fn drop(&mut self) {
        // Wiped while still locked, then unlocked; the box is freed after.
        self.bytes.zeroize();
        let mut registry = registry();
        for page in self.held.drain(..) {
            registry.release(page);
        }
    }
}

impl<const N: usize> fmt::Debug for Locked<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Locked([redacted])")
    }
}

/// How many times the OS refused to lock a page since the process started.
pub fn lock_failures() -> usize {
    FAILURES.load(Ordering::Relaxed)
}

static FAILURES: AtomicUsize = AtomicUsize::new(0);
static WARNED: AtomicBool = AtomicBool::new(false);
static REGISTRY: Mutex<Registry<region::LockGuard>> = Mutex::new(Registry::new());

fn registry() -> MutexGuard<'static, Registry<region::LockGuard>> {
    // A panic while the registry was held cannot leave it inconsistent
    // (each change is one map operation): carry on with it.
    REGISTRY
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The start addresses of the pages that `len` bytes at `start` touch.
fn pages(start: usize, len: usize) -> impl Iterator<Item = usize> {
    let size = region::page::size();
    let first = start - start % size;
    let end = if len == 0 {
        first
    } else {
        start.saturating_add(len)
    };
    (first..end).step_by(size)
}

/// Locks the pages under `len` bytes at `start`; returns those it counted.
fn lock_range(start: usize, len: usize) -> Vec<usize> {
    let size = region::page::size();
    let mut registry = registry();
    let mut held = Vec::new();
    for page in pages(start, len) {
        match registry.acquire(page, || region::lock(page as *const u8, size)) {
            Ok(()) => held.push(page),
            Err(e) => {
                FAILURES.fetch_add(1, Ordering::Relaxed);
                if !WARNED.swap(true, Ordering::Relaxed) {
                    eprintln!(
                        "matterbox: warning: key memory could not be locked against swapping ({e}); keys still work and are wiped after use"
                    );
                }
            }
        }
    }
    held
}

/// Lock counts per page. `G` is what keeps a page locked (the OS lock's
/// guard, which unlocks when dropped); tests use their own.
struct Registry<G> {
    pages: BTreeMap<usize, (usize, G)>,
}

impl<G> Registry<G> {
    const fn new() -> Self {
        Self {
            pages: BTreeMap::new(),
        }
    }

    /// Counts one more user of `page`, locking it with `lock` if it has none.
    fn acquire<E>(&mut self, page: usize, lock: impl FnOnce() -> Result<G, E>) -> Result<(), E> {
        if let Some((count, _)) = self.pages.get_mut(&page) {
            *count += 1;
            return Ok(());
        }
        let guard = lock()?;
        self.pages.insert(page, (1, guard));
        Ok(())
    }

    /// Counts one user of `page` less; the last one drops its guard.
    fn release(&mut self, page: usize) {
        if let Some((count, _)) = self.pages.get_mut(&page) {
            *count -= 1;
            if *count == 0 {
                self.pages.remove(&page);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;
    use std::rc::Rc;

    /// A guard that records its page as unlocked when dropped.
    struct Fake {
        page: usize,
        log: Rc<RefCell<Vec<String>>>,
    }

    impl Drop for Fake {
        fn drop(&mut self) {
            self.log.borrow_mut().push(format!("unlock {}", self.page));
        }
    }

    fn fake(page: usize, log: &Rc<RefCell<Vec<String>>>) -> Result<Fake, ()> {
        log.borrow_mut().push(format!("lock {page}"));
        Ok(Fake {
            page,
            log: Rc::clone(log),
        })
    }

    #[test]
    fn two_keys_on_one_page_keep_it_locked_until_the_last_goes() {
        let log = Rc::new(RefCell::new(Vec::new()));
        let mut r = Registry::new();
        r.acquire(4096, || fake(4096, &log)).unwrap();
        r.acquire(4096, || fake(4096, &log)).unwrap();
        r.acquire(8192, || fake(8192, &log)).unwrap();
        r.release(4096);
        assert_eq!(*log.borrow(), ["lock 4096", "lock 8192"]);
        r.release(4096);
        r.release(8192);
        assert_eq!(
            *log.borrow(),
            ["lock 4096", "lock 8192", "unlock 4096", "unlock 8192"]
        );
        assert!(r.pages.is_empty());
    }

    #[test]
    fn a_refused_lock_is_not_counted_and_a_later_one_is_tried_again() {
        let log = Rc::new(RefCell::new(Vec::new()));
        let mut r: Registry<Fake> = Registry::new();
        assert!(r.acquire(4096, || Err("over RLIMIT_MEMLOCK")).is_err());
        assert!(r.pages.is_empty());
        // Releasing a page that never locked changes nothing.
        r.release(4096);
        r.acquire(4096, || fake(4096, &log)).unwrap();
        assert_eq!(r.pages[&4096].0, 1);
    }

    #[test]
    fn pages_cover_a_value_that_crosses_a_page_boundary() {
        let size = region::page::size();
        assert_eq!(pages(size - 1, 2).collect::<Vec<_>>(), [0, size]);
        assert_eq!(pages(size, 32).collect::<Vec<_>>(), [size]);
        assert_eq!(pages(3 * size + 5, 0).count(), 0);
    }

    /// Whether the page at `addr` is locked, from the kernel's own view
    /// (`VmFlags` of the mapping in `/proc/self/smaps`: `lo` = locked).
    #[cfg(target_os = "linux")]
    fn kernel_says_locked(addr: usize) -> bool {
        let smaps = std::fs::read_to_string("/proc/self/smaps").unwrap();
        let mut inside = false;
        for line in smaps.lines() {
            let first = line.split_whitespace().next().unwrap_or("");
            if let Some((a, b)) = first.split_once('-')
                && let (Ok(a), Ok(b)) = (usize::from_str_radix(a, 16), usize::from_str_radix(b, 16))
            {
                inside = a <= addr && addr < b;
            } else if inside && let Some(flags) = line.strip_prefix("VmFlags:") {
                return flags.split_whitespace().any(|f| f == "lo");
            }
        }
        panic!("no mapping holds {addr:#x}");
    }

    /// The one test that uses the process-wide registry, so no other test
    /// locks or unlocks pages under it.
    #[cfg(target_os = "linux")]
    #[test]
    fn a_key_is_locked_while_it_lives_and_wiped_and_unlocked_after() {
        let a = Locked::new([0xA5u8; 32]);
        let page = a.expose().as_ptr() as usize;
        assert!(a.is_locked(), "failures: {}", lock_failures());
        assert!(kernel_says_locked(page));
        assert_eq!(a.expose(), &[0xA5; 32]);
        assert_eq!(format!("{a:?}"), "Locked([redacted])");

        // A clone is locked on its own; the original's page stays locked
        // while either lives.
        let b = a.clone();
        assert!(b.is_locked());
        assert_eq!(a, b);
        let b_page = b.expose().as_ptr() as usize;
        drop(a);
        assert!(kernel_says_locked(b_page));
        // Whatever page the first key had, nothing counts it any more
        // unless the clone shares it.
        let size = region::page::size();
        let shared = page / size == b_page / size;
        assert_eq!(registry().pages.contains_key(&(page - page % size)), shared);
        drop(b);
        assert!(registry().pages.is_empty());
        assert!(!kernel_says_locked(b_page));
    }
}
