//! Typed validation: every key the kit knows checked against its spec;
//! a bad value gives a warning naming the file, line, key, value and the
//! default used instead; a `ROUTE53_` key the kit does not know is named
//! as a likely misspelling.

use std::collections::HashMap;
use std::path::Path;

use super::file::Entry;
use super::specs::{
    check, text_problem, Choice, Spec, CHECK_DNS, PROXY_KEYS, SPECS, TEXT_KEYS, WORD_SPECS,
};
use super::{Chosen, Source, Value, Warning};
use crate::dns::CheckDns;
use crate::text::short;

/// The value of one numeric tunable: its key, else its alias, else the
/// default; a bad value is replaced by the default with a warning.
pub(super) fn numeric(
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

/// A word setting: one of its type's words (any case), else the default
/// with a warning naming them.
pub(super) fn choice<T: Choice>(
    last: &HashMap<&str, &Entry>,
    path: &Path,
    warnings: &mut Vec<Warning>,
) -> Chosen<T> {
    let default = Chosen {
        value: T::VALUES[0],
        source: Source::Default,
    };
    let Some(e) = last.get(T::KEY) else {
        return default;
    };
    let wanted = e.value.trim().to_ascii_lowercase();
    if let Some(i) = T::WORDS.iter().position(|w| *w == wanted) {
        return Chosen {
            value: T::VALUES[i],
            source: Source::File {
                path: path.to_path_buf(),
                line: e.line,
            },
        };
    }
    let allowed = match T::WORDS {
        [a, b] => format!("neither {a} nor {b}"),
        many => format!("none of {}", many.join(", ")),
    };
    warnings.push(Warning(format!(
        "{}:{}: {}={:?} is {allowed}; using the default {}",
        path.display(),
        e.line,
        T::KEY,
        short(&e.value),
        T::WORDS[0]
    )));
    default
}

/// A text setting: set and usable, with where it was set; an empty value
/// is unset; an unusable one is unset with a warning.
pub(super) fn text_setting(
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
pub(super) fn proxies(
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
pub(super) fn unknown_keys(entries: &[Entry], path: &Path) -> Vec<Warning> {
    entries
        .iter()
        .filter(|e| {
            e.key.starts_with("ROUTE53_")
                && !WORD_SPECS.iter().any(|w| w.key == e.key)
                && !TEXT_KEYS.contains(&e.key.as_str())
                && e.key != CHECK_DNS
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

/// `ROUTE53_CHECK_DNS`: `auto` where unset; a value that names no servers
/// is named, and `auto` used instead.
pub(super) fn check_dns(
    last: &HashMap<&str, &Entry>,
    path: &Path,
    warnings: &mut Vec<Warning>,
) -> Chosen<CheckDns> {
    let default = Chosen {
        value: CheckDns::default(),
        source: Source::Default,
    };
    let Some(e) = last.get(CHECK_DNS) else {
        return default;
    };
    match CheckDns::parse(&e.value) {
        Ok(value) => Chosen {
            value,
            source: Source::File {
                path: path.to_path_buf(),
                line: e.line,
            },
        },
        Err(why) => {
            warnings.push(Warning(format!(
                "{}:{}: {CHECK_DNS}={:?}: {why}; using the default {}",
                path.display(),
                e.line,
                short(&e.value),
                default.value
            )));
            default
        }
    }
}
