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
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Where LifeKeeper keeps its tunables.
pub const DEFAULTS_FILE: &str = "/etc/default/LifeKeeper";
/// Names another defaults file, for trials and tests.
pub const DEFAULTS_FILE_ENV: &str = "LK_DEFAULTS_FILE";
/// The file is read up to this size; the rest is ignored with a warning.
pub const MAX_FILE_BYTES: u64 = 1 << 20;

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

/// Split shell-style text into assignments and problems. Comments, blank
/// lines, `export`, single and double quotes and trailing comments are
/// understood; `$` is not expanded (no kit setting needs it).
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
            Ok(Some((key, value))) => entries.push(Entry { key, value, line }),
            Ok(None) => {}
            Err(reason) => problems.push(LineProblem { line, reason }),
        }
    }
    (entries, problems)
}

fn parse_line(text: &str) -> Result<Option<(String, String)>, String> {
    let t = text.trim_start_matches([' ', '\t']);
    if t.is_empty() || t.starts_with('#') {
        return Ok(None);
    }
    if t.contains('\0') {
        return Err("contains a NUL byte".into());
    }
    let t = match t.strip_prefix("export") {
        Some(rest) if rest.starts_with([' ', '\t']) => rest.trim_start_matches([' ', '\t']),
        _ => t,
    };
    let eq = t
        .find('=')
        .ok_or_else(|| "not a KEY=value assignment".to_string())?;
    let key = &t[..eq];
    if !is_name(key) {
        return Err(format!("{key:?} is not a valid variable name"));
    }
    let value = parse_word(&t[eq + 1..])?;
    Ok(Some((key.to_string(), value)))
}

fn is_name(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c == '_' || c.is_ascii_alphabetic())
        && chars.all(|c| c == '_' || c.is_ascii_alphanumeric())
}

/// One shell word: unquoted text, '...' and "..." pieces run together, ended
/// by unquoted white space, after which only a comment may follow.
fn parse_word(s: &str) -> Result<String, String> {
    let mut out = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' => loop {
                match chars.next() {
                    Some('\'') => break,
                    Some(c) => out.push(c),
                    None => return Err("unterminated single quote".into()),
                }
            },
            '"' => loop {
                match chars.next() {
                    Some('"') => break,
                    Some('\\') => match chars.next() {
                        Some(c @ ('"' | '\\' | '$' | '`')) => out.push(c),
                        Some(c) => {
                            out.push('\\');
                            out.push(c);
                        }
                        None => return Err("unterminated double quote".into()),
                    },
                    Some(c) => out.push(c),
                    None => return Err("unterminated double quote".into()),
                }
            },
            '\\' => match chars.next() {
                Some(c) => out.push(c),
                None => {
                    return Err(
                        "line ends in a backslash (continued lines are not supported)".into(),
                    )
                }
            },
            ' ' | '\t' => {
                let rest = chars.as_str().trim_start_matches([' ', '\t']);
                if rest.is_empty() || rest.starts_with('#') {
                    return Ok(out);
                }
                return Err(format!("unexpected text after the value: {rest:?}"));
            }
            ';' | '&' | '|' | '<' | '>' | '(' | ')' | '`' => {
                return Err(format!("shell syntax {c:?} is not supported here"));
            }
            c => out.push(c),
        }
    }
    Ok(out)
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

pub const CHANGEID_POLL: &str = "ROUTE53_CHANGEID_POLL";

impl PollMode {
    pub fn name(self) -> &'static str {
        match self {
            PollMode::Adaptive => "adaptive",
            PollMode::Fixed => "fixed",
        }
    }
}

