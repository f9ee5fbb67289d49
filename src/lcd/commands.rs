//! The LCD commands as LifeKeeper installs them in `$LKROOT/bin`, run by
//! absolute path with an argument vector (never a shell), each with a time
//! limit and its output capped.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::child::{self, ChildError};

use super::parse::{
    clean, describe, parse_dep_children, parse_deps, parse_eqv_list, parse_ins_list, parse_typ_list,
};
use super::{
    DepLayout, Equivalency, Event, Instance, Lcd, LcdError, LcdEvents, LcdWrite, NewInstance,
    NoMatch, Recorded, Select, Shared, DEFAULT_LKROOT,
};

/// Output beyond this size is not the documented form: reading stops and
/// the command is stopped.
const MAX_OUTPUT: usize = 4 << 20;
/// The part of stderr kept for messages; the rest is read and dropped.
const MAX_STDERR: usize = 64 << 10;
/// What a field capture keeps of each stream.
const MAX_RECORDED: usize = 64 << 10;

/// The LCD commands of one node, acting on this node's database or, with
/// [`Lcd::remote`], on another node's (`-d NODE`).
#[derive(Debug, Clone)]
pub(crate) struct Commands {
    root: PathBuf,
    remote: Option<String>,
    timeout: Duration,
    /// Where `doctor --capture` keeps every command run and its output.
    recorder: Option<Arc<Mutex<Vec<Recorded>>>>,
}

