//! One action at a time per resource on a node: an exclusive lock on
//! `/run/lkroute53/TAG.lock` (`LKROUTE53_LOCK_DIR` names another folder),
//! waited for a bounded time. The kernel drops the lock when the process
//! ends, however it ends, so a killed action never leaves it held.
//!
//! Only the user the kit runs as (root) has a say: the folder is made 0700
//! and refused when it is a symbolic link, belongs to another user, or is
//! writable by others; a folder of an older version (0755) is tightened to
//! 0700. Lock files are made 0600 and opened without following symbolic
//! links; a lock file that another user could have opened (not 0600, or not
//! ours) is replaced, and a lock is only taken as held when the path still
//! names the file locked, so nobody holding an old file open can hold the
//! lock. A lock that cannot be had for such a reason is a [`LockError`]
//! other than `Busy`: restore and recover then go on without it (with a
//! warning) rather than refuse to move the record.

use std::fs::{File, OpenOptions, TryLockError};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::Duration;

use tokio::time::Instant;

use crate::log::{Logger, Msg};

pub(crate) const LOCK_DIR: &str = "/run/lkroute53";
pub(crate) const LOCK_DIR_ENV: &str = "LKROUTE53_LOCK_DIR";
const POLL: Duration = Duration::from_millis(100);

/// One action at a time per resource: the lock could not be had.
#[derive(Debug, thiserror::Error)]
pub(crate) enum LockError {
    #[error("cannot use the lock file {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the lock {} is not used: {why}", path.display())]
    Unsafe { path: PathBuf, why: String },
    #[error("another action on {tag} still holds {} after {} s", path.display(), waited.as_secs())]
    Busy {
        tag: String,
        path: PathBuf,
        waited: Duration,
    },
}

/// A held lock; released when dropped.
#[derive(Debug)]
pub(crate) struct Held {
    _file: File,
    path: PathBuf,
}

