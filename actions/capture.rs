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

use crate::actions::doctor::{Check, Mark};
use lkroute53::context::Ctx;
use lkroute53::lcd::Lcd;
use lkroute53::lcd::{parse_dep_children, parse_eqv_list, parse_ins_list, Recorded};

/// Variables whose value is recorded (proxy URLs without user and password).
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
    "HTTPS_PROXY",
    "https_proxy",
    "HTTP_PROXY",
    "http_proxy",
    "NO_PROXY",
    "no_proxy",
];
/// Variables of which only "set" or "unset" is recorded.
const SECRET: &[&str] = &[
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN",
];

pub fn write(path: &Path, ctx: &Ctx<impl Lcd>, checks: &[Check]) -> std::io::Result<()> {
    let text = render(ctx, checks);
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(text.as_bytes())
}

fn render(ctx: &Ctx<impl Lcd>, checks: &[Check]) -> String {
    let mut t = String::new();
    let _ = writeln!(t, "lkroute53 doctor capture");
    let _ = writeln!(t, "version: lkroute53 {}", env!("CARGO_PKG_VERSION"));
    let _ = writeln!(t, "host: {}", lkroute53::aws::estate::node_name());
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
    for k in SHOWN {
        if let Some(v) = std::env::var_os(k) {
            let v = v.to_string_lossy();
            let shown = if k.to_ascii_lowercase().contains("proxy") {
                lkroute53::aws::endpoint::hide_userinfo(&v)
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
        return if r.stdout.trim().is_empty() && r.stderr.trim().is_empty() {
            "nonzero exit with no output: no match".into()
        } else {
            "failed".into()
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
