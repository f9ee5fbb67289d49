//! `lkroute53 doctor TAG --capture FILE`: what a support case needs to see
//! how this node's LifeKeeper answers the kit. Every LCD command the run
//! made, exactly as run, with its exit status and raw output and stderr,
//! and the kit's reading of it; the doctor's checks; the settings in force
//! with their sources; the program version; the OS release. Never a
//! secret: of the credentials only whether they are set, of proxy URLs
//! never the user and password. Written 0600.

use std::fmt::Write as _;
use std::io::Write as _;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use super::check::{Check, Mark};
use crate::bounded;
use crate::context::Ctx;
use crate::lcd::{no_match_of, Lcd, NoMatch};
use crate::lcd::{parse_dep_children, parse_eqv_list, parse_ins_list, Recorded};
use crate::text::printable;

/// The LifeKeeper commands whose presence decides the kit's paths.
const PATH_COMMANDS: &[&str] = &[
    "sendevent",
    "lcdsync",
    "typ_list",
    "app_create",
    "typ_create",
    "lcdremexec",
];
/// At most this many entries of a folder tree are listed.
const MAX_ENTRIES: usize = 400;
/// At most this much of a kit's quickCheck is read.
const MAX_SCRIPT: u64 = 1 << 20;
/// At most this many sendevent lines are copied.
const MAX_LINES: usize = 100;

/// Variables whose value is recorded, and then the proxy variables
/// (`settings::PROXY_KEYS`, without user and password).
const SHOWN: &[&str] = &[
    "LKROOT",
    "LK_DEFAULTS_FILE",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_PROFILE",
    "AWS_CONFIG_FILE",
    "AWS_SHARED_CREDENTIALS_FILE",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_ROUTE_53",
    "AWS_ENDPOINT_URL_STS",
    "AWS_EC2_METADATA_DISABLED",
];
/// Variables of which only "set" or "unset" is recorded.
const SECRET: &[&str] = &[
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN",
];

/// Write the capture into a new file, mode 0600: never through a symlink,
/// never into a file that exists (another user's, or a FIFO that would
/// block or hand the capture to whoever reads it).
pub(super) fn write(path: &Path, ctx: &Ctx<impl Lcd>, checks: &[Check]) -> std::io::Result<()> {
    let text = render(ctx, checks);
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .mode(0o600)
        .open(path)
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::AlreadyExists => std::io::Error::new(
                e.kind(),
                "it exists already (a capture is only written into a new file; name one that does not exist)",
            ),
            _ => e,
        })?;
    f.write_all(text.as_bytes())
}

fn render(ctx: &Ctx<impl Lcd>, checks: &[Check]) -> String {
    let mut t = String::new();
    let _ = writeln!(t, "lkroute53 doctor capture");
    let _ = writeln!(t, "version: lkroute53 {}", env!("CARGO_PKG_VERSION"));
    let _ = writeln!(t, "host: {}", crate::aws::estate::node_name());
    let _ = writeln!(t, "\n== OS release (/etc/os-release)");
    let os =
        std::fs::read_to_string("/etc/os-release").unwrap_or_else(|e| format!("unreadable: {e}\n"));
    for line in os.lines().take(40) {
        let _ = writeln!(t, "{line}");
    }
    let _ = writeln!(
        t,
        "\n== settings in force ({})",
        ctx.settings.path.display()
    );
    for line in ctx.settings.listing() {
        let _ = writeln!(t, "{line}");
    }
    for w in &ctx.settings.warnings {
        let _ = writeln!(t, "warning: {w}");
    }
    let _ = writeln!(t, "\n== environment");
    let proxies = crate::settings::PROXY_KEYS;
    for k in SHOWN.iter().chain(proxies) {
        if let Some(v) = std::env::var_os(k) {
            let v = v.to_string_lossy();
            let shown = if proxies.contains(k) {
                crate::aws::endpoint::hide_userinfo(&v)
            } else {
                v.into_owned()
            };
            let _ = writeln!(t, "{k}={shown}");
        }
    }
    for k in SECRET {
        let state = if std::env::var_os(k).is_some_and(|v| !v.is_empty()) {
            "set"
        } else {
            "unset"
        };
        let _ = writeln!(t, "{k}: {state} (value not recorded)");
    }
    let _ = writeln!(
        t,
        "\n== LCD commands, in the order run, and the kit's reading"
    );
    for r in ctx.lcd.recorded() {
        command(&mut t, &r);
    }
    paths(&mut t, ctx.lcd.root(), &|c| ctx.lcd.has(c));
    let _ = writeln!(t, "\n== doctor's checks");
    for c in checks {
        let mark = match c.mark {
            Mark::Pass => "ok",
            Mark::Fail => "FAIL",
            Mark::Info => "info",
        };
        let _ = writeln!(t, "[{mark}] {}: {}", c.name, c.detail);
    }
    t
}

