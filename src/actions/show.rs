//! The AWS side of the run in words, as doctor and status show it: one
//! line per fact, made from the typed estate. Decisions (is a role set?
//! is the CA bundle broken?) are taken on the estate, never on these lines.

use crate::aws::endpoint::{hide_userinfo, Proxies};
use crate::aws::Estate;

/// One fact about the AWS side.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct AwsLine {
    pub name: &'static str,
    pub text: String,
    /// Something is wrong with it (a CA bundle's bad certificate).
    pub problem: bool,
}

fn line(name: &'static str, text: String) -> AwsLine {
    AwsLine {
        name,
        text,
        problem: false,
    }
}

/// The partition and where it came from, profile, config files, role,
/// routes, instance metadata and trust, then the trust's problems.
pub(super) fn aws_lines(e: &Estate) -> Vec<AwsLine> {
    let path = |p: &Option<std::path::PathBuf>| {
        p.as_ref()
            .map_or("none".to_string(), |p| p.display().to_string())
    };
    let mut out = vec![
        line(
            "partition",
            format!(
                "{} (signing region {}; node region {}, from {})",
                e.partition.name,
                e.partition.signing_region,
                e.region.as_deref().unwrap_or("unknown"),
                e.region_source
            ),
        ),
        line(
            "profile",
            match &e.profile {
                Some(p) => format!("{} (from {})", p.name, p.named_by),
                None => "default".into(),
            },
        ),
        line(
            "config files",
            format!(
                "{} and {}{}",
                path(&e.config_file),
                path(&e.credentials_file),
                e.home
                    .as_ref()
                    .map(|h| format!(" (home from {})", h.source))
                    .unwrap_or_default()
            ),
        ),
        line(
            "role",
            match &e.role {
                Some(r) => format!(
                    "{} as session {}{}, assumed at {}",
                    r.arn,
                    r.session_name,
                    if r.external_id.is_some() {
                        " with an external ID"
                    } else {
                        ""
                    },
                    e.sts
                ),
                None => "none (the node's own credentials)".into(),
            },
        ),
        AwsLine {
            problem: !e.proxies.refused.is_empty(),
            ..line("proxies", proxies(&e.proxies))
        },
        line("route 53", e.route53.to_string()),
        line(
            "metadata",
            "instance metadata is reached directly, never through a proxy".into(),
        ),
        line("trust", trust(e)),
    ];
    let system = &crate::aws::trust::system().problems;
    let bundle = e.ca_bundle.iter().flat_map(|b| b.problems.iter());
    out.extend(system.iter().chain(bundle).map(|p| AwsLine {
        name: "trust",
        text: crate::text::printable(p),
        problem: true,
    }));
    out
}

/// The proxy settings in force, each with where it was set (the
/// environment wins over the defaults file), passwords hidden.
pub(super) fn proxies(p: &Proxies) -> String {
    let shown: Vec<String> = [
        ("HTTPS", &p.https),
        ("HTTP", &p.http),
        ("no proxy", &p.no_proxy),
    ]
    .into_iter()
    .filter_map(|(what, s)| {
        s.as_ref().map(|s| {
            format!(
                "{what} {} (from {})",
                hide_userinfo(&crate::text::printable(&s.value)),
                s.source
            )
        })
    })
    .chain(p.refused.iter().map(|(source, why)| {
        format!("refused: the setting of {source} is no usable proxy URL ({why}); requests go without it")
    }))
    .collect();
    if shown.is_empty() {
        "none set (in the environment or the defaults file)".into()
    } else {
        shown.join("; ")
    }
}

/// Where the HTTPS client's trust comes from, in words.
pub(super) fn trust(e: &Estate) -> String {
    let system = crate::aws::trust::system().describe();
    match &e.ca_bundle {
        Some(b) => format!(
            "{system}, and {} certificate(s) of {} ({})",
            b.count,
            b.path.display(),
            b.named_by
        ),
        None => system,
    }
}
