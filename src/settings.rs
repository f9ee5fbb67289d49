//! The `ROUTE53_*` tunables from `/etc/default/LifeKeeper`, read anew on
//! every run.
//!
//! Two steps, as the file is shared with the rest of LifeKeeper: [`parse`]
//! knows shell syntax only and reports every line it cannot read, with its
//! number; [`Settings::from_entries`] knows the kit's keys, fills defaults and
//! says which value it used in place of a bad one. Nothing here is ever
//! fatal: a broken file costs warnings, never a failover.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::text::short;

/// Where LifeKeeper keeps its tunables.
pub const DEFAULTS_FILE: &str = "/etc/default/LifeKeeper";
/// Names another defaults file, for trials and tests.
pub const DEFAULTS_FILE_ENV: &str = "LK_DEFAULTS_FILE";
/// The file is read up to this size; the rest is ignored with a warning.
pub const MAX_FILE_BYTES: u64 = 1 << 20;

/// At most this many warnings about the settings file are logged a run.
pub const MAX_WARNINGS: usize = 20;
/// The bytes of the settings file, and a warning where it was cut: only a
/// regular file is read, and only its first [`MAX_FILE_BYTES`].
fn read_file(path: &Path) -> Result<(Vec<u8>, Vec<Warning>), String> {
    let mut buf = crate::bounded::read_regular(path, MAX_FILE_BYTES + 1)?;
    let mut warnings = Vec::new();
    if buf.len() as u64 > MAX_FILE_BYTES {
        warnings.push(Warning(format!(
            "{}: larger than {MAX_FILE_BYTES} bytes; read only the first {MAX_FILE_BYTES}",
            path.display()
        )));
        buf.truncate(MAX_FILE_BYTES as usize);
        // Drop the partial last line.
        if let Some(pos) = buf.iter().rposition(|b| *b == b'\n') {
            buf.truncate(pos);
        }
    }
    Ok((buf, warnings))
}

/// One `KEY=value` assignment, as the shell would see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub key: String,
    pub value: String,
    pub line: usize,
}

/// A line that is not a comment, a blank or an assignment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineProblem {
    pub line: usize,
    pub reason: String,
}

/// Split shell-style text into assignments and problems, reading it as the
/// shell would: comments, blank lines, quotes, trailing comments, several
/// statements on a line separated by `;`, several assignments in one
/// statement, and the declaration forms `export`, `readonly`, `declare` and
/// `typeset` (with options such as `-x`). Assignments are read; what is not
/// an assignment (`export KEY` alone, an option, a command) is passed over
/// silently, except a command word that names a `ROUTE53_` key, which is
/// most likely a misspelt assignment. `$` is not expanded (no kit setting
/// needs it).
pub fn parse(text: &[u8]) -> (Vec<Entry>, Vec<LineProblem>) {
    let mut entries = Vec::new();
    let mut problems = Vec::new();
    for (index, raw) in text.split(|b| *b == b'\n').enumerate() {
        let line = index + 1;
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        let text = match std::str::from_utf8(raw) {
            Ok(t) => t,
            Err(_) => {
                problems.push(LineProblem {
                    line,
                    reason: "not UTF-8 text".into(),
                });
                continue;
            }
        };
        match parse_line(text) {
            Ok(found) => {
                entries.extend(
                    found
                        .into_iter()
                        .map(|(key, value)| Entry { key, value, line }),
                )
            }
            Err(reason) => problems.push(LineProblem { line, reason }),
        }
    }
    (entries, problems)
}

/// One shell word, and the name it assigns to where it is `NAME=value`
/// with the name unquoted.
#[derive(Debug)]
struct Word {
    text: String,
    assigns: Option<usize>,
}

/// The statements of one line, each a list of words.
fn statements(text: &str) -> Result<Vec<Vec<Word>>, String> {
    let mut out = vec![Vec::new()];
    let mut chars = text.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| *c == ' ' || *c == '\t') {
            chars.next();
        }
        match chars.peek() {
            None | Some('#') => break,
            Some(';') => {
                chars.next();
                out.push(Vec::new());
                continue;
            }
            Some('\0') => return Err("contains a NUL byte".into()),
            _ => {}
        }
        let word = word(&mut chars)?;
        if let Some(current) = out.last_mut() {
            current.push(word);
        }
    }
    Ok(out)
}

/// One word: unquoted text, '...' and "..." pieces run together, ended by
/// unquoted white space or `;`.
fn word(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) -> Result<Word, String> {
    let mut text = String::new();
    let mut quoted = false;
    let mut assigns = None;
    while let Some(&c) = chars.peek() {
        match c {
            ' ' | '\t' | ';' => break,
            '\'' => {
                chars.next();
                quoted = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(c) => text.push(c),
                        None => return Err("unterminated single quote".into()),
                    }
                }
            }
            '"' => {
                chars.next();
                quoted = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(c @ ('"' | '\\' | '$' | '`')) => text.push(c),
                            Some(c) => {
                                text.push('\\');
                                text.push(c);
                            }
                            None => return Err("unterminated double quote".into()),
                        },
                        Some(c) => text.push(c),
                        None => return Err("unterminated double quote".into()),
                    }
                }
            }
            '\\' => {
                chars.next();
                quoted = true;
                match chars.next() {
                    Some(c) => text.push(c),
                    None => {
                        return Err(
                            "line ends in a backslash (continued lines are not supported)".into(),
                        )
                    }
                }
            }
            '&' | '|' | '<' | '>' | '(' | ')' | '`' => {
                return Err(format!("shell syntax {c:?} is not supported here"));
            }
            '=' if !quoted && assigns.is_none() => {
                chars.next();
                if is_name(&text) {
                    assigns = Some(text.len());
                }
                text.push('=');
            }
            c => {
                chars.next();
                text.push(c);
            }
        }
    }
    Ok(Word { text, assigns })
}

