//! The LifeKeeper configuration database (LCD), reached only through the
//! documented commands in `$LKROOT/bin`, run by absolute path with an
//! argument vector (never a shell) and a time limit. The parsers of their
//! output are pure functions, tested on captured lines.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use std::sync::{Arc, Mutex};

use crate::error::LcdError;

/// LifeKeeper's home, where `LKROOT` is unset.
pub const DEFAULT_LKROOT: &str = "/opt/LifeKeeper";
/// The field separator of `ins_list` and `dep_list` without `-f`.
const SEP: char = '\u{1}';
/// Output beyond this size is not the documented form: reading stops and
/// the command is stopped.
const MAX_OUTPUT: usize = 4 << 20;
/// The part of stderr kept for messages; the rest is read and dropped.
const MAX_STDERR: usize = 64 << 10;

/// Read a pipe up to `cap` bytes (and one more, to tell that it went
/// beyond). With `drain`, the rest is read and dropped until the pipe
/// closes; without, reading stops there.
async fn read_capped(
    pipe: impl tokio::io::AsyncRead + Unpin,
    cap: usize,
    drain: bool,
) -> std::io::Result<Vec<u8>> {
    use tokio::io::AsyncReadExt;
    let mut buf = Vec::new();
    let mut pipe = pipe;
    (&mut pipe)
        .take(cap as u64 + 1)
        .read_to_end(&mut buf)
        .await?;
    if drain {
        tokio::io::copy(&mut pipe, &mut tokio::io::sink()).await?;
    }
    Ok(buf)
}

/// One line of `ins_list`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instance {
    pub system: String,
    pub app: String,
    pub rtype: String,
    pub tag: String,
    pub id: String,
    pub info: String,
    pub state: String,
    /// How many fields the line had (the documented 7, then more).
    pub fields: usize,
    /// The switchback type, where a field after the state reads
    /// INTELLIGENT or AUTOMATIC (which field is not documented).
    pub switchback: Option<String>,
}

/// Parse `ins_list` output: one instance a line, fields joined by Ctrl-A:
/// system, app, type, tag, id, info, state, then fields the kit ignores.
pub fn parse_ins_list(out: &str) -> Result<Vec<Instance>, (usize, String)> {
    Ok(fields(out, 7)?
        .into_iter()
        .map(|f| Instance {
            system: f[0].to_string(),
            app: f[1].to_string(),
            rtype: f[2].to_string(),
            tag: f[3].to_string(),
            id: f[4].to_string(),
            info: f[5].to_string(),
            state: f[6].to_string(),
            fields: f.len(),
            switchback: f[7..]
                .iter()
                .map(|x| x.trim().to_ascii_uppercase())
                .find(|x| x == "INTELLIGENT" || x == "AUTOMATIC"),
        })
        .collect())
}

/// The fields of each non-blank line, at least `min` of them, or the
/// number of the first line that has fewer.
fn fields(out: &str, min: usize) -> Result<Vec<Vec<&str>>, (usize, String)> {
    let mut lines = Vec::new();
    for (i, line) in out.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let f: Vec<&str> = line.split(SEP).collect();
        if f.len() < min {
            return Err((
                i + 1,
                format!("{} fields where at least {min} were expected", f.len()),
            ));
        }
        lines.push(f);
    }
    Ok(lines)
}

/// Parse `dep_list` output: one dependency a line, fields parent and child,
/// Ctrl-A separated.
pub fn parse_deps(out: &str) -> Result<Vec<(String, String)>, (usize, String)> {
    Ok(fields(out, 2)?
        .into_iter()
        .map(|f| (f[0].to_string(), f[1].to_string()))
        .collect())
}

/// Which field of a `dep_list` line is the parent: documented as the
/// first; the kit reads either.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DepLayout {
    ParentFirst,
    ChildFirst,
}

/// Parse `dep_list -c PARENT` output into the children of `parent`, and the
/// layout seen. The documented layout (parent first) is taken wherever any
/// line shows it; only where none does is a line with the parent in its
/// second field read the other way round. Lines about other resources are
/// skipped, so the reading holds whichever way the command filters.
pub fn parse_dep_children(
    out: &str,
    parent: &str,
) -> Result<(Vec<String>, Option<DepLayout>), (usize, String)> {
    let deps = parse_deps(out)?;
    let layout = if deps.iter().any(|(a, _)| a == parent) {
        Some(DepLayout::ParentFirst)
    } else if deps.iter().any(|(_, b)| b == parent) {
        Some(DepLayout::ChildFirst)
    } else {
        None
    };
    let mut children: Vec<String> = Vec::new();
    for (a, b) in deps {
        let child = match layout {
            Some(DepLayout::ParentFirst) if a == parent => b,
            Some(DepLayout::ChildFirst) if b == parent => a,
            _ => continue,
        };
        if !children.contains(&child) {
            children.push(child);
        }
    }
    Ok((children, layout))
}

