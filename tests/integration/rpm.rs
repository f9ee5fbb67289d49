//! The RPM as an administrator uses it: installed into an empty root with
//! `rpm --root`, its `lkroute53 create`, `restore` and `quickCheck` run
//! against moto and a simulated LCD, upgraded with `rpm -U` under a working
//! resource, and erased leaving nothing of its own.
//!
//! The empty root has no `/bin/sh`, so the package's scriptlet (`%preun`)
//! is skipped here (`--noscripts`); `tests/old_glibc.sh` runs it in a
//! Debian 11 root, where it has a shell.
//!
//! Needs built RPMs, so it is ignored by a plain `cargo test`; `.ci/run`
//! builds them and runs it with LKROUTE53_RPM (and LKROUTE53_RPM_UPGRADE,
//! a newer build of the same package).

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::util::*;

fn rpm(root: &Path, args: &[&str]) {
    let out = Command::new("rpm")
        .arg("--root")
        .arg(root)
        .args(args)
        .output()
        .expect("run rpm");
    assert!(
        out.status.success(),
        "rpm {args:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Every path under root, but rpm's own database (var/lib/rpm, or
/// root/.rpmdb where the rpm is Debian's).
fn contents(root: &Path) -> Vec<String> {
    fn walk(dir: &Path, root: &Path, out: &mut Vec<String>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let p = e.path();
            let rel = p
                .strip_prefix(root)
                .expect("under root")
                .display()
                .to_string();
            if rel.starts_with("var") || rel.starts_with("root/.rpmdb") {
                continue;
            }
            out.push(rel);
            if e.file_type().is_ok_and(|t| t.is_dir()) {
                walk(&p, root, out);
            }
        }
    }
    let mut out = Vec::new();
    walk(root, root, &mut out);
    out.sort();
    out
}

#[test]
#[ignore = "needs the RPMs that .ci/run builds (LKROUTE53_RPM, LKROUTE53_RPM_UPGRADE)"]
fn rpm_installs_runs_upgrades_and_erases_cleanly() {
    let package = PathBuf::from(std::env::var("LKROUTE53_RPM").expect("LKROUTE53_RPM"));
    let upgrade =
        PathBuf::from(std::env::var("LKROUTE53_RPM_UPGRADE").expect("LKROUTE53_RPM_UPGRADE"));
    let root = unique_dir("rpmroot");
    rpm(&root, &["--initdb"]);
    // The scratch root has no glibc package to satisfy the library needs.
    rpm(&root, &["-i", "--nodeps", package.to_str().expect("path")]);

    let kit = root.join(KIT);
    for f in [
        "actions/restore",
        "actions/remove",
        "actions/quickCheck",
        "actions/recover",
        "bin/lkroute53",
    ] {
        assert!(kit.join(f).exists(), "{f} not installed");
    }
    let meta = std::fs::metadata(kit.join("bin/lkroute53")).expect("program");
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    assert_eq!(meta.permissions().mode() & 0o7777, 0o755);
    assert_eq!((meta.uid(), meta.gid()), (0, 0));

    let moto = Moto::shared();
    let mut c = Cluster::new(&moto.url());
    c.kit = root.clone();
    c.create(NODE1, ADDR1).ok();
    c.create(NODE2, ADDR2).ok();
    c.action(NODE1, "restore", TAG).ok();
    c.action(NODE1, "quickCheck", TAG).ok();
    assert_eq!(c.record(), format!("{ADDR1} 10"));

    // Upgrade under a working resource: it keeps working.
    rpm(
        &root,
        &[
            "-U",
            "--nodeps",
            "--noscripts",
            upgrade.to_str().expect("path"),
        ],
    );
    c.action(NODE1, "quickCheck", TAG).ok();
    c.action(NODE1, "remove", TAG).ok();
    c.action(NODE2, "restore", TAG).ok();
    assert_eq!(c.record(), format!("{ADDR2} 10"));

    rpm(&root, &["-e", "--noscripts", "lkroute53"]);
    // What rpm made for the package but does not own: LifeKeeper's folders,
    // which its own package owns on a real node.
    let lifekeepers = [
        "opt",
        "opt/LifeKeeper",
        "opt/LifeKeeper/subsys",
        "opt/LifeKeeper/subsys/gen",
        "opt/LifeKeeper/subsys/gen/resources",
        "opt/LifeKeeper/lkadm",
        "opt/LifeKeeper/lkadm/subsys",
        "opt/LifeKeeper/lkadm/subsys/gen",
    ];
    let left: Vec<String> = contents(&root)
        .into_iter()
        .filter(|p| {
            (p.contains("LifeKeeper") || p.contains("lkroute53") || p.starts_with("opt/"))
                && !lifekeepers.contains(&p.as_str())
        })
        .collect();
    assert!(left.is_empty(), "left after rpm -e: {left:?}");
    let files: Vec<String> = contents(&root)
        .into_iter()
        .filter(|p| !root.join(p).is_dir())
        .collect();
    assert!(files.is_empty(), "files left after rpm -e: {files:?}");
    let _ = std::fs::remove_dir_all(&root);
}
