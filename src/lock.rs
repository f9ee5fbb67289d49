//! One action at a time per resource on a node: an exclusive lock on
//! `/run/lkroute53/TAG.lock` (`LKROUTE53_LOCK_DIR` names another folder),
//! waited for a bounded time. The kernel drops the lock when the process
//! ends, however it ends, so a killed action never leaves it held.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::PathBuf;
use std::time::Duration;

use tokio::time::Instant;

pub use crate::error::LockError;
use crate::log::{Logger, Msg};

pub const LOCK_DIR: &str = "/run/lkroute53";
pub const LOCK_DIR_ENV: &str = "LKROUTE53_LOCK_DIR";
const POLL: Duration = Duration::from_millis(100);

/// A held lock; released when dropped.
#[derive(Debug)]
pub struct Held {
    _file: File,
}

/// The lock file of a tag: characters other than letters, digits, `.`,
/// `_` and `-` are written as `%XX`, so any tag maps to one plain name.
pub fn path_for(tag: &str) -> PathBuf {
    let dir = std::env::var_os(LOCK_DIR_ENV)
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(LOCK_DIR));
    let mut name = String::new();
    for b in tag.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-') {
            name.push(char::from(b));
        } else {
            name.push_str(&format!("%{b:02X}"));
        }
    }
    if name.starts_with('.') {
        name.insert(0, '_');
    }
    dir.join(format!("{name}.lock"))
}

/// Take the lock of `tag`, waiting at most `wait` (zero: do not wait).
/// When it has to wait, it says so once.
pub async fn acquire(tag: &str, wait: Duration, log: &Logger) -> Result<Held, LockError> {
    let path = path_for(tag);
    let io = |source| LockError::Io {
        path: path.clone(),
        source,
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(io)?;
    }
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(io)?;
    let start = Instant::now();
    let mut said = false;
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(Held { _file: file }),
            Err(TryLockError::WouldBlock) if start.elapsed() < wait => {
                if !said {
                    log.info(
                        Msg::Busy,
                        &format!(
                            "another action on {tag} holds {}; waiting up to {} s (ROUTE53_LOCK_WAIT)",
                            path.display(),
                            wait.as_secs()
                        ),
                    );
                    said = true;
                }
                tokio::time::sleep(POLL).await;
            }
            Err(TryLockError::WouldBlock) => {
                return Err(LockError::Busy {
                    tag: tag.to_string(),
                    path,
                    waited: start.elapsed(),
                })
            }
            Err(TryLockError::Error(e)) => return Err(io(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_tags_map_to_one_plain_file_name() {
        let p = path_for("../../etc/x y");
        let name = p.file_name().and_then(|n| n.to_str()).expect("name");
        assert_eq!(name, "_..%2F..%2Fetc%2Fx%20y.lock");
        assert!(!name.contains('/'));
    }
}
