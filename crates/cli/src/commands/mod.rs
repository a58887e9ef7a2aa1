//! One module per command group: its arguments, what it does, how its
//! results read.

pub(crate) mod admin;
pub(crate) mod backup;
pub(crate) mod client;
pub(crate) mod conflict;
pub(crate) mod consent;
pub(crate) mod doc;
pub(crate) mod inbox;
pub(crate) mod incident;
pub(crate) mod matter;
pub(crate) mod ocr;
pub(crate) mod policy;
pub(crate) mod report;
pub(crate) mod request;
pub(crate) mod retention;
pub(crate) mod search;
pub(crate) mod share;
pub(crate) mod share_bundle;
pub(crate) mod share_return;
pub(crate) mod vault;