/// The tunables in force for this run.
#[derive(Debug, Clone)]
pub struct Settings {
    pub path: PathBuf,
    values: HashMap<&'static str, Value>,
    /// `ROUTE53_CHANGEID_POLL` and where it came from.
    pub poll: (PollMode, Source),
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
        let mut warnings = Vec::new();
        let bytes = match std::fs::File::open(path) {
            Ok(file) => {
                let mut buf = Vec::new();
                match file.take(MAX_FILE_BYTES + 1).read_to_end(&mut buf) {
                    Ok(_) => {
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
                        buf
                    }
                    Err(e) => {
                        warnings.push(Warning(format!(
                            "{}: cannot read ({e}); using the default of every ROUTE53_* setting",
                            path.display()
                        )));
                        Vec::new()
                    }
                }
            }
            Err(e) => {
                warnings.push(Warning(format!(
                    "{}: cannot open ({e}); using the default of every ROUTE53_* setting",
                    path.display()
                )));
                Vec::new()
            }
        };
        let (entries, problems) = parse(&bytes);
        let mut settings = Settings::from_entries(path, &entries);
        let mut all = warnings;
        all.extend(problems.iter().map(|p| {
            Warning(format!(
                "{}:{}: line ignored: {}",
                path.display(),
                p.line,
                p.reason
            ))
        }));
        all.append(&mut settings.warnings);
        settings.warnings = all;
        settings
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
        let poll = poll_mode(&last, path, &mut warnings);
        warnings.extend(unknown_keys(entries, path));
        Settings {
            path: path.to_path_buf(),
            values,
            poll,
            syslog_selector: last.get("LKSYSLOGSELECTOR").map(|e| e.value.clone()),
            warnings,
        }
    }

    /// The value in force for `spec`, with its origin.
    pub fn get(&self, spec: Spec) -> &Value {
        // Every spec is inserted by from_entries.
        &self.values[spec.key]
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

    pub fn poll_mode(&self) -> PollMode {
        self.poll.0
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
                e.value,
                spec.default,
                spec.unit
            )));
            default
        }
    }
}

/// `ROUTE53_CHANGEID_POLL`, and where it came from.
fn poll_mode(
    last: &HashMap<&str, &Entry>,
    path: &Path,
    warnings: &mut Vec<Warning>,
) -> (PollMode, Source) {
    let Some(e) = last.get(CHANGEID_POLL) else {
        return (PollMode::Adaptive, Source::Default);
    };
    let source = Source::File {
        path: path.to_path_buf(),
        line: e.line,
    };
    match e.value.trim().to_ascii_lowercase().as_str() {
        "adaptive" => (PollMode::Adaptive, source),
        "fixed" => (PollMode::Fixed, source),
        _ => {
            warnings.push(Warning(format!(
                "{}:{}: {CHANGEID_POLL}={:?} is neither adaptive nor fixed; using the default adaptive",
                path.display(),
                e.line,
                e.value
            )));
            (PollMode::Adaptive, Source::Default)
        }
    }
}

/// `ROUTE53_` keys the kit does not know: likely misspellings.
fn unknown_keys(entries: &[Entry], path: &Path) -> Vec<Warning> {
    entries
        .iter()
        .filter(|e| {
            e.key.starts_with("ROUTE53_")
                && e.key != CHANGEID_POLL
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

    #[test]
    fn shell_forms_are_understood() {
        let text = "# comment\n\n  export ROUTE53_TTL=30\nROUTE53_RECORD_INTERVAL='4'\nROUTE53_RECORD_TRY_COUNT=\"6\"   # trailing\nA=b\\ c\nB=\"x\\\"y\"\r\n";
        let (entries, problems) = parse(text.as_bytes());
        assert!(problems.is_empty(), "{problems:?}");
        let got: Vec<_> = entries
            .iter()
            .map(|e| (e.key.as_str(), e.value.as_str(), e.line))
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
        let text = b"ROUTE53_TTL=5\njust words\nROUTE53_X='open\n1BAD=2\nK=v; rm -rf /\n\xff\xfe=1\nROUTE53_RECORD_TRY_COUNT=7\n";
        let (entries, problems) = parse(text);
        let lines: Vec<usize> = problems.iter().map(|p| p.line).collect();
        assert_eq!(lines, vec![2, 3, 4, 5, 6]);
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[1].line, 7);
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
        assert_eq!(settings("").poll.0, PollMode::Adaptive);
        assert_eq!(
            settings("ROUTE53_CHANGEID_POLL=Fixed\n").poll.0,
            PollMode::Fixed
        );
        let s = settings("ROUTE53_CHANGEID_POLL=sometimes\n");
        assert_eq!(s.poll.0, PollMode::Adaptive);
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
}