/// One line of `eqv_list`: an equivalency seen from `system`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Equivalency {
    pub system: String,
    pub tag: String,
    pub other_system: String,
    pub other_tag: String,
    #[serde(rename = "type")]
    pub etype: String,
    pub priority: String,
    pub other_priority: String,
}

/// Parse `eqv_list` output: system, tag, other system, other tag, type,
/// priority, other priority, Ctrl-A separated.
pub fn parse_eqv_list(out: &str) -> Result<Vec<Equivalency>, (usize, String)> {
    Ok(fields(out, 7)?
        .into_iter()
        .map(|f| Equivalency {
            system: f[0].into(),
            tag: f[1].into(),
            other_system: f[2].into(),
            other_tag: f[3].into(),
            etype: f[4].into(),
            priority: f[5].into(),
            other_priority: f[6].into(),
        })
        .collect())
}

/// The LCD commands of one node, acting on this node's database or, with
/// [`Lcd::remote`], on another node's (`-d NODE`).
#[derive(Debug, Clone)]
pub struct Lcd {
    root: PathBuf,
    remote: Option<String>,
    timeout: Duration,
    /// Where `doctor --capture` keeps every command run and its output.
    recorder: Option<Arc<Mutex<Vec<Recorded>>>>,
}

/// One LCD command as it ran, for a field capture.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub command: String,
    pub status: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Lcd {
    /// The LCD of this node, from `LKROOT`, each command limited to
    /// `timeout` (`ROUTE53_LCD_TIMEOUT`).
    pub fn from_env(timeout: Duration) -> Lcd {
        let root = std::env::var_os("LKROOT")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(DEFAULT_LKROOT));
        Lcd {
            root,
            remote: None,
            timeout,
            recorder: None,
        }
    }

    /// The same commands, each noted with its output from now on.
    pub fn recording(mut self) -> (Lcd, Arc<Mutex<Vec<Recorded>>>) {
        let rec = Arc::new(Mutex::new(Vec::new()));
        self.recorder = Some(rec.clone());
        (self, rec)
    }

    /// The commands noted so far, where this LCD records.
    pub fn recorded(&self) -> Vec<Recorded> {
        self.recorder
            .as_ref()
            .and_then(|r| r.lock().ok().map(|v| v.clone()))
            .unwrap_or_default()
    }

    /// How a query that matches nothing ends here: `Some(status)` for a
    /// silent nonzero exit, `Some(0)` for exit 0 with no output.
    pub async fn no_match_status(&self) -> Result<i32, LcdError> {
        let tag = format!("lkroute53-probe-no-such-tag-{}", std::process::id());
        match self.run("ins_list", &["-t", &tag]).await {
            Ok(_) => Ok(0),
            Err(LcdError::Failed {
                status,
                silent: true,
                ..
            }) => Ok(status),
            Err(e) => Err(e),
        }
    }

    fn note(&self, command: &str, status: i32, stdout: &[u8], stderr: &[u8]) {
        if let Some(rec) = &self.recorder {
            if let Ok(mut v) = rec.lock() {
                v.push(Recorded {
                    command: command.to_string(),
                    status,
                    stdout: String::from_utf8_lossy(&stdout[..stdout.len().min(64 << 10)]).into(),
                    stderr: String::from_utf8_lossy(&stderr[..stderr.len().min(64 << 10)]).into(),
                });
            }
        }
    }

    /// The same commands, acting on NODE's database.
    pub fn remote(&self, node: &str) -> Lcd {
        Lcd {
            root: self.root.clone(),
            remote: Some(node.to_string()),
            timeout: self.timeout,
            recorder: self.recorder.clone(),
        }
    }

    /// Whether the command is in place and executable.
    pub fn has(&self, name: &str) -> bool {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(self.program(name))
            .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    fn program(&self, name: &str) -> PathBuf {
        self.root.join("bin").join(name)
    }

    /// Run one LCD command; its stdout on success.
    async fn run(&self, name: &str, args: &[&str]) -> Result<String, LcdError> {
        let program = self.program(name);
        let mut all: Vec<&str> = Vec::with_capacity(args.len() + 2);
        if let Some(node) = &self.remote {
            all.extend(["-d", node.as_str()]);
        }
        all.extend_from_slice(args);
        let args = &all[..];
        let command = describe(&program, args);
        tracing::debug!(%command, "running LCD command");
        let mut child = tokio::process::Command::new(&program)
            .args(args)
            .env("LKROOT", &self.root)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|source| LcdError::Spawn {
                program: program.clone(),
                source,
            })?;
        let (Some(stdout), Some(stderr)) = (child.stdout.take(), child.stderr.take()) else {
            return Err(LcdError::Spawn {
                program,
                source: std::io::Error::other("no pipes to the command"),
            });
        };
        let ran = tokio::time::timeout(self.timeout, async {
            // stderr is read beside stdout, so that neither pipe can fill
            // and stall the command.
            let errors = tokio::spawn(read_capped(stderr, MAX_STDERR, true));
            let out = read_capped(stdout, MAX_OUTPUT, false).await;
            if out.as_ref().is_ok_and(|o| o.len() > MAX_OUTPUT) {
                let _ = child.kill().await;
                errors.abort();
                return Ok(None);
            }
            let status = child.wait().await?;
            let errors = errors.await.ok().and_then(Result::ok).unwrap_or_default();
            Ok::<_, std::io::Error>(Some((status, out?, errors)))
        })
        .await;
        let (status, stdout, stderr) = match ran {
            Ok(Ok(Some(done))) => done,
            Ok(Ok(None)) => {
                return Err(LcdError::BadOutput {
                    command,
                    line: 0,
                    reason: format!(
                        "more than {MAX_OUTPUT} bytes of output; the command was stopped"
                    ),
                })
            }
            Ok(Err(source)) => return Err(LcdError::Spawn { program, source }),
            Err(_) => {
                return Err(LcdError::Timeout {
                    command,
                    timeout: self.timeout,
                })
            }
        };
        self.note(&command, status.code().unwrap_or(-1), &stdout, &stderr);
        if !status.success() {
            return Err(LcdError::Failed {
                command,
                status: status.code().unwrap_or(-1),
                silent: stdout.iter().all(u8::is_ascii_whitespace)
                    && stderr.iter().all(u8::is_ascii_whitespace),
                stderr: clean(&stderr),
            });
        }
        String::from_utf8(stdout).map_err(|_| LcdError::BadOutput {
            command,
            line: 0,
            reason: "output is not UTF-8".into(),
        })
    }

    /// Run a listing command and parse its output; a listing of nothing
    /// (exit 7, no such object) is empty.
    async fn query<T: Default>(
        &self,
        name: &str,
        args: &[&str],
        parse: impl FnOnce(&str) -> Result<T, (usize, String)>,
    ) -> Result<T, LcdError> {
        let out = match self.run(name, args).await {
            Ok(out) => out,
            Err(e) if e.is_no_match() => return Ok(T::default()),
            Err(e) => return Err(e),
        };
        parse(&out).map_err(|(line, reason)| LcdError::BadOutput {
            command: describe(&self.program(name), args),
            line,
            reason,
        })
    }

    /// The instance with this tag, or None when there is none.
    pub async fn instance(&self, tag: &str) -> Result<Option<Instance>, LcdError> {
        let list = self.query("ins_list", &["-t", tag], parse_ins_list).await?;
        Ok(list.into_iter().find(|i| i.tag == tag))
    }

    /// Every instance of an app and type.
    pub async fn instances_of(&self, app: &str, rtype: &str) -> Result<Vec<Instance>, LcdError> {
        let list = self
            .query("ins_list", &["-a", app, "-r", rtype], parse_ins_list)
            .await?;
        Ok(list
            .into_iter()
            .filter(|i| i.app == app && i.rtype == rtype)
            .collect())
    }

    /// The tags of the resources `parent` depends on.
    pub async fn children(&self, parent: &str) -> Result<Vec<String>, LcdError> {
        Ok(self.children_and_layout(parent).await?.0)
    }

    /// The children of `parent`, and which field of dep_list was the parent.
    pub async fn children_and_layout(
        &self,
        parent: &str,
    ) -> Result<(Vec<String>, Option<DepLayout>), LcdError> {
        self.query("dep_list", &["-c", parent], |out| {
            parse_dep_children(out, parent)
        })
        .await
    }

    /// Every instance on the node.
    pub async fn all_instances(&self) -> Result<Vec<Instance>, LcdError> {
        self.query("ins_list", &[], parse_ins_list).await
    }

    /// Every dependency on this node: (parent, child).
    pub async fn dependencies(&self) -> Result<Vec<(String, String)>, LcdError> {
        self.query("dep_list", &[], parse_deps).await
    }

    /// The equivalencies of a tag.
    pub async fn equivalencies(&self, tag: &str) -> Result<Vec<Equivalency>, LcdError> {
        let list = self.query("eqv_list", &["-t", tag], parse_eqv_list).await?;
        Ok(list.into_iter().filter(|e| e.tag == tag).collect())
    }

    /// A SHARED equivalency between `tag` here (priority `prio`) and
    /// `other_tag` on `other_system` (priority `other_prio`).
    pub async fn create_equivalency(
        &self,
        tag: &str,
        prio: u32,
        other_system: &str,
        other_tag: &str,
        other_prio: u32,
    ) -> Result<(), LcdError> {
        let (p, r) = (prio.to_string(), other_prio.to_string());
        self.run(
            "eqv_create",
            &[
                "-t",
                tag,
                "-p",
                &p,
                "-S",
                other_system,
                "-o",
                other_tag,
                "-r",
                &r,
                "-e",
                "SHARED",
            ],
        )
        .await
        .map(drop)
    }

    pub async fn remove_equivalency(
        &self,
        tag: &str,
        other_system: &str,
        other_tag: &str,
    ) -> Result<(), LcdError> {
        self.run(
            "eqv_remove",
            &[
                "-t",
                tag,
                "-S",
                other_system,
                "-o",
                other_tag,
                "-e",
                "SHARED",
            ],
        )
        .await
        .map(drop)
    }

    pub async fn create_instance(
        &self,
        app: &str,
        rtype: &str,
        tag: &str,
        id: &str,
        info: &str,
        switchback: &str,
    ) -> Result<(), LcdError> {
        self.run(
            "ins_create",
            &[
                "-a", app, "-r", rtype, "-t", tag, "-i", id, "-v", info, "-s", switchback,
            ],
        )
        .await
        .map(drop)
    }

    pub async fn remove_instance(&self, tag: &str) -> Result<(), LcdError> {
        self.run("ins_remove", &["-t", tag]).await.map(drop)
    }

    pub async fn create_dependency(&self, parent: &str, child: &str) -> Result<(), LcdError> {
        self.run("dep_create", &["-p", parent, "-c", child])
            .await
            .map(drop)
    }

    pub async fn remove_dependency(&self, parent: &str, child: &str) -> Result<(), LcdError> {
        self.run("dep_remove", &["-p", parent, "-c", child])
            .await
            .map(drop)
    }
}