impl Held {
    /// Release the lock and remove its file: for a resource that does not
    /// exist after all (a create or extend that failed), so that no lock
    /// file of a tag never made is left behind. Removed while still held:
    /// an action waiting for it then finds the path no longer names the
    /// file it locked, and locks a new one.
    pub(crate) fn discard(self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// A claim of this process, held as an exclusive lock on a file of the
/// lock folder for as long as the claim stands: whoever finds the file
/// locked knows that the process that made the claim still lives (a file
/// lock ends with its process, however it ends: a signal, `kill -9`),
/// whatever its PID has become since. The file goes when the claim is
/// dropped.
#[derive(Debug)]
pub(crate) struct Claim {
    _file: File,
    path: PathBuf,
}

impl Claim {
    /// Make the claim `name` in the lock folder `dir`; None where the
    /// folder or the file cannot be used, or another process holds it.
    pub(crate) fn make(dir: &Path, name: &str) -> Option<Claim> {
        let (file, path) = open_in_dir(dir, name).ok()?;
        file.try_lock().ok()?;
        Some(Claim { _file: file, path })
    }

    /// Write `text` into the claim's file (what the claim is about).
    pub(crate) fn note(&mut self, text: &str) {
        use std::io::Write;
        let _ = self._file.set_len(0);
        let _ = self._file.write_all(text.as_bytes());
    }
}

impl Drop for Claim {
    fn drop(&mut self) {
        // Removed while still held: nobody can take a removed file for a
        // claim that ended.
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Whether the claim `name` in `dir` is held by a living process. Only a
/// lock another process holds proves it; a file nobody holds (its process
/// ended) is removed; no file, or one that cannot be read, proves nothing.
pub(crate) fn claimed(dir: &Path, name: &str) -> bool {
    let path = dir.join(name);
    let Ok(file) = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(&path)
    else {
        return false;
    };
    match file.try_lock() {
        Err(std::fs::TryLockError::WouldBlock) => true,
        Ok(()) => {
            let _ = std::fs::remove_file(&path);
            false
        }
        Err(std::fs::TryLockError::Error(_)) => false,
    }
}

/// The lock folder: `LKROUTE53_LOCK_DIR`, else `/run/lkroute53`. Read
/// once a run, at the edge ([`crate::context::Ctx`]).
pub(crate) fn folder() -> PathBuf {
    std::env::var_os(LOCK_DIR_ENV)
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(LOCK_DIR))
}

/// The lock file of a tag: characters other than letters, digits, `.`,
/// `_` and `-` are written as `%XX`, so any tag maps to one plain name.
pub(crate) fn path_for(dir: &Path, tag: &str) -> PathBuf {
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

/// The effective user ID of this process (from `/proc/self/status`).
/// Read once a run: the lock, the request budget and the home lookup all
/// ask.
pub(crate) fn effective_uid() -> Option<u32> {
    static UID: std::sync::OnceLock<Option<u32>> = std::sync::OnceLock::new();
    *UID.get_or_init(|| {
        let status = std::fs::read_to_string("/proc/self/status").ok()?;
        let line = status.lines().find(|l| l.starts_with("Uid:"))?;
        line.split_whitespace().nth(2)?.parse().ok()
    })
}

fn unsafe_dir(path: &Path, why: String) -> LockError {
    LockError::Unsafe {
        path: path.to_path_buf(),
        why,
    }
}

/// Make the lock folder where it is missing, and check the one there.
fn ensure_dir(dir: &Path, uid: u32) -> Result<(), LockError> {
    let io = |source| LockError::Io {
        path: dir.to_path_buf(),
        source,
    };
    match std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
    {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(io(e)),
    }
    let meta = std::fs::symlink_metadata(dir).map_err(io)?;
    if meta.file_type().is_symlink() {
        return Err(unsafe_dir(dir, "it is a symbolic link".into()));
    }
    if !meta.is_dir() {
        return Err(unsafe_dir(dir, "it is not a folder".into()));
    }
    if meta.uid() != uid {
        return Err(unsafe_dir(
            dir,
            format!(
                "it belongs to user {} and the kit runs as user {uid}",
                meta.uid()
            ),
        ));
    }
    let mode = meta.mode() & 0o7777;
    if mode & 0o022 != 0 {
        return Err(unsafe_dir(
            dir,
            format!("others may write in it (mode {mode:04o})"),
        ));
    }
    if mode & 0o077 != 0 {
        // An older version made it 0755: nobody else needs to look in.
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).map_err(io)?;
    }
    Ok(())
}

/// Open the lock file: ours, 0600, never through a symbolic link. One that
/// someone else could have opened is replaced.
fn open(path: &Path, uid: u32) -> Result<File, LockError> {
    let io = |source| LockError::Io {
        path: path.to_path_buf(),
        source,
    };
    for _ in 0..3 {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
            .open(path)
            .map_err(io)?;
        let meta = file.metadata().map_err(io)?;
        if !meta.is_file() {
            return Err(unsafe_dir(path, "it is not a regular file".into()));
        }
        if meta.uid() == uid && meta.mode() & 0o777 == 0o600 {
            return Ok(file);
        }
        drop(file);
        match std::fs::remove_file(path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io(e)),
        }
    }
    Err(unsafe_dir(
        path,
        "it keeps being replaced by a file the kit does not own".into(),
    ))
}

/// A file of the kit's own in the lock folder (not a resource's lock):
/// the folder checked or made as for a lock, the file opened as a lock
/// file is (ours, 0600, never through a symbolic link).
pub(crate) fn open_in_dir(dir: &Path, name: &str) -> Result<(File, PathBuf), LockError> {
    let uid = effective_uid().unwrap_or(0);
    ensure_dir(dir, uid)?;
    let path = dir.join(name);
    open(&path, uid).map(|f| (f, path))
}

/// The path still names the file that was locked.
fn still_there(path: &Path, file: &File) -> bool {
    match (std::fs::symlink_metadata(path), file.metadata()) {
        (Ok(p), Ok(f)) => p.dev() == f.dev() && p.ino() == f.ino(),
        _ => false,
    }
}

/// Take the lock of `tag`, waiting at most `wait` (zero: do not wait).
/// When it has to wait, it says so once.
pub(crate) async fn acquire(
    dir: &Path,
    tag: &str,
    wait: Duration,
    log: &Logger,
) -> Result<Held, LockError> {
    let path = path_for(dir, tag);
    let uid = effective_uid().unwrap_or(0);
    if let Some(dir) = path.parent() {
        ensure_dir(dir, uid)?;
    }
    let start = Instant::now();
    let mut said = false;
    loop {
        let file = open(&path, uid)?;
        match file.try_lock() {
            Ok(()) if still_there(&path, &file) => return Ok(Held { _file: file, path }),
            // Replaced while we locked it: lock the new one.
            Ok(()) => continue,
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
                drop(file);
                tokio::time::sleep(POLL).await;
            }
            Err(TryLockError::WouldBlock) => {
                return Err(LockError::Busy {
                    tag: tag.to_string(),
                    path,
                    waited: start.elapsed(),
                })
            }
            Err(TryLockError::Error(e)) => return Err(LockError::Io { path, source: e }),
        }
    }
}

/// A lock folder of its own for one unit test (absent: a test that needs
/// it made makes it), under the system's temporary folder.
#[cfg(test)]
pub(crate) fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("lkr53-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_tags_map_to_one_plain_file_name() {
        let p = path_for(Path::new("/run/lkroute53"), "../../etc/x y");
        let name = p.file_name().and_then(|n| n.to_str()).expect("name");
        assert_eq!(name, "_..%2F..%2Fetc%2Fx%20y.lock");
        assert!(!name.contains('/'));
    }