/// The assignments of one line.
fn parse_line(text: &str) -> Result<Vec<(String, String)>, String> {
    let mut found = Vec::new();
    for words in statements(text)? {
        let Some(first) = words.first() else {
            continue;
        };
        let declaration = first.assigns.is_none()
            && matches!(
                first.text.as_str(),
                "export" | "readonly" | "declare" | "typeset"
            );
        let rest = if declaration { &words[1..] } else { &words[..] };
        for (i, w) in rest.iter().enumerate() {
            match w.assigns {
                Some(eq) => found.push((w.text[..eq].to_string(), w.text[eq + 1..].to_string())),
                // export KEY, declare -x: nothing to read.
                None if declaration => {}
                None if i > 0 => {
                    return Err(format!(
                        "{} is followed by {:?}: the shell would run that as a command with the assignment for it alone",
                        short(&rest[i - 1].text),
                        short(&w.text)
                    ))
                }
                // A command. One that names a kit key, or holds a `=`
                // after something that is no name, is likely a typo.
                None if w.text.contains("ROUTE53_") || w.text.contains('=') => {
                    return Err(format!(
                        "{:?} is not a KEY=value assignment of a valid variable name",
                        short(&w.text)
                    ))
                }
                None => break,
            }
        }
    }
    Ok(found)
}

fn is_name(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c == '_' || c.is_ascii_alphabetic())
        && chars.all(|c| c == '_' || c.is_ascii_alphanumeric())
}

/// Where a setting's value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Default,
    File {
        path: PathBuf,
        line: usize,
    },
    /// Taken from another key of the file, for compatibility.
    Alias {
        key: &'static str,
        path: PathBuf,
        line: usize,
    },
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Default => f.write_str("default"),
            Source::File { path, line } => write!(f, "{}:{line}", path.display()),
            Source::Alias { key, path, line } => write!(f, "{}:{line} ({key})", path.display()),
        }
    }
}

/// A value in force, with its origin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Value {
    pub value: u64,
    pub source: Source,
}

/// The definition of one numeric tunable.
#[derive(Debug, Clone, Copy)]
pub struct Spec {
    pub key: &'static str,
    pub default: u64,
    pub min: u64,
    pub max: u64,
    pub unit: &'static str,
    /// Read this key where `key` is unset.
    pub alias: Option<&'static str>,
}

macro_rules! specs {
    ($($name:ident = $key:literal, $default:literal, $min:literal..=$max:literal, $unit:literal, $alias:expr;)*) => {
        $(pub const $name: Spec = Spec { key: $key, default: $default, min: $min, max: $max, unit: $unit, alias: $alias };)*
        /// Every tunable, in the order the README lists them.
        pub const SPECS: &[Spec] = &[$($name),*];
    };
}

specs! {
    TTL = "ROUTE53_TTL", 10, 0..=86400, "s", None;
    RECORD_INTERVAL = "ROUTE53_RECORD_INTERVAL", 2, 0..=300, "s", None;
    RECORD_TRY_COUNT = "ROUTE53_RECORD_TRY_COUNT", 3, 1..=20, "tries", None;
    CHANGEID_INTERVAL = "ROUTE53_CHANGEID_INTERVAL", 20, 1..=600, "s", None;
    CHANGEID_TRY_COUNT = "ROUTE53_CHANGEID_TRY_COUNT", 5, 1..=100, "checks", None;
    RECORDCHECK_INTERVAL = "ROUTE53_RECORDCHECK_INTERVAL", 2, 0..=300, "s", None;
    RECORDCHECK_TRY_COUNT = "ROUTE53_RECORDCHECK_TRY_COUNT", 4, 1..=20, "tries", None;
    CONNECT_TIMEOUT = "ROUTE53_CONNECT_TIMEOUT", 5, 1..=120, "s", Some("AWSCLI_CONNECT_TIMEOUT");
    READ_TIMEOUT = "ROUTE53_READ_TIMEOUT", 10, 1..=300, "s", Some("AWSCLI_READ_TIMEOUT");
    QUICKCHECK_TIMEOUT = "ROUTE53_QUICKCHECK_TIMEOUT", 25, 1..=3600, "s", None;
    LOCK_WAIT = "ROUTE53_LOCK_WAIT", 300, 0..=3600, "s", None;
    LCD_TIMEOUT = "ROUTE53_LCD_TIMEOUT", 30, 1..=600, "s", None;
    API_RATE = "ROUTE53_API_RATE", 8, 1..=1000, "requests/s", None;
    API_BURST = "ROUTE53_API_BURST", 20, 1..=1000, "requests", None;
}

/// A warning about the settings file, ready to log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning(pub String);

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// `ROUTE53_CHANGEID_POLL`: how the INSYNC checks are spread over the
/// budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PollMode {
    Adaptive,
    Fixed,
}

/// A setting that takes one of a few words.
#[derive(Debug, Clone, Copy)]
pub struct WordSpec {
    pub key: &'static str,
    /// The words it takes; the first is the default.
    pub words: &'static [&'static str],
}