impl Commands {
    /// The LCD of this node, from `LKROOT`, each command limited to
    /// `timeout` (`ROUTE53_LCD_TIMEOUT`).
    pub(crate) fn from_env(timeout: Duration) -> Commands {
        let root = std::env::var_os("LKROOT")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(DEFAULT_LKROOT));
        Commands {
            root,
            remote: None,
            timeout,
            recorder: None,
        }
    }

    /// The same commands, each noted with its output from now on.
    pub(crate) fn recording(mut self) -> Commands {
        self.recorder = Some(Arc::new(Mutex::new(Vec::new())));
        self
    }

    fn note(&self, command: &str, status: i32, stdout: &[u8], stderr: &[u8]) {
        let Some(rec) = &self.recorder else { return };
        let text = |b: &[u8]| String::from_utf8_lossy(&b[..b.len().min(MAX_RECORDED)]).into_owned();
        if let Ok(mut v) = rec.lock() {
            v.push(Recorded {
                command: command.to_string(),
                status,
                stdout: text(stdout),
                stderr: text(stderr),
            });
        }
    }

    fn program(&self, name: &str) -> PathBuf {
        self.root.join("bin").join(name)
    }

    /// Run one LCD command; its stdout on success.
    pub(crate) async fn run(&self, name: &str, args: &[&str]) -> Result<String, LcdError> {
        let program = self.program(name);
        let mut all: Vec<&str> = Vec::with_capacity(args.len() + 2);
        if let Some(node) = &self.remote {
            all.extend(["-d", node.as_str()]);
        }
        all.extend_from_slice(args);
        let command = describe(&program, &all);
        tracing::debug!(%command, "running LCD command");
        let (status, stdout, stderr) = self.spawn_and_read(&program, &all, &command).await?;
        self.note(&command, status, &stdout, &stderr);
        if status != 0 {
            return Err(LcdError::Failed {
                command,
                status,
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

    /// Start the command and read its exit status, stdout and stderr,
    /// within the time limit and the output caps (see `child`).
    async fn spawn_and_read(
        &self,
        program: &Path,
        args: &[&str],
        command: &str,
    ) -> Result<(i32, Vec<u8>, Vec<u8>), LcdError> {
        let mut cmd = tokio::process::Command::new(program);
        cmd.args(args).env("LKROOT", &self.root);
        let limits = child::Limits {
            time: self.timeout,
            stdout: MAX_OUTPUT,
            stderr: MAX_STDERR,
        };
        let name = program
            .file_name()
            .map_or_else(|| command.to_string(), |n| n.to_string_lossy().into_owned());
        match child::run(&mut cmd, &name, limits).await {
            Ok(f) => Ok((f.code.unwrap_or(-1), f.stdout, f.stderr)),
            Err(ChildError::Spawn(source)) => Err(LcdError::Spawn {
                program: program.to_path_buf(),
                source,
            }),
            Err(ChildError::Timeout) => Err(LcdError::Timeout {
                command: command.to_string(),
                timeout: self.timeout,
            }),
            Err(ChildError::TooMuch) => Err(LcdError::BadOutput {
                command: command.to_string(),
                line: 0,
                reason: format!("more than {MAX_OUTPUT} bytes of output; the command was stopped"),
            }),
        }
    }

    /// Run a listing command and parse its output; a listing of nothing
    /// (see [`LcdError::no_match`]) is empty.
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
}

impl Lcd for Commands {
    async fn ins_list(&self, select: Select<'_>) -> Result<Vec<Instance>, LcdError> {
        let args: Vec<&str> = match select {
            Select::All => Vec::new(),
            Select::Tag(tag) => vec!["-t", tag],
            Select::Id(id) => vec!["-i", id],
            Select::Type { app, rtype } => vec!["-a", app, "-r", rtype],
        };
        self.query("ins_list", &args, parse_ins_list).await
    }

    async fn children_and_layout(
        &self,
        parent: &str,
    ) -> Result<(Vec<String>, Option<DepLayout>), LcdError> {
        self.query("dep_list", &["-c", parent], |out| {
            parse_dep_children(out, parent)
        })
        .await
    }

    async fn dep_list(&self) -> Result<Vec<(String, String)>, LcdError> {
        self.query("dep_list", &[], parse_deps).await
    }

    async fn eqv_list(&self, tag: &str) -> Result<Vec<Equivalency>, LcdError> {
        self.query("eqv_list", &["-t", tag], parse_eqv_list).await
    }

    async fn typ_list(&self, app: &str) -> Result<Vec<String>, LcdError> {
        self.query("typ_list", &["-a", app], parse_typ_list).await
    }

    async fn no_match_form(&self) -> Result<NoMatch, LcdError> {
        let tag = format!("lkroute53-probe-no-such-tag-{}", std::process::id());
        match self.run("ins_list", &["-t", &tag]).await {
            Ok(_) => Ok(NoMatch::Empty),
            Err(e) => e.no_match().ok_or(e),
        }
    }

    fn remote(&self, node: &str) -> Commands {
        Commands {
            root: self.root.clone(),
            remote: Some(node.to_string()),
            timeout: self.timeout,
            recorder: self.recorder.clone(),
        }
    }

    fn has(&self, name: &str) -> bool {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(self.program(name))
            .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    }

    fn root(&self) -> &Path {
        &self.root
    }

    fn recorded(&self) -> Vec<Recorded> {
        self.recorder
            .as_ref()
            .and_then(|r| r.lock().ok().map(|v| v.clone()))
            .unwrap_or_default()
    }
}

impl LcdWrite for Commands {
    async fn ins_create(&self, n: &NewInstance<'_>) -> Result<(), LcdError> {
        let args = [
            "-a",
            n.app,
            "-r",
            n.rtype,
            "-t",
            n.tag,
            "-i",
            n.id,
            "-v",
            n.info,
            "-s",
            n.switchback.as_lcd(),
        ];
        self.run("ins_create", &args).await.map(drop)
    }

    async fn ins_remove(&self, tag: &str) -> Result<(), LcdError> {
        self.run("ins_remove", &["-t", tag]).await.map(drop)
    }

    async fn dep_create(&self, parent: &str, child: &str) -> Result<(), LcdError> {
        self.run("dep_create", &["-p", parent, "-c", child])
            .await
            .map(drop)
    }

    async fn dep_remove(&self, parent: &str, child: &str) -> Result<(), LcdError> {
        self.run("dep_remove", &["-p", parent, "-c", child])
            .await
            .map(drop)
    }

    async fn eqv_create(&self, e: &Shared<'_>) -> Result<(), LcdError> {
        let (p, r) = (e.prio.to_string(), e.other_prio.to_string());
        let args = [
            "-t",
            e.tag,
            "-p",
            &p,
            "-S",
            e.other_system,
            "-o",
            e.other_tag,
            "-r",
            &r,
            "-e",
            "SHARED",
        ];
        self.run("eqv_create", &args).await.map(drop)
    }

    async fn eqv_remove(
        &self,
        tag: &str,
        other_system: &str,
        other_tag: &str,
    ) -> Result<(), LcdError> {
        let args = [
            "-t",
            tag,
            "-S",
            other_system,
            "-o",
            other_tag,
            "-e",
            "SHARED",
        ];
        self.run("eqv_remove", &args).await.map(drop)
    }

    async fn app_create(&self, app: &str) -> Result<(), LcdError> {
        self.run("app_create", &["-a", app]).await.map(drop)
    }

    async fn typ_create(&self, app: &str, rtype: &str) -> Result<(), LcdError> {
        self.run("typ_create", &["-a", app, "-r", rtype])
            .await
            .map(drop)
    }

    async fn lcdsync(&self) -> Result<(), LcdError> {
        self.run("lcdsync", &[]).await.map(drop)
    }
}

impl LcdEvents for Commands {
    async fn sendevent(&self, e: &Event<'_>) -> Result<(), LcdError> {
        let args = ["-C", e.class, "-E", e.event, "-m", e.monitor, "-n", e.name];
        self.run("sendevent", &args).await.map(drop)
    }
}
