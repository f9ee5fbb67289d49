//! Files read because of a setting or an environment variable: only a
//! regular file, only up to a cap, and never a wait. A FIFO, socket or
//! device could block the action before any time limit starts, and a file
//! without end (`/dev/zero`) could fill memory; both are refused by name.

use std::io::Read;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

/// A regular file's first `cap` bytes; the error in words.
pub(crate) fn read_regular(path: &Path, cap: u64) -> Result<Vec<u8>, String> {
    // O_NONBLOCK: opening a FIFO for reading returns at once instead of
    // waiting for a writer; it is then refused as no regular file.
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
        .map_err(|e| format!("cannot open ({e})"))?;
    let meta = file.metadata().map_err(|e| format!("cannot read ({e})"))?;
    if !meta.is_file() {
        return Err(if meta.is_dir() {
            "cannot read (it is a folder)".to_string()
        } else {
            "is not a regular file (a FIFO, socket or device is never read)".to_string()
        });
    }
    let mut buf = Vec::new();
    file.take(cap)
        .read_to_end(&mut buf)
        .map_err(|e| format!("cannot read ({e})"))?;
    Ok(buf)
}

/// As [`read_regular`], and refused where the file holds more than `cap`
/// bytes: for files that are useless when cut (a trust store, a profile).
pub(crate) fn read_whole(path: &Path, cap: u64) -> Result<Vec<u8>, String> {
    let buf = read_regular(path, cap + 1)?;
    if buf.len() as u64 > cap {
        return Err(format!(
            "is larger than {} KiB, more than such a file holds",
            cap >> 10
        ));
    }
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_regular_files_are_read_and_only_up_to_the_cap() {
        let dir = std::env::temp_dir().join(format!("lkr53-bounded-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let f = dir.join("f");
        std::fs::write(&f, b"0123456789").expect("write");
        assert_eq!(read_regular(&f, 4).expect("read"), b"0123");
        assert!(read_whole(&f, 4).expect_err("too large").contains("larger"));
        assert_eq!(read_whole(&f, 10).expect("whole"), b"0123456789");
        assert!(read_regular(&dir, 4)
            .expect_err("folder")
            .contains("folder"));
        assert!(read_regular(Path::new("/dev/zero"), 4)
            .expect_err("device")
            .contains("not a regular file"));
        assert!(read_regular(&dir.join("missing"), 4)
            .expect_err("missing")
            .contains("cannot open"));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
