//! The `ROUTE53_*` tunables from `/etc/default/LifeKeeper`, read anew on
//! every run.
//!
//! Two steps, as the file is shared with the rest of LifeKeeper: [`parse`]
//! (`file`) knows shell syntax only and reports every line it cannot read,
//! with its number; [`Settings::from_entries`] knows the kit's keys
//! (`specs`), fills defaults and says which value it used in place of a
//! bad one (`validate`). Nothing here is ever fatal: a broken file costs
//! warnings, never a failover.

mod file;
mod specs;
mod validate;

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub use self::file::parse;
use self::file::{read_file, Entry};
pub use self::specs::SPECS;
pub(crate) use self::specs::*;
use self::validate::{check_dns, choice, numeric, proxies, text_setting, unknown_keys};
use crate::dns::CheckDns;

/// Where LifeKeeper keeps its tunables.
pub(crate) const DEFAULTS_FILE: &str = "/etc/default/LifeKeeper";
/// Names another defaults file, for trials and tests.
pub(crate) const DEFAULTS_FILE_ENV: &str = "LK_DEFAULTS_FILE";

/// At most this many warnings about the settings file are logged a run.
pub(crate) const MAX_WARNINGS: usize = 20;

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
    /// Given by the cluster manager: a parameter of a Pacemaker resource.
    Parameter(&'static str),
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Default => f.write_str("default"),
            Source::File { path, line } => write!(f, "{}:{line}", path.display()),
            Source::Alias { key, path, line } => write!(f, "{}:{line} ({key})", path.display()),
            Source::Parameter(name) => write!(f, "parameter {name}"),
        }
    }
}

/// A value in force, with its origin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Value {
    pub value: u64,
    pub source: Source,
}

/// A warning about the settings file, ready to log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning(pub String);

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A word setting in force, and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Chosen<T> {
    pub value: T,
    pub source: Source,
}

/// The word settings in force.
#[derive(Debug, Clone)]
pub(crate) struct Choices {
    pub poll: Chosen<PollMode>,
    pub not_insync: Chosen<NotInSync>,
    pub sendevent: Chosen<SendEvent>,
}

impl Choices {
    fn read(last: &HashMap<&str, &Entry>, path: &Path, warnings: &mut Vec<Warning>) -> Choices {
        Choices {
            poll: choice(last, path, warnings),
            not_insync: choice(last, path, warnings),
            sendevent: choice(last, path, warnings),
        }
    }

    /// Each as listed: key, word, where it came from.
    fn listed(&self) -> [(&'static str, &'static str, &Source); 3] {
        [
            (PollMode::KEY, self.poll.value.word(), &self.poll.source),
            (
                NotInSync::KEY,
                self.not_insync.value.word(),
                &self.not_insync.source,
            ),
            (
                SendEvent::KEY,
                self.sendevent.value.word(),
                &self.sendevent.source,
            ),
        ]
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

/// The tunables in force for this run.
#[derive(Debug, Clone)]
pub struct Settings {
    pub path: PathBuf,
    values: HashMap<&'static str, Value>,
    /// The word settings in force, and where each came from.
    pub(crate) choices: Choices,
    /// The AWS side: role, profile, region, CA bundle.
    pub aws: AwsSettings,
    /// The DNS servers quickCheck asks first.
    pub(crate) check_dns: Chosen<CheckDns>,
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
        let choices = Choices::read(&last, path, &mut warnings);
        let check_dns = check_dns(&last, path, &mut warnings);
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
            choices,
            aws,
            check_dns,
            syslog_selector: last.get("LKSYSLOGSELECTOR").map(|e| e.value.clone()),
            warnings,
        }
    }

    /// A value the cluster manager gives for `key` (a Pacemaker
    /// parameter `name`), checked as the file's values are; it stands over
    /// the file's. Why it cannot be used, where it cannot.
    pub(crate) fn set_parameter(
        &mut self,
        key: &'static str,
        name: &'static str,
        value: &str,
    ) -> Result<(), String> {
        let source = Source::Parameter(name);
        if let Some(spec) = SPECS.iter().find(|s| s.key == key) {
            let n = check(spec, value).map_err(|why| {
                format!(
                    "parameter {name}={:?} {why} ({} to {} {})",
                    crate::text::short(value),
                    spec.min,
                    spec.max,
                    spec.unit
                )
            })?;
            self.values.insert(spec.key, Value { value: n, source });
            return Ok(());
        }
        let v = value.trim();
        if let Some(why) = text_problem(key, v) {
            return Err(format!(
                "parameter {name}={:?} {why}",
                crate::text::short(v)
            ));
        }
        let slot = match key {
            ROLE_ARN => &mut self.aws.role_arn,
            EXTERNAL_ID => &mut self.aws.external_id,
            ROLE_SESSION_NAME => &mut self.aws.session_name,
            AWS_PROFILE => &mut self.aws.profile,
            REGION => &mut self.aws.region,
            CA_BUNDLE => &mut self.aws.ca_bundle,
            _ => return Err(format!("parameter {name}: no setting {key}")),
        };
        *slot = Some((v.to_string(), source));
        Ok(())
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

    pub fn connect_timeout(&self) -> Duration {
        self.secs(CONNECT_TIMEOUT)
    }

    pub fn read_timeout(&self) -> Duration {
        self.secs(READ_TIMEOUT)
    }

    pub fn check_dns_timeout(&self) -> Duration {
        self.secs(CHECK_DNS_TIMEOUT)
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
    /// A setting's own text (`ROUTE53_CHECK_DNS`).
    Text(String),
}

impl fmt::Display for Listed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.value {
            Shown::Number(n) => write!(f, "{} = {n} {} ({})", self.key, self.unit, self.source),
            Shown::Word(w) => write!(f, "{} = {w} ({})", self.key, self.source),
            Shown::Text(t) => write!(f, "{} = {t} ({})", self.key, self.source),
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
            .chain(
                self.choices
                    .listed()
                    .into_iter()
                    .map(|(key, word, source)| Listed {
                        key,
                        value: Shown::Word(word),
                        unit: "",
                        source: source.to_string(),
                    }),
            )
            .chain([Listed {
                key: CHECK_DNS,
                value: Shown::Text(self.check_dns.value.to_string()),
                unit: "",
                source: self.check_dns.source.to_string(),
            }])
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

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(text: &str) -> Settings {
        let (entries, problems) = parse(text.as_bytes());
        assert!(problems.is_empty(), "{problems:?}");
        Settings::from_entries(Path::new("/etc/default/LifeKeeper"), &entries)
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
        assert_eq!(settings("").choices.poll.value, PollMode::Adaptive);
        assert_eq!(
            settings("ROUTE53_CHANGEID_POLL=Fixed\n").choices.poll.value,
            PollMode::Fixed
        );
        let s = settings("ROUTE53_CHANGEID_POLL=sometimes\n");
        assert_eq!(s.choices.poll.value, PollMode::Adaptive);
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

    #[test]
    fn an_assignment_among_statements_is_in_force() {
        let s = settings("ROUTE53_TTL=30; export ROUTE53_TTL\n");
        assert_eq!(s.ttl(), 30);
    }
}