    fn scratch(name: &str) -> PathBuf {
        let d = super::scratch(&format!("lock-{name}"));
        std::fs::create_dir_all(&d).expect("scratch");
        d
    }

    #[test]
    fn the_folder_is_made_private_and_a_loose_one_tightened_or_refused() {
        let uid = effective_uid().expect("uid");
        let d = scratch("dir");
        let locks = d.join("locks");
        ensure_dir(&locks, uid).expect("made");
        let mode = std::fs::metadata(&locks).expect("meta").mode() & 0o777;
        assert_eq!(mode, 0o700);
        std::fs::set_permissions(&locks, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        ensure_dir(&locks, uid).expect("tightened");
        assert_eq!(
            std::fs::metadata(&locks).expect("meta").mode() & 0o777,
            0o700
        );
        std::fs::set_permissions(&locks, std::fs::Permissions::from_mode(0o777)).expect("chmod");
        let e = ensure_dir(&locks, uid).expect_err("writable by others");
        assert!(
            e.to_string().contains("others may write in it (mode 0777)"),
            "{e}"
        );
        let link = d.join("link");
        std::os::unix::fs::symlink(&locks, &link).expect("symlink");
        let e = ensure_dir(&link, uid).expect_err("a symlink");
        assert!(e.to_string().contains("symbolic link"), "{e}");
        let e = ensure_dir(&locks, uid + 1).expect_err("another user's");
        assert!(e.to_string().contains("belongs to user"), "{e}");
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn a_lock_file_others_could_open_is_replaced_and_a_link_is_not_followed() {
        let uid = effective_uid().expect("uid");
        let d = scratch("file");
        let f = d.join("t.lock");
        std::fs::write(&f, b"").expect("old file");
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        let old = File::open(&f).expect("someone holds the old file");
        old.try_lock_shared().expect("and locks it");
        let new = open(&f, uid).expect("replaced");
        assert_eq!(new.metadata().expect("meta").mode() & 0o777, 0o600);
        new.try_lock()
            .expect("the old holder does not block the new file");
        assert!(still_there(&f, &new));
        let target = d.join("target");
        std::fs::write(&target, b"keep").expect("target");
        let link = d.join("l.lock");
        std::os::unix::fs::symlink(&target, &link).expect("symlink");
        assert!(open(&link, uid).is_err());
        assert_eq!(std::fs::read(&target).expect("target"), b"keep");
        let _ = std::fs::remove_dir_all(&d);
    }
}