pub const CHANGEID_POLL: WordSpec = WordSpec {
    key: "ROUTE53_CHANGEID_POLL",
    words: &["adaptive", "fixed"],
};
/// What restore does with a change accepted but not reported INSYNC within
/// the status-check budget: `fail` (exit 5), or `warn` and succeed where a
/// read shows the record holding the address.
pub const NOT_INSYNC: WordSpec = WordSpec {
    key: "ROUTE53_NOT_INSYNC",
    words: &["fail", "warn"],
};
/// What quickCheck names as `-n` when it tells LifeKeeper's sendevent of
/// a record gone wrong: the resource's `id` or its `tag`; `off` tells
/// nothing (LifeKeeper recovers from quickCheck's exit status alone).
pub const SENDEVENT: WordSpec = WordSpec {
    key: "ROUTE53_SENDEVENT",
    words: &["id", "tag", "off"],
};
/// Every word setting, in the order the README lists them.
pub const WORD_SPECS: &[WordSpec] = &[CHANGEID_POLL, NOT_INSYNC, SENDEVENT];

impl PollMode {
    pub fn name(self) -> &'static str {
        match self {
            PollMode::Adaptive => "adaptive",
            PollMode::Fixed => "fixed",
        }
    }
}

/// The AWS settings, each with where it came from; unset where the file
/// does not set it (or sets it to something unusable, with a warning).
#[derive(Debug, Clone, Default)]
pub struct AwsSettings {
    pub role_arn: Option<(String, Source)>,
    pub external_id: Option<(String, Source)>,
    pub session_name: Option<(String, Source)>,
    pub profile: Option<(String, Source)>,
    pub region: Option<(String, Source)>,
    pub ca_bundle: Option<(String, Source)>,
    /// The proxy settings the file sets (other kits read them there too),
    /// in the order [`PROXY_KEYS`] lists them: each key, its value and
    /// where it was set.
    pub proxies: Vec<(&'static str, String, Source)>,
}

/// The proxy variables the file may set, as LifeKeeper's own kits load it
/// into their environment.
pub const PROXY_KEYS: &[&str] = &[
    "HTTPS_PROXY",
    "https_proxy",
    "HTTP_PROXY",
    "http_proxy",
    "NO_PROXY",
    "no_proxy",
];

pub const ROLE_ARN: &str = "ROUTE53_ROLE_ARN";
pub const EXTERNAL_ID: &str = "ROUTE53_EXTERNAL_ID";
pub const ROLE_SESSION_NAME: &str = "ROUTE53_ROLE_SESSION_NAME";
pub const AWS_PROFILE: &str = "ROUTE53_AWS_PROFILE";
pub const REGION: &str = "ROUTE53_REGION";
pub const CA_BUNDLE: &str = "ROUTE53_CA_BUNDLE";
/// The text-valued settings, in the order the README lists them.
pub const TEXT_KEYS: &[&str] = &[
    ROLE_ARN,
    EXTERNAL_ID,
    ROLE_SESSION_NAME,
    AWS_PROFILE,
    REGION,
    CA_BUNDLE,
];

/// Why a text setting's value cannot be used, where it cannot.
pub fn text_problem(key: &str, v: &str) -> Option<&'static str> {
    let all = |ok: fn(char) -> bool| v.chars().all(ok);
    let bad = match key {
        ROLE_ARN => {
            let parts: Vec<&str> = v.splitn(6, ':').collect();
            !(parts.len() == 6
                && parts[0] == "arn"
                && matches!(parts[1], "aws" | "aws-cn" | "aws-us-gov")
                && parts[2] == "iam"
                && parts[3].is_empty()
                && parts[4].len() == 12
                && parts[4].chars().all(|c| c.is_ascii_digit())
                && parts[5].starts_with("role/")
                && parts[5].len() > 5
                && all(|c| c.is_ascii_graphic()))
        }
        EXTERNAL_ID => {
            !(2..=1224).contains(&v.len())
                || !all(|c| c.is_ascii_alphanumeric() || "+=,.@:/-_".contains(c))
        }
        ROLE_SESSION_NAME => {
            !(2..=64).contains(&v.len())
                || !all(|c| c.is_ascii_alphanumeric() || "+=,.@-_".contains(c))
        }
        AWS_PROFILE => {
            v.is_empty()
                || v.len() > 128
                || !all(|c| c.is_ascii_alphanumeric() || "+=,.@-_/".contains(c))
        }
        REGION => {
            let parts: Vec<&str> = v.split('-').collect();
            !(parts.len() >= 3
                && parts.iter().all(|p| {
                    !p.is_empty()
                        && p.chars()
                            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
                })
                && parts
                    .last()
                    .is_some_and(|p| p.chars().all(|c| c.is_ascii_digit())))
        }
        CA_BUNDLE => !v.starts_with('/') || v.chars().any(char::is_control),
        _ => false,
    };
    bad.then_some(match key {
        ROLE_ARN => "is not an IAM role ARN (arn:aws:iam::123456789012:role/NAME; partitions aws, aws-cn, aws-us-gov)",
        EXTERNAL_ID => "is not an external ID (2-1224 of letters, digits and +=,.@:/-_)",
        ROLE_SESSION_NAME => "is not a session name (2-64 of letters, digits and +=,.@-_)",
        AWS_PROFILE => "is not a profile name",
        REGION => "is not a region name (such as eu-west-1, us-gov-west-1, cn-north-1)",
        _ => "is not an absolute path",
    })
}

/// The tunables in force for this run.
#[derive(Debug, Clone)]
pub struct Settings {
    pub path: PathBuf,
    values: HashMap<&'static str, Value>,
    /// The word settings in force (the word, as the spec spells it), and
    /// where each came from.
    words: HashMap<&'static str, (&'static str, Source)>,
    /// The AWS side: role, profile, region, CA bundle.
    pub aws: AwsSettings,
    /// `LKSYSLOGSELECTOR`, where the file sets it.
    pub syslog_selector: Option<String>,
    pub warnings: Vec<Warning>,
}