/// A command line for messages: arguments quoted where needed, control
/// characters escaped.
fn describe(program: &Path, args: &[&str]) -> String {
    let mut s = program.display().to_string();
    for a in args {
        s.push(' ');
        if !a.is_empty()
            && a.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_./:=@,+".contains(c))
        {
            s.push_str(a);
        } else {
            s.push_str(&format!("{a:?}"));
        }
    }
    s
}

/// stderr for a message: lossy UTF-8, control characters escaped, bounded.
fn clean(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let text = text.trim();
    let mut out = String::new();
    for c in text.chars().take(2000) {
        match c {
            '\n' => out.push_str(" | "),
            c if c.is_control() => out.push_str(&c.escape_default().to_string()),
            c => out.push(c),
        }
    }
    if out.is_empty() {
        out.push_str("(no message on stderr)");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const INS_LIST: &str = include_str!("../tests/fixtures/lcd-output/ins_list.txt");
    const DEP_LIST: &str = include_str!("../tests/fixtures/lcd-output/dep_list.txt");

    #[test]
    fn ins_list_lines_are_read_field_by_field() {
        let list = parse_ins_list(INS_LIST).expect("fixture parses");
        assert_eq!(list.len(), 2);
        assert_eq!(list[0].app, "comm");
        assert_eq!(list[0].rtype, "ip");
        assert_eq!(list[0].tag, "ip-10.0.1.10");
        assert_eq!(list[0].info, "node1 eth0 10.0.1.10 ffffff00 none");
        assert_eq!(list[0].state, "ISP");
        assert_eq!(list[1].rtype, "route53");
        assert_eq!(list[1].info, "Z0123456789ABCDEFGHIJ app.example.com");
    }

    #[test]
    fn ins_list_with_too_few_fields_names_the_line() {
        let err = parse_ins_list("a\u{1}b\u{1}c\n").expect_err("must be refused");
        assert_eq!(err.0, 1);
    }

    #[test]
    fn dep_list_gives_children_of_the_parent_only() {
        let (children, layout) = parse_dep_children(DEP_LIST, "r53-app").expect("fixture parses");
        assert_eq!(children, vec!["ip-10.0.1.10".to_string()]);
        assert_eq!(layout, Some(DepLayout::ParentFirst));
        assert!(parse_dep_children(DEP_LIST, "nobody")
            .expect("parses")
            .0
            .is_empty());
        // The other field order reads the same.
        let (children, layout) =
            parse_dep_children("ip-10.0.1.10\u{1}r53-app\n", "r53-app").expect("parses");
        assert_eq!(children, vec!["ip-10.0.1.10".to_string()]);
        assert_eq!(layout, Some(DepLayout::ChildFirst));
    }

    #[test]
    fn dep_list_garbage_is_an_error() {
        assert!(parse_dep_children("garbage line\n", "x").is_err());
    }

    #[test]
    fn eqv_list_lines_are_read_field_by_field() {
        let list = parse_eqv_list(include_str!("../tests/fixtures/lcd-output/eqv_list.txt"))
            .expect("fixture parses");
        assert_eq!(list.len(), 1);
        assert_eq!(list[0].other_system, "node2");
        assert_eq!(list[0].etype, "SHARED");
        assert_eq!(
            (list[0].priority.as_str(), list[0].other_priority.as_str()),
            ("1", "10")
        );
        assert!(parse_eqv_list("node1\u{1}tag\n").is_err());
    }

    mod properties {
        use super::super::*;
        use proptest::prelude::*;

        fn field() -> impl Strategy<Value = String> {
            // Anything but the separator and a line break.
            "[^\u{1}\n\r]{0,30}"
        }

        proptest! {
            #[test]
            fn any_text_parses_without_panic(text in "\\PC{0,500}") {
                let _ = parse_ins_list(&text);
                let _ = parse_dep_children(&text, "x");
                let _ = parse_eqv_list(&text);
            }

            #[test]
            fn ins_list_lines_round_trip(fields in proptest::collection::vec(field(), 7..10)) {
                let line = fields.join("\u{1}");
                prop_assume!(!line.trim().is_empty());
                let list = parse_ins_list(&format!("{line}\n")).map_err(|e| TestCaseError::fail(e.1))?;
                prop_assert_eq!(list.len(), 1);
                let i = &list[0];
                prop_assert_eq!((&i.system, &i.app, &i.rtype, &i.tag), (&fields[0], &fields[1], &fields[2], &fields[3]));
                prop_assert_eq!((&i.id, &i.info, &i.state), (&fields[4], &fields[5], &fields[6]));
            }

            #[test]
            fn dep_list_gives_exactly_the_parents_children(
                deps in proptest::collection::vec(("[a-c]", "[a-z]{1,5}"), 0..20)
            ) {
                let text: String = deps.iter().map(|(p, c)| format!("{p}\u{1}{c}\n")).collect();
                let (children, _) = parse_dep_children(&text, "a").map_err(|e| TestCaseError::fail(e.1))?;
                let mut want: Vec<String> = Vec::new();
                let parent_first = deps.iter().any(|(p, _)| p == "a");
                for (p, c) in &deps {
                    let child = if parent_first && p == "a" {
                        c
                    } else if !parent_first && c == "a" {
                        p
                    } else {
                        continue;
                    };
                    if !want.contains(child) {
                        want.push(child.clone());
                    }
                }
                prop_assert_eq!(children, want);
            }
        }
    }

    #[test]
    fn hostile_arguments_are_quoted_in_messages() {
        let d = describe(
            Path::new("/opt/LifeKeeper/bin/ins_list"),
            &["-t", "a b;$(x)\n"],
        );
        assert_eq!(d, "/opt/LifeKeeper/bin/ins_list -t \"a b;$(x)\\n\"");
    }

    #[test]
    fn stderr_is_bounded_and_escaped() {
        let s = clean(b"line one\nline\x1b two\xff");
        assert_eq!(s, "line one | line\\u{1b} two\u{fffd}");
    }
}