fn command(t: &mut String, r: &Recorded) {
    let _ = writeln!(t, "\n$ {}", r.command);
    let _ = writeln!(t, "exit status: {}", r.status);
    let _ = writeln!(
        t,
        "stdout ({} bytes, fields separated by ^A shown as |):",
        r.stdout.len()
    );
    for line in r.stdout.lines() {
        let _ = writeln!(t, "  {}", line.replace('\u{1}', "|"));
    }
    if !r.stderr.trim().is_empty() {
        let _ = writeln!(t, "stderr:");
        for line in r.stderr.lines() {
            let _ = writeln!(t, "  {line}");
        }
    }
    let _ = writeln!(t, "reading: {}", reading(r));
}

/// What the kit made of a command's output.
fn reading(r: &Recorded) -> String {
    let name = r
        .command
        .split_whitespace()
        .next()
        .and_then(|p| p.rsplit('/').next())
        .unwrap_or("");
    if r.status != 0 {
        let silent = r.stdout.trim().is_empty() && r.stderr.trim().is_empty();
        return match no_match_of(r.status, silent, r.stderr.trim()) {
            Some(NoMatch::NoSuchObject(_)) => "exit 7, no such object: no match".into(),
            Some(_) => "nonzero exit with no output: no match".into(),
            None => "failed".into(),
        };
    }
    match name {
        "ins_list" => match parse_ins_list(&r.stdout) {
            Ok(list) => list
                .iter()
                .map(|i| {
                    format!(
                        "{} ({}/{}) id {:?} info {:?} state {} [{} fields, switchback {}]",
                        i.tag,
                        i.app,
                        i.rtype,
                        i.id,
                        i.info,
                        i.state,
                        i.fields,
                        i.switchback.map_or("not found", |s| s.as_lcd())
                    )
                })
                .collect::<Vec<_>>()
                .join("; "),
            Err((line, why)) => format!("not readable (line {line}): {why}"),
        },
        "dep_list" => {
            let parent = r
                .command
                .split_whitespace()
                .skip_while(|a| *a != "-c")
                .nth(1)
                .unwrap_or("");
            match parse_dep_children(&r.stdout, parent) {
                Ok((children, layout)) => {
                    format!("children of {parent}: {children:?}; layout {layout:?}")
                }
                Err((line, why)) => format!("not readable (line {line}): {why}"),
            }
        }
        "eqv_list" => match parse_eqv_list(&r.stdout) {
            Ok(rows) => format!("{} equivalency row(s): {rows:?}", rows.len()),
            Err((line, why)) => format!("not readable (line {line}): {why}"),
        },
        _ => "-".into(),
    }
}

/// LifeKeeper's event and type paths on this node, read only: which
/// commands exist, the event folders, every `recovery` folder of the
/// installed resource types, and how the installed kits' quickCheck
/// actions call sendevent (SIOS's own kits show the call LifeKeeper
/// expects). `typ_list -a gen` is among the LCD commands above.
fn paths(t: &mut String, root: &Path, has: &dyn Fn(&str) -> bool) {
    let _ = writeln!(
        t,
        "\n== LifeKeeper's event and type paths under {}",
        root.display()
    );
    for c in PATH_COMMANDS {
        let state = if has(c) {
            "present"
        } else {
            "missing or not executable"
        };
        let _ = writeln!(t, "{}/bin/{c}: {state}", root.display());
    }
    let _ = writeln!(t, "\n-- {}/events", root.display());
    let mut budget = MAX_ENTRIES;
    list_tree(t, &root.join("events"), 4, &mut budget);
    let subsys = root.join("subsys");
    let mut recovery = Vec::new();
    let mut quick = Vec::new();
    // subsys/APP/resources/TYPE/{recovery,actions/quickCheck}
    for app in sorted_entries(&subsys) {
        for rtype in sorted_entries(&app.join("resources")) {
            let r = rtype.join("recovery");
            if r.is_dir() {
                recovery.push(r);
            }
            let q = rtype.join("actions").join("quickCheck");
            if q.exists() {
                quick.push(q);
            }
        }
    }
    for r in &recovery {
        let _ = writeln!(t, "\n-- {}", r.display());
        let mut budget = MAX_ENTRIES;
        list_tree(t, r, 3, &mut budget);
    }
    if recovery.is_empty() {
        let _ = writeln!(
            t,
            "\n-- no recovery folder under {}/*/resources/*",
            subsys.display()
        );
    }
    sendevent_lines(t, &quick);
}

