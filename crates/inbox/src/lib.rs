//! The watched inbox: staff drop scans into a folder and they land,
//! encrypted, in the right matter, exactly once.
//!
//! This crate holds what needs no keys: which names are junk (`names`),
//! when a file is complete (`settle`, and `writers` for programs still
//! writing one), where it goes (`routing`), moving files in and out of the
//! folder safely (`folder`), and watching it (`watch`). Ingesting —
//! encrypting and recording — is the core's.

pub mod folder;
pub mod names;
pub mod routing;
pub mod settle;
pub mod watch;
pub mod writers;

pub use folder::{Claimed, Folder, FolderError, Found, Quarantined};
pub use routing::{Decision, RouteBy, Router, Rule, RuleError};
pub use settle::Tracker;
pub use watch::{Hint, Mode, Watch};