impl Settings {
    /// Read the defaults file named by `LK_DEFAULTS_FILE`, or the standard
    /// one. A missing, unreadable or broken file gives defaults and warnings.
    pub fn load() -> Settings {
        let path = std::env::var_os(DEFAULTS_FILE_ENV)
            .filter(|p| !p.is_empty())
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(DEFAULTS_FILE));
        Self::load_from(&path)
    }

    pub fn load_from(path: &Path) -> Settings {
        match read_file(path) {
            Ok((bytes, warnings)) => Settings::from_text(path, &bytes, warnings),
            Err(why) => Settings::from_text(
                path,
                b"",
                vec![Warning(format!(
                    "{}: {why}; using the default of every ROUTE53_* setting",
                    path.display()
                ))],
            ),
        }
    }

    /// The settings of a text read from `path`, after the warnings about
    /// reading it (if any).
    pub fn from_text(path: &Path, text: &[u8], mut warnings: Vec<Warning>) -> Settings {
        let (entries, problems) = parse(text);
        let mut settings = Settings::from_entries(path, &entries);
        warnings.extend(problems.iter().map(|p| {
            Warning(format!(
                "{}:{}: line ignored: {}",
                path.display(),
                p.line,
                p.reason
            ))
        }));
        warnings.append(&mut settings.warnings);
        settings.warnings = warnings;
        settings
    }

    /// The warnings to log on every run: the first [`MAX_WARNINGS`], then one
    /// line that counts the rest.
    pub fn warnings_shown(&self) -> Vec<Warning> {
        let mut shown: Vec<Warning> = self.warnings.iter().take(MAX_WARNINGS).cloned().collect();
        if self.warnings.len() > MAX_WARNINGS {
            shown.push(Warning(format!(
                "{}: {} more warning(s) not shown; lkroute53 doctor TAG lists them all",
                self.path.display(),
                self.warnings.len() - MAX_WARNINGS
            )));
        }
        shown
    }

    /// Typed validation: every known key checked against its range; a bad
    /// value gives a warning naming file, line, key, value and the default
    /// used instead.
    pub fn from_entries(path: &Path, entries: &[Entry]) -> Settings {
        // Shell semantics: the last assignment wins.
        let mut last: HashMap<&str, &Entry> = HashMap::new();
        for e in entries {
            last.insert(e.key.as_str(), e);
        }
        let mut warnings = Vec::new();
        let values = SPECS
            .iter()
            .map(|spec| (spec.key, numeric(spec, &last, path, &mut warnings)))
            .collect();
        let words = WORD_SPECS
            .iter()
            .map(|spec| (spec.key, word_setting(spec, &last, path, &mut warnings)))
            .collect();
        let mut text = |key: &'static str| text_setting(key, &last, path, &mut warnings);
        let aws = AwsSettings {
            role_arn: text(ROLE_ARN),
            external_id: text(EXTERNAL_ID),
            session_name: text(ROLE_SESSION_NAME),
            profile: text(AWS_PROFILE),
            region: text(REGION),
            ca_bundle: text(CA_BUNDLE),
            proxies: proxies(&last, path, &mut warnings),
        };
        warnings.extend(unknown_keys(entries, path));
        Settings {
            path: path.to_path_buf(),
            values,
            words,
            aws,
            syslog_selector: last.get("LKSYSLOGSELECTOR").map(|e| e.value.clone()),
            warnings,
        }
    }

    /// The value in force for `spec`, with its origin.
    pub fn get(&self, spec: Spec) -> Value {
        // from_entries inserts every spec; the default stands in regardless.
        self.values.get(spec.key).cloned().unwrap_or(Value {
            value: spec.default,
            source: Source::Default,
        })
    }

    fn num(&self, spec: Spec) -> u64 {
        self.get(spec).value
    }

    fn secs(&self, spec: Spec) -> Duration {
        Duration::from_secs(self.num(spec))
    }

    /// A count; every count's range lies well inside `u32`.
    fn count(&self, spec: Spec) -> u32 {
        u32::try_from(self.num(spec)).unwrap_or(u32::MAX)
    }

    /// `ROUTE53_TTL`: the TTL written with the record.
    pub fn ttl(&self) -> u32 {
        self.count(TTL)
    }

    /// `ROUTE53_RECORD_TRY_COUNT` and `ROUTE53_RECORD_INTERVAL`.
    pub fn record_tries(&self) -> Tries {
        Tries {
            count: self.count(RECORD_TRY_COUNT),
            interval: self.secs(RECORD_INTERVAL),
        }
    }

    /// `ROUTE53_RECORDCHECK_TRY_COUNT` and `ROUTE53_RECORDCHECK_INTERVAL`.
    pub fn recordcheck_tries(&self) -> Tries {
        Tries {
            count: self.count(RECORDCHECK_TRY_COUNT),
            interval: self.secs(RECORDCHECK_INTERVAL),
        }
    }

    /// `ROUTE53_CHANGEID_TRY_COUNT` checks `ROUTE53_CHANGEID_INTERVAL` apart.
    pub fn changeid_tries(&self) -> Tries {
        Tries {
            count: self.count(CHANGEID_TRY_COUNT),
            interval: self.secs(CHANGEID_INTERVAL),
        }
    }

    /// A word setting in force, and where it came from.
    pub fn word(&self, spec: WordSpec) -> (&'static str, Source) {
        self.words
            .get(spec.key)
            .cloned()
            .unwrap_or((spec.words[0], Source::Default))
    }

    pub fn poll_mode(&self) -> PollMode {
        match self.word(CHANGEID_POLL).0 {
            "fixed" => PollMode::Fixed,
            _ => PollMode::Adaptive,
        }
    }

    /// `ROUTE53_NOT_INSYNC=warn`: a change not reported INSYNC in time is
    /// accepted where a read shows the record holding the address.
    pub fn accept_not_insync(&self) -> bool {
        self.word(NOT_INSYNC).0 == "warn"
    }

    pub fn connect_timeout(&self) -> Duration {
        self.secs(CONNECT_TIMEOUT)
    }

    pub fn read_timeout(&self) -> Duration {
        self.secs(READ_TIMEOUT)
    }

    pub fn quickcheck_timeout(&self) -> Duration {
        self.secs(QUICKCHECK_TIMEOUT)
    }

    pub fn lock_wait(&self) -> Duration {
        self.secs(LOCK_WAIT)
    }

    pub fn lcd_timeout(&self) -> Duration {
        self.secs(LCD_TIMEOUT)
    }

    /// `ROUTE53_API_RATE` and `ROUTE53_API_BURST`: the node's request
    /// budget, shared by every kit process on it.
    pub fn api_budget(&self) -> (u32, u32) {
        (self.count(API_RATE), self.count(API_BURST))
    }
}