/// Every line of these quickCheck actions that calls sendevent (a
/// compiled program is named, not read).
fn sendevent_lines(t: &mut String, quick: &[std::path::PathBuf]) {
    let _ = writeln!(
        t,
        "\n-- lines calling sendevent in the quickCheck actions of installed kits"
    );
    let mut lines = 0;
    for q in quick {
        match bounded::read_regular(q, MAX_SCRIPT) {
            Ok(bytes) if bytes.iter().take(8192).any(|b| *b == 0) => {
                let _ = writeln!(
                    t,
                    "{}: a compiled program, not a script; not read",
                    q.display()
                );
            }
            Ok(bytes) => {
                let text = String::from_utf8_lossy(&bytes);
                for (n, l) in text
                    .lines()
                    .enumerate()
                    .filter(|(_, l)| l.contains("sendevent"))
                {
                    if lines == MAX_LINES {
                        break;
                    }
                    lines += 1;
                    let _ = writeln!(t, "{}:{}: {}", q.display(), n + 1, printable(l.trim()));
                }
            }
            // A binary or unreadable quickCheck is named, not read.
            Err(e) => {
                let _ = writeln!(t, "{}: {e}", q.display());
            }
        }
    }
    if lines == 0 {
        let _ = writeln!(t, "(none in {} quickCheck action(s))", quick.len());
    }
}

/// A folder's entries, sorted; none where it cannot be read.
fn sorted_entries(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut v: Vec<_> = match std::fs::read_dir(dir) {
        Ok(rd) => rd.flatten().take(MAX_ENTRIES).map(|e| e.path()).collect(),
        Err(_) => Vec::new(),
    };
    v.sort();
    v
}

/// A folder tree, one entry a line with its kind and mode, symlinks not
/// followed, `depth` levels and `budget` entries at most.
fn list_tree(t: &mut String, dir: &Path, depth: usize, budget: &mut usize) {
    let entries = match std::fs::read_dir(dir) {
        Ok(rd) => {
            let mut v: Vec<_> = rd.flatten().take(MAX_ENTRIES).collect();
            v.sort_by_key(|e| e.file_name());
            v
        }
        Err(e) => {
            let _ = writeln!(t, "{}: cannot list ({e})", dir.display());
            return;
        }
    };
    if entries.is_empty() {
        let _ = writeln!(t, "{}: empty", dir.display());
    }
    for e in entries {
        if *budget == 0 {
            let _ = writeln!(t, "... (more entries not listed)");
            return;
        }
        *budget -= 1;
        let path = e.path();
        let Ok(meta) = std::fs::symlink_metadata(&path) else {
            continue;
        };
        use std::os::unix::fs::PermissionsExt;
        let kind = if meta.is_dir() {
            "folder"
        } else if meta.file_type().is_symlink() {
            "link"
        } else if meta.is_file() {
            "file"
        } else {
            "other"
        };
        let target = match std::fs::read_link(&path) {
            Ok(l) if kind == "link" => format!(" -> {}", l.display()),
            _ => String::new(),
        };
        let _ = writeln!(
            t,
            "{}: {kind} {:o}{}",
            printable(&path.display().to_string()),
            meta.permissions().mode() & 0o7777,
            printable(&target)
        );
        if meta.is_dir() && depth > 1 {
            list_tree(t, &path, depth - 1, budget);
        }
    }
}
