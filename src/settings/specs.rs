//! The kit's keys of the defaults file, each decided once: every tunable
//! with its default, unit and range; every word setting as a type of its
//! own; the AWS text settings and what makes a value unusable; the proxy
//! variables the file may set. The README's tables are tested against
//! these (`the_readme_settings_table_is_the_code_s`).

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
        $(pub(crate) const $name: Spec = Spec { key: $key, default: $default, min: $min, max: $max, unit: $unit, alias: $alias };)*
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
    CHECK_DNS_TIMEOUT = "ROUTE53_CHECK_DNS_TIMEOUT", 1, 1..=30, "s", None;
    LOCK_WAIT = "ROUTE53_LOCK_WAIT", 300, 0..=3600, "s", None;
    LCD_TIMEOUT = "ROUTE53_LCD_TIMEOUT", 30, 1..=600, "s", None;
    API_RATE = "ROUTE53_API_RATE", 8, 1..=1000, "requests/s", None;
    API_BURST = "ROUTE53_API_BURST", 20, 1..=1000, "requests", None;
}

/// A setting that takes one of a few words, read once into its type: the
/// code matches on the type, so a word no code handles cannot be added.
pub(crate) trait Choice: Copy + PartialEq + 'static {
    const KEY: &'static str;
    /// Every value, the default first; and the word of each, in order.
    const VALUES: &'static [Self];
    const WORDS: &'static [&'static str];

    /// The word of a value, as the file spells it.
    fn word(self) -> &'static str {
        Self::VALUES
            .iter()
            .position(|v| *v == self)
            .map_or("?", |i| Self::WORDS[i])
    }
}

/// A word setting as a table row: its key and words, the default first.
#[derive(Debug, Clone, Copy)]
#[cfg_attr(not(test), allow(dead_code))]
pub(crate) struct WordSpec {
    pub key: &'static str,
    pub words: &'static [&'static str],
}

impl WordSpec {
    const fn of<T: Choice>() -> WordSpec {
        WordSpec {
            key: T::KEY,
            words: T::WORDS,
        }
    }
}

/// `ROUTE53_CHANGEID_POLL`: how the INSYNC checks are spread over the
/// budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PollMode {
    Adaptive,
    Fixed,
}

impl Choice for PollMode {
    const KEY: &'static str = "ROUTE53_CHANGEID_POLL";
    const VALUES: &'static [Self] = &[PollMode::Adaptive, PollMode::Fixed];
    const WORDS: &'static [&'static str] = &["adaptive", "fixed"];
}

/// `ROUTE53_NOT_INSYNC`: what restore does with a change accepted but not
/// reported INSYNC within the status-check budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NotInSync {
    /// Fail the restore (exit 5).
    Fail,
    /// Warn, and succeed where a read shows the record holding the address.
    Warn,
}

impl Choice for NotInSync {
    const KEY: &'static str = "ROUTE53_NOT_INSYNC";
    const VALUES: &'static [Self] = &[NotInSync::Fail, NotInSync::Warn];
    const WORDS: &'static [&'static str] = &["fail", "warn"];
}

/// `ROUTE53_SENDEVENT`: what quickCheck names as `-n` when it tells
/// LifeKeeper's sendevent of a record gone wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SendEvent {
    /// The resource's ID.
    Id,
    /// The resource's tag.
    Tag,
    /// No event: LifeKeeper recovers from quickCheck's exit status alone.
    Off,
}

impl Choice for SendEvent {
    const KEY: &'static str = "ROUTE53_SENDEVENT";
    const VALUES: &'static [Self] = &[SendEvent::Id, SendEvent::Tag, SendEvent::Off];
    const WORDS: &'static [&'static str] = &["id", "tag", "off"];
}

/// Every word setting, in the order the README lists them.
pub(crate) const WORD_SPECS: &[WordSpec] = &[
    WordSpec::of::<PollMode>(),
    WordSpec::of::<NotInSync>(),
    WordSpec::of::<SendEvent>(),
];

/// The proxy variables the file may set, as LifeKeeper's own kits load it
/// into their environment.
pub(crate) const PROXY_KEYS: &[&str] = &[
    "HTTPS_PROXY",
    "https_proxy",
    "HTTP_PROXY",
    "http_proxy",
    "NO_PROXY",
    "no_proxy",
];

/// `ROUTE53_CHECK_DNS`: the DNS servers quickCheck asks first
/// ([`crate::dns::CheckDns`]).
pub(crate) const CHECK_DNS: &str = "ROUTE53_CHECK_DNS";

pub(crate) const ROLE_ARN: &str = "ROUTE53_ROLE_ARN";

pub(crate) const EXTERNAL_ID: &str = "ROUTE53_EXTERNAL_ID";

pub(crate) const ROLE_SESSION_NAME: &str = "ROUTE53_ROLE_SESSION_NAME";

pub(crate) const AWS_PROFILE: &str = "ROUTE53_AWS_PROFILE";

pub(crate) const REGION: &str = "ROUTE53_REGION";

pub(crate) const CA_BUNDLE: &str = "ROUTE53_CA_BUNDLE";

/// The text-valued settings, in the order the README lists them.
pub(crate) const TEXT_KEYS: &[&str] = &[
    ROLE_ARN,
    EXTERNAL_ID,
    ROLE_SESSION_NAME,
    AWS_PROFILE,
    REGION,
    CA_BUNDLE,
];

/// Why a text setting's value cannot be used, where it cannot.
pub(crate) fn text_problem(key: &str, v: &str) -> Option<&'static str> {
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

pub(super) fn check(spec: &Spec, value: &str) -> Result<u64, String> {
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

    /// The README's settings table, row by row: every tunable's key, default,
    /// unit and range, and every word setting's default and words, as the
    /// code decides them; no row the code does not know.
    #[test]
    fn the_readme_settings_table_is_the_code_s() {
        let rows = crate::readme::table("Settings");
        let mut seen = Vec::new();
        for row in &rows {
            let key = row[0].trim_matches('`');
            seen.push(key.to_string());
            if let Some(spec) = SPECS.iter().find(|s| s.key == key) {
                assert_eq!(
                    (row[1].as_str(), row[2].as_str(), row[3].as_str()),
                    (
                        spec.default.to_string().as_str(),
                        spec.unit,
                        format!("{}-{}", spec.min, spec.max).as_str()
                    ),
                    "README row of {key}"
                );
            } else if let Some(spec) = WORD_SPECS.iter().find(|s| s.key == key) {
                let words: Vec<String> = spec.words.iter().map(|w| format!("`{w}`")).collect();
                assert_eq!(row[1], words[0], "README default of {key}");
                assert_eq!(row[3], words.join(", "), "README words of {key}");
            } else if key == CHECK_DNS {
                assert_eq!(row[1], format!("`{}`", crate::dns::CheckDns::default()));
            } else {
                assert_eq!(
                    key, "LKSYSLOGSELECTOR",
                    "a README row the code does not know"
                );
            }
        }
        for key in SPECS
            .iter()
            .map(|s| s.key)
            .chain(WORD_SPECS.iter().map(|s| s.key))
            .chain([CHECK_DNS])
        {
            assert!(seen.iter().any(|k| k == key), "{key} has no README row");
        }
        // The AWS settings.
        let aws: Vec<String> = crate::readme::table("AWS setup")
            .iter()
            .map(|r| r[0].trim_matches('`').to_string())
            .collect();
        assert_eq!(aws, TEXT_KEYS);
    }
}