/// One setting in force, for a listing (status, a field capture).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    pub key: &'static str,
    pub value: Shown,
    pub unit: &'static str,
    /// `default`, or `FILE:LINE`.
    pub source: String,
}

/// A listed value: a number, or a word (`ROUTE53_CHANGEID_POLL`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Shown {
    Number(u64),
    Word(&'static str),
}

impl fmt::Display for Listed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.value {
            Shown::Number(n) => write!(f, "{} = {n} {} ({})", self.key, self.unit, self.source),
            Shown::Word(w) => write!(f, "{} = {w} ({})", self.key, self.source),
        }
    }
}

impl Settings {
    /// Every tunable in force with its unit and where it came from, in the
    /// order the README lists them.
    pub fn listing(&self) -> Vec<Listed> {
        SPECS
            .iter()
            .map(|spec| {
                let v = self.get(*spec);
                Listed {
                    key: spec.key,
                    value: Shown::Number(v.value),
                    unit: spec.unit,
                    source: v.source.to_string(),
                }
            })
            .chain(WORD_SPECS.iter().map(|spec| {
                let (w, source) = self.word(*spec);
                Listed {
                    key: spec.key,
                    value: Shown::Word(w),
                    unit: "",
                    source: source.to_string(),
                }
            }))
            .collect()
    }
}

/// A number of tries and the pause between them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tries {
    pub count: u32,
    pub interval: Duration,
}

impl Tries {
    /// The whole budget of a change-status wait: `count` x `interval`.
    pub fn budget(&self) -> Duration {
        self.interval * self.count
    }
}

/// The value of one numeric tunable: its key, else its alias, else the
/// default; a bad value is replaced by the default with a warning.
fn numeric(
    spec: &Spec,
    last: &HashMap<&str, &Entry>,
    path: &Path,
    warnings: &mut Vec<Warning>,
) -> Value {
    let found = match last.get(spec.key) {
        Some(e) => Some((
            *e,
            Source::File {
                path: path.to_path_buf(),
                line: e.line,
            },
        )),
        None => spec
            .alias
            .and_then(|a| last.get(a).map(|e| (a, *e)))
            .map(|(alias, e)| {
                (
                    e,
                    Source::Alias {
                        key: alias,
                        path: path.to_path_buf(),
                        line: e.line,
                    },
                )
            }),
    };
    let default = Value {
        value: spec.default,
        source: Source::Default,
    };
    let Some((e, source)) = found else {
        return default;
    };
    match check(spec, &e.value) {
        Ok(value) => Value { value, source },
        Err(reason) => {
            warnings.push(Warning(format!(
                "{}:{}: {}={:?} {reason}; using the default {} {}",
                path.display(),
                e.line,
                e.key,
                short(&e.value),
                spec.default,
                spec.unit
            )));
            default
        }
    }
}

/// A word setting, and where it came from; a word it does not take is
/// replaced by the default, with a warning.
fn word_setting(
    spec: &WordSpec,
    last: &HashMap<&str, &Entry>,
    path: &Path,
    warnings: &mut Vec<Warning>,
) -> (&'static str, Source) {
    let default = spec.words[0];
    let Some(e) = last.get(spec.key) else {
        return (default, Source::Default);
    };
    let wanted = e.value.trim().to_ascii_lowercase();
    if let Some(w) = spec.words.iter().find(|w| **w == wanted) {
        let source = Source::File {
            path: path.to_path_buf(),
            line: e.line,
        };
        return (w, source);
    }
    let allowed = match spec.words {
        [a, b] => format!("neither {a} nor {b}"),
        many => format!("none of {}", many.join(", ")),
    };
    warnings.push(Warning(format!(
        "{}:{}: {}={:?} is {allowed}; using the default {default}",
        path.display(),
        e.line,
        spec.key,
        short(&e.value)
    )));
    (default, Source::Default)
}

/// A text setting: set and usable, with where it was set; an empty value
/// is unset; an unusable one is unset with a warning.
fn text_setting(
    key: &'static str,
    last: &HashMap<&str, &Entry>,
    path: &Path,
    warnings: &mut Vec<Warning>,
) -> Option<(String, Source)> {
    let e = last.get(key)?;
    let v = e.value.trim();
    if v.is_empty() {
        return None;
    }
    if let Some(why) = text_problem(key, v) {
        warnings.push(Warning(format!(
            "{}:{}: {key}={:?} {why}; ignored",
            path.display(),
            e.line,
            short(v)
        )));
        return None;
    }
    Some((
        v.to_string(),
        Source::File {
            path: path.to_path_buf(),
            line: e.line,
        },
    ))
}

