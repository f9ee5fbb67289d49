//! The procedures LifeKeeper and operators run. Each reads as the README
//! describes it; the LCD, Route 53, the settings and time are reached only
//! through the crate's modules.

pub mod create;
pub mod delete;
pub mod doctor;
pub mod extend;
pub mod policy;
pub mod quick_check;
pub mod remove;
pub mod restore;
pub mod status;

/// The LifeKeeper action names, as installed under `actions/`.
pub const RESTORE: &str = "restore";
pub const REMOVE: &str = "remove";
pub const QUICK_CHECK: &str = "quickCheck";
pub const RECOVER: &str = "recover";
/// Run by LifeKeeper when the resource is deleted.
pub const DELETE: &str = "delete";
pub const ACTIONS: &[&str] = &[RESTORE, REMOVE, QUICK_CHECK, RECOVER, DELETE];