/// The proxy variables the file sets: a value with a control character or
/// white space is named and ignored (it would be no URL).
fn proxies(
    last: &HashMap<&str, &Entry>,
    path: &Path,
    warnings: &mut Vec<Warning>,
) -> Vec<(&'static str, String, Source)> {
    let mut out = Vec::new();
    for key in PROXY_KEYS {
        let Some(e) = last.get(key) else { continue };
        let v = e.value.trim();
        if v.is_empty() {
            continue;
        }
        if v.chars().any(|c| c.is_control() || c == ' ') {
            warnings.push(Warning(format!(
                "{}:{}: {key}={:?} is no proxy URL (it holds white space or a control character); ignored",
                path.display(),
                e.line,
                short(&crate::text::hide_userinfo(v))
            )));
            continue;
        }
        let source = Source::File {
            path: path.to_path_buf(),
            line: e.line,
        };
        out.push((*key, v.to_string(), source));
    }
    out
}

/// `ROUTE53_` keys the kit does not know: likely misspellings.
fn unknown_keys(entries: &[Entry], path: &Path) -> Vec<Warning> {
    entries
        .iter()
        .filter(|e| {
            e.key.starts_with("ROUTE53_")
                && !WORD_SPECS.iter().any(|w| w.key == e.key)
                && !TEXT_KEYS.contains(&e.key.as_str())
                && !SPECS.iter().any(|s| s.key == e.key)
        })
        .map(|e| {
            Warning(format!(
                "{}:{}: {} is not a setting of this kit (misspelt?); ignored",
                path.display(),
                e.line,
                e.key
            ))
        })
        .collect()
}

fn check(spec: &Spec, value: &str) -> Result<u64, String> {
    let v = value.trim();
    if v.is_empty() {
        return Err("is empty".into());
    }
    if v.starts_with('-') && v[1..].chars().all(|c| c.is_ascii_digit()) && v.len() > 1 {
        return Err("is negative".into());
    }
    if !v.chars().all(|c| c.is_ascii_digit()) {
        return Err("is not a whole number".into());
    }
    let n: u64 = match v.parse() {
        Ok(n) => n,
        Err(_) => return Err(format!("is larger than the limit {}", spec.max)),
    };
    if n < spec.min {
        return Err(if spec.min == 1 {
            "must be at least 1".to_string()
        } else {
            format!("is below the minimum {}", spec.min)
        });
    }
    if n > spec.max {
        return Err(format!("is larger than the limit {}", spec.max));
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(text: &str) -> Settings {
        let (entries, problems) = parse(text.as_bytes());
        assert!(problems.is_empty(), "{problems:?}");
        Settings::from_entries(Path::new("/etc/default/LifeKeeper"), &entries)
    }

    /// What a text reads as: (key, value, line) of each assignment, with no
    /// problem allowed.
    fn read(text: &str) -> Vec<(String, String, usize)> {
        let (entries, problems) = parse(text.as_bytes());
        assert!(problems.is_empty(), "{problems:?}");
        entries
            .into_iter()
            .map(|e| (e.key, e.value, e.line))
            .collect()
    }

    #[test]
    fn shell_forms_are_understood() {
        let text = "# comment\n\n  export ROUTE53_TTL=30\nROUTE53_RECORD_INTERVAL='4'\nROUTE53_RECORD_TRY_COUNT=\"6\"   # trailing\nA=b\\ c\nB=\"x\\\"y\"\r\n";
        let got = read(text);
        let got: Vec<_> = got
            .iter()
            .map(|(k, v, l)| (k.as_str(), v.as_str(), *l))
            .collect();
        assert_eq!(
            got,
            vec![
                ("ROUTE53_TTL", "30", 3),
                ("ROUTE53_RECORD_INTERVAL", "4", 4),
                ("ROUTE53_RECORD_TRY_COUNT", "6", 5),
                ("A", "b c", 6),
                ("B", "x\"y", 7),
            ]
        );
    }

    #[test]
    fn every_malformed_line_is_reported_with_its_number() {
        let text = b"ROUTE53_TTL=5\njust words\nROUTE53_X='open\n1BAD=2\nK=v; rm -rf /\n\xff\xfe=1\nROUTE53_RECORD_TRY_COUNT=7\nROUTE53_TTL 30\nROUTE53_TTL=30 60\nA=1 | tee x\n";
        let (entries, problems) = parse(text);
        let lines: Vec<usize> = problems.iter().map(|p| p.line).collect();
        // A command that names no kit key (line 2, and `rm` after `;` on
        // line 5) is the shell's business, not a problem.
        assert_eq!(lines, vec![3, 4, 6, 8, 9, 10]);
        let got: Vec<_> = entries.iter().map(|e| (e.key.as_str(), e.line)).collect();
        assert_eq!(
            got,
            vec![
                ("ROUTE53_TTL", 1),
                ("K", 5),
                ("ROUTE53_RECORD_TRY_COUNT", 7)
            ]
        );
        assert!(
            problems[4].reason.contains("would run that as a command"),
            "{problems:?}"
        );
    }

    #[test]
    fn statements_and_declarations_are_read_as_the_shell_would() {
        let text = "ROUTE53_TTL=30; export ROUTE53_TTL\nexport PATH\nreadonly ROUTE53_RECORD_INTERVAL=4\ndeclare -x ROUTE53_RECORD_TRY_COUNT=6\ntypeset -rx A=1\nexport K1=v K2='w x'\nX=1;Y=2 ; ;\n";
        let got = read(text);
        let got: Vec<_> = got
            .iter()
            .map(|(k, v, l)| (k.as_str(), v.as_str(), *l))
            .collect();
        assert_eq!(
            got,
            vec![
                ("ROUTE53_TTL", "30", 1),
                ("ROUTE53_RECORD_INTERVAL", "4", 3),
                ("ROUTE53_RECORD_TRY_COUNT", "6", 4),
                ("A", "1", 5),
                ("K1", "v", 6),
                ("K2", "w x", 6),
                ("X", "1", 7),
                ("Y", "2", 7),
            ]
        );
        let s = settings(text);
        assert_eq!(s.ttl(), 30);
    }

    #[test]
    fn warnings_are_capped_and_values_shortened() {
        let mut text = String::new();
        for _ in 0..600 {
            text.push_str("ROUTE53_TTL 30\n");
        }
        let (entries, problems) = parse(text.as_bytes());
        assert_eq!(problems.len(), 600);
        let mut s = Settings::from_entries(Path::new("f"), &entries);
        s.warnings = problems
            .iter()
            .map(|p| Warning(format!("f:{}: {}", p.line, p.reason)))
            .collect();
        let shown = s.warnings_shown();
        assert_eq!(shown.len(), MAX_WARNINGS + 1);
        assert!(
            shown[MAX_WARNINGS].0.contains("580 more warning(s)"),
            "{shown:?}"
        );
        let s = settings(&format!("ROUTE53_TTL={}\n", "9".repeat(1 << 20)));
        assert_eq!(s.warnings.len(), 1);
        assert!(s.warnings[0].0.len() < 300, "{}", s.warnings[0].0.len());
    }

    #[test]
    fn only_a_regular_file_is_read() {
        let s = Settings::load_from(Path::new("/dev/null"));
        assert_eq!(s.warnings.len(), 1);
        assert!(
            s.warnings[0].0.contains("not a regular file"),
            "{:?}",
            s.warnings
        );
        let s = Settings::load_from(Path::new("/"));
        assert!(s.warnings[0].0.contains("folder"), "{:?}", s.warnings);
    }

    #[test]
    fn defaults_apply_when_unset() {
        let s = settings("");
        for spec in SPECS {
            assert_eq!(s.num(*spec), spec.default, "{}", spec.key);
            assert_eq!(s.get(*spec).source, Source::Default);
        }
        assert!(s.warnings.is_empty());
    }

    #[test]
    fn bad_values_fall_back_to_the_default_with_a_warning_naming_everything() {
        let s = settings(
            "ROUTE53_TTL=abc\nROUTE53_RECORD_TRY_COUNT=0\nROUTE53_CHANGEID_INTERVAL=-3\nROUTE53_CHANGEID_TRY_COUNT=99999999999999999999999\nROUTE53_RECORDCHECK_INTERVAL=\n",
        );
        assert_eq!(s.num(TTL), 10);
        assert_eq!(s.num(RECORD_TRY_COUNT), 3);
        assert_eq!(s.num(CHANGEID_INTERVAL), 20);
        assert_eq!(s.num(CHANGEID_TRY_COUNT), 5);
        assert_eq!(s.num(RECORDCHECK_INTERVAL), 2);
        assert_eq!(s.warnings.len(), 5, "{:?}", s.warnings);
        let w = &s.warnings[0].0;
        assert!(w.contains("/etc/default/LifeKeeper:1"), "{w}");
        assert!(w.contains("ROUTE53_TTL=\"abc\""), "{w}");
        assert!(w.contains("default 10"), "{w}");
        assert!(s.warnings[1].0.contains("at least 1"));
        assert!(s.warnings[2].0.contains("negative"));
        assert!(s.warnings[3].0.contains("limit"));
    }

    #[test]
    fn last_assignment_wins_and_its_line_is_the_source() {
        let s = settings("ROUTE53_TTL=30\nROUTE53_TTL=60\n");
        assert_eq!(s.num(TTL), 60);
        assert_eq!(
            s.get(TTL).source,
            Source::File {
                path: "/etc/default/LifeKeeper".into(),
                line: 2
            }
        );
    }

    #[test]
    fn awscli_timeouts_are_honoured_where_the_kit_keys_are_unset() {
        let s =
            settings("AWSCLI_CONNECT_TIMEOUT=3\nAWSCLI_READ_TIMEOUT=7\nROUTE53_READ_TIMEOUT=9\n");
        assert_eq!(s.num(CONNECT_TIMEOUT), 3);
        assert!(matches!(
            s.get(CONNECT_TIMEOUT).source,
            Source::Alias { .. }
        ));
        assert_eq!(s.num(READ_TIMEOUT), 9);
    }

    #[test]
    fn poll_mode_is_adaptive_unless_fixed_is_asked_for() {
        assert_eq!(settings("").poll_mode(), PollMode::Adaptive);
        assert_eq!(
            settings("ROUTE53_CHANGEID_POLL=Fixed\n").poll_mode(),
            PollMode::Fixed
        );
        let s = settings("ROUTE53_CHANGEID_POLL=sometimes\n");
        assert_eq!(s.poll_mode(), PollMode::Adaptive);
        assert!(s.warnings[0].0.contains("neither adaptive nor fixed"));
    }

    #[test]
    fn misspelt_kit_keys_are_named() {
        let s = settings("ROUTE53_TTLL=5\n");
        assert_eq!(s.warnings.len(), 1);
        assert!(s.warnings[0].0.contains("ROUTE53_TTLL"));
    }

    #[test]
    fn missing_file_gives_defaults_and_one_warning() {
        let s = Settings::load_from(Path::new("/nonexistent/lkroute53/defaults"));
        assert_eq!(s.num(TTL), 10);
        assert_eq!(s.warnings.len(), 1);
        assert!(s.warnings[0].0.contains("/nonexistent/lkroute53/defaults"));
    }

    mod properties {
        use super::super::*;
        use proptest::prelude::*;

        proptest! {
            /// Any bytes at all: no panic, every problem names a real line,
            /// once, in order.
            #[test]
            fn any_bytes_parse_without_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2000)) {
                let (entries, problems) = parse(&bytes);
                let lines = bytes.split(|b| *b == b'\n').count();
                let mut last = 0;
                for p in &problems {
                    prop_assert!(p.line > last && p.line <= lines);
                    last = p.line;
                }
                for e in &entries {
                    prop_assert!(e.line >= 1 && e.line <= lines);
                    prop_assert!(!problems.iter().any(|p| p.line == e.line));
                }
                let s = Settings::from_entries(Path::new("f"), &entries);
                for spec in SPECS {
                    let v = s.num(*spec);
                    prop_assert!(v >= spec.min && v <= spec.max);
                }
            }

            /// Values written the ways an operator writes them read back as
            /// written.
            #[test]
            fn quoted_values_round_trip(
                key in "[A-Z_][A-Z0-9_]{0,20}",
                value in "[ -~]{0,40}",
                style in 0..3u8,
                export in any::<bool>(),
            ) {
                let quoted = match style {
                    0 => format!("'{}'", value.replace('\'', "")),
                    1 => format!("\"{}\"", value.replace('\\', "\\\\").replace('"', "\\\"").replace('$', "\\$").replace('`', "\\`")),
                    _ => value.chars().filter(|c| c.is_ascii_alphanumeric() || "./:_-".contains(*c)).collect(),
                };
                let expected = match style {
                    0 => value.replace('\'', ""),
                    1 => value.clone(),
                    _ => quoted.clone(),
                };
                let line = format!("{}{key}={quoted}  # comment\n", if export { "export " } else { "" });
                let (entries, problems) = parse(line.as_bytes());
                prop_assert!(problems.is_empty(), "{line:?}: {problems:?}");
                prop_assert_eq!(entries.len(), 1);
                prop_assert_eq!(&entries[0].key, &key);
                prop_assert_eq!(&entries[0].value, &expected);
            }

            /// Every number in range is taken as is; every other is replaced
            /// by the default with a warning.
            #[test]
            fn numbers_are_checked_against_the_range(n in 0u64..200_000) {
                let line = format!("ROUTE53_TTL={n}\n");
                let (entries, _) = parse(line.as_bytes());
                let s = Settings::from_entries(Path::new("f"), &entries);
                if n <= TTL.max {
                    prop_assert_eq!(s.num(TTL), n);
                    prop_assert!(s.warnings.is_empty());
                } else {
                    prop_assert_eq!(s.num(TTL), TTL.default);
                    prop_assert_eq!(s.warnings.len(), 1);
                }
            }
        }
    }

    #[test]
    fn syslog_selector_is_read() {
        let s = settings("LKSYSLOGSELECTOR=local5.*\n");
        assert_eq!(s.syslog_selector.as_deref(), Some("local5.*"));
    }

    #[test]
    fn aws_settings_are_read_checked_and_named_where_unusable() {
        let s = settings(
            "ROUTE53_ROLE_ARN=arn:aws-us-gov:iam::123456789012:role/lk/route53\nROUTE53_EXTERNAL_ID=ext-1\nROUTE53_REGION=us-gov-west-1\nROUTE53_AWS_PROFILE=dns\nROUTE53_CA_BUNDLE=/etc/pki/proxy-ca.pem\n",
        );
        assert!(s.warnings.is_empty(), "{:?}", s.warnings);
        assert_eq!(
            s.aws.role_arn.as_ref().map(|(v, _)| v.as_str()),
            Some("arn:aws-us-gov:iam::123456789012:role/lk/route53")
        );
        assert_eq!(
            s.aws.region.as_ref().map(|(v, _)| v.as_str()),
            Some("us-gov-west-1")
        );
        assert_eq!(s.aws.profile.as_ref().map(|(v, _)| v.as_str()), Some("dns"));
        for (line, why) in [
            (
                "ROUTE53_ROLE_ARN=arn:aws:iam::123456789012:user/bob",
                "is not an IAM role ARN",
            ),
            (
                "ROUTE53_ROLE_ARN=arn:aws:iam::1234:role/x",
                "is not an IAM role ARN",
            ),
            ("ROUTE53_REGION=Moon", "is not a region name"),
            ("ROUTE53_REGION=eu-west", "is not a region name"),
            ("ROUTE53_ROLE_SESSION_NAME=\"a b\"", "is not a session name"),
            ("ROUTE53_EXTERNAL_ID=x", "is not an external ID"),
            ("ROUTE53_CA_BUNDLE=relative.pem", "is not an absolute path"),
        ] {
            let s = settings(&format!("{line}\n"));
            assert_eq!(s.warnings.len(), 1, "{line}: {:?}", s.warnings);
            assert!(s.warnings[0].0.contains(why), "{line}: {:?}", s.warnings);
            assert!(
                s.warnings[0].0.contains("/etc/default/LifeKeeper:1:"),
                "{:?}",
                s.warnings
            );
        }
        // Empty is unset, silently; known keys are not called misspelt.
        let s = settings("ROUTE53_ROLE_ARN=\nROUTE53_REGION=eu-west-1\n");
        assert!(s.aws.role_arn.is_none());
        assert!(s.warnings.is_empty(), "{:?}", s.warnings);
    }
}
