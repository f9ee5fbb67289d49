//! The AWS side of a node, decided once a run from the settings file and
//! the environment, never by a network lookup: the region and so the
//! partition (which fixes the signing region and the Route 53 and STS
//! endpoints), the profile and its files (found without `HOME`), the role
//! to assume, the CA bundle, and the proxies and the routes they give.
//! These are typed values: doctor and status say them in their own words.
//!
//! LifeKeeper starts actions with its own environment, which carries none
//! of the operator's shell variables: everything here can be set in
//! `/etc/default/LifeKeeper` (`ROUTE53_REGION`, `ROUTE53_AWS_PROFILE`,
//! `ROUTE53_ROLE_ARN`, `ROUTE53_EXTERNAL_ID`, `ROUTE53_ROLE_SESSION_NAME`,
//! `ROUTE53_CA_BUNDLE`), and the environment is the fallback.

use std::path::{Path, PathBuf};

use super::endpoint::{env, route53_override, sts_override, Proxies, Route};
use super::trust::{read_bundle, CaBundle};
use crate::settings::{Settings, Source};

/// An AWS partition: where Route 53's API lives and how it is signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Partition {
    /// As in ARNs: `aws`, `aws-cn`, `aws-us-gov`.
    pub name: &'static str,
    /// Route 53 is a global service: one signing region per partition.
    pub signing_region: &'static str,
    pub route53: &'static str,
    /// The DNS suffix of the partition's regional endpoints (STS).
    pub dns_suffix: &'static str,
}

pub(crate) const COMMERCIAL: Partition = Partition {
    name: "aws",
    signing_region: "us-east-1",
    route53: "https://route53.amazonaws.com",
    dns_suffix: "amazonaws.com",
};
pub(crate) const CHINA: Partition = Partition {
    name: "aws-cn",
    signing_region: "cn-northwest-1",
    route53: "https://route53.amazonaws.com.cn",
    dns_suffix: "amazonaws.com.cn",
};
pub(crate) const GOVCLOUD: Partition = Partition {
    name: "aws-us-gov",
    signing_region: "us-gov-west-1",
    route53: "https://route53.us-gov.amazonaws.com",
    dns_suffix: "amazonaws.com",
};

/// The partition of a region (the commercial one where none is known).
pub(crate) fn partition(region: Option<&str>) -> Partition {
    match region {
        Some(r) if r.starts_with("cn-") => CHINA,
        Some(r) if r.starts_with("us-gov-") => GOVCLOUD,
        _ => COMMERCIAL,
    }
}

/// Where the node's region came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RegionSource {
    Setting(Source),
    Env(&'static str),
    Profile(String),
    /// No region anywhere: the commercial partition is assumed.
    Unknown,
}

impl std::fmt::Display for RegionSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RegionSource::Setting(s) => write!(f, "ROUTE53_REGION, {s}"),
            RegionSource::Env(v) => write!(f, "the environment, {v}"),
            RegionSource::Profile(p) => write!(f, "the region of profile {p}"),
            RegionSource::Unknown => f.write_str(
                "none set (ROUTE53_REGION, AWS_REGION, the profile): the commercial partition",
            ),
        }
    }
}

/// The role every Route 53 call is made as, where one is set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Role {
    pub arn: String,
    pub external_id: Option<String>,
    pub session_name: String,
}

/// The home folder the AWS config files are found in, and how it was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Home {
    pub path: PathBuf,
    pub source: &'static str,
}

/// The home of this process: `HOME`, else the effective user's entry in
/// the password database (a daemon's environment may lack `HOME`).
pub(crate) fn home() -> Option<Home> {
    if let Some(h) = std::env::var_os("HOME").filter(|h| !h.is_empty()) {
        return Some(Home {
            path: PathBuf::from(h),
            source: "HOME",
        });
    }
    let uid = crate::lock::effective_uid()?;
    let passwd = crate::bounded::read_regular(Path::new("/etc/passwd"), 4 << 20).ok()?;
    passwd_home(&String::from_utf8_lossy(&passwd), uid).map(|path| Home {
        path,
        source: "the password database (HOME is unset)",
    })
}

/// The home folder of `uid` in a passwd(5) text.
pub(crate) fn passwd_home(passwd: &str, uid: u32) -> Option<PathBuf> {
    passwd.lines().find_map(|line| {
        let f: Vec<&str> = line.split(':').collect();
        (f.len() >= 7 && f[2].parse::<u32>().ok() == Some(uid) && f[5].starts_with('/'))
            .then(|| PathBuf::from(f[5]))
    })
}

/// The config and credentials files: `AWS_CONFIG_FILE` and
/// `AWS_SHARED_CREDENTIALS_FILE` where set (a leading `~/` is the home),
/// else `.aws/config` and `.aws/credentials` in the home.
pub(crate) fn profile_paths(home: Option<&Home>) -> (Option<PathBuf>, Option<PathBuf>) {
    let pick = |var: &str, default: &str| -> Option<PathBuf> {
        match env(var) {
            Some(v) => match (v.strip_prefix("~/"), home) {
                (Some(rest), Some(h)) => Some(h.path.join(rest)),
                _ => Some(PathBuf::from(v)),
            },
            None => home.map(|h| h.path.join(default)),
        }
    };
    (
        pick("AWS_CONFIG_FILE", ".aws/config"),
        pick("AWS_SHARED_CREDENTIALS_FILE", ".aws/credentials"),
    )
}

/// This node's name, for the default session name.
pub(crate) fn node_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "node".into())
}

/// The profile of the AWS config files to use, and who named it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Profile {
    pub name: String,
    pub named_by: String,
}

/// Everything the run decided about its AWS side.
#[derive(Debug, Clone)]
pub(crate) struct Estate {
    pub region: Option<String>,
    pub region_source: RegionSource,
    pub partition: Partition,
    pub profile: Option<Profile>,
    pub home: Option<Home>,
    pub config_file: Option<PathBuf>,
    pub credentials_file: Option<PathBuf>,
    pub role: Option<Role>,
    pub ca_bundle: Option<CaBundle>,
    pub proxies: Proxies,
    /// Where Route 53 requests go, and how.
    pub route53: Route,
    /// Where the role is assumed, and how.
    pub sts: Route,
}

impl Estate {
    /// Decide, reading the settings, the environment and (for a region
    /// not set elsewhere) the profile's config file; never the network.
    pub(crate) async fn resolve(settings: &Settings, node: &str) -> Estate {
        let home = home();
        let (config_file, credentials_file) = profile_paths(home.as_ref());
        let profile = settings
            .aws
            .profile
            .as_ref()
            .map(|(p, s)| Profile {
                name: p.clone(),
                named_by: format!("ROUTE53_AWS_PROFILE, {s}"),
            })
            .or_else(|| {
                env("AWS_PROFILE").map(|p| Profile {
                    name: p,
                    named_by: "the environment, AWS_PROFILE".into(),
                })
            });
        let (region, region_source) =
            region(settings, config_file.as_deref(), profile.as_ref()).await;
        let role = settings.aws.role_arn.as_ref().map(|(arn, _)| Role {
            arn: arn.clone(),
            external_id: settings.aws.external_id.as_ref().map(|(e, _)| e.clone()),
            session_name: settings
                .aws
                .session_name
                .as_ref()
                .map(|(n, _)| n.clone())
                .unwrap_or_else(|| session_name_for(node)),
        });
        let ca_bundle = match (&settings.aws.ca_bundle, env("AWS_CA_BUNDLE")) {
            (Some((path, s)), _) => Some(read_bundle(
                Path::new(path),
                format!("ROUTE53_CA_BUNDLE, {s}"),
            )),
            (None, Some(path)) => Some(read_bundle(
                Path::new(&path),
                "the environment, AWS_CA_BUNDLE".into(),
            )),
            (None, None) => None,
        };
        let partition = partition(region.as_deref());
        let proxies = Proxies::resolve(&settings.aws.proxies);
        let route53 = proxies.route(
            &route53_override()
                .map(|(_, v)| v)
                .unwrap_or_else(|| partition.route53.to_string()),
        );
        let sts_region = region
            .clone()
            .unwrap_or_else(|| partition.signing_region.to_string());
        let sts = proxies.route(
            &sts_override()
                .unwrap_or_else(|| format!("https://sts.{sts_region}.{}", partition.dns_suffix)),
        );
        Estate {
            partition,
            region,
            region_source,
            profile,
            home,
            config_file,
            credentials_file,
            role,
            ca_bundle,
            proxies,
            route53,
            sts,
        }
    }

    /// An estate decided without the settings and the environment: the
    /// commercial partition, the node's own credentials, no bundle and no
    /// proxy, requests to `route53` (for scripted doubles).
    #[cfg(test)]
    pub(crate) fn fixed(route53: &str) -> Estate {
        let direct = |url: &str| Route {
            url: url.to_string(),
            proxy: None,
        };
        Estate {
            region: None,
            region_source: RegionSource::Unknown,
            partition: COMMERCIAL,
            profile: None,
            home: None,
            config_file: None,
            credentials_file: None,
            role: None,
            ca_bundle: None,
            proxies: Proxies::default(),
            route53: direct(route53),
            sts: direct("https://sts.us-east-1.amazonaws.com"),
        }
    }

    /// The region STS is called in: the node's own (its regional
    /// endpoint), else the partition's signing region.
    pub(crate) fn sts_region(&self) -> String {
        self.region
            .clone()
            .unwrap_or_else(|| self.partition.signing_region.to_string())
    }

    /// The config files as the SDK reads them: the ones found here (so
    /// that a missing `HOME` does not hide them).
    #[allow(deprecated)]
    pub(crate) fn profile_files(&self) -> aws_config::profile::profile_file::ProfileFiles {
        use aws_config::profile::profile_file::{ProfileFileKind, ProfileFiles};
        let mut b = ProfileFiles::builder();
        if let Some(c) = &self.config_file {
            b = b.with_file(ProfileFileKind::Config, c);
        }
        if let Some(c) = &self.credentials_file {
            b = b.with_file(ProfileFileKind::Credentials, c);
        }
        if self.config_file.is_none() && self.credentials_file.is_none() {
            // No home and no variable naming a file: no profiles at all
            // (the SDK's builder takes no empty set of files).
            b = b.with_file(ProfileFileKind::Config, "/dev/null");
        }
        b.build()
    }
}

/// The node's region and where it came from: `ROUTE53_REGION`, the
/// environment, else the profile's `region`.
async fn region(
    settings: &Settings,
    config_file: Option<&Path>,
    profile: Option<&Profile>,
) -> (Option<String>, RegionSource) {
    if let Some((r, s)) = &settings.aws.region {
        return (Some(r.clone()), RegionSource::Setting(s.clone()));
    }
    for var in ["AWS_REGION", "AWS_DEFAULT_REGION"] {
        if let Some(r) = env(var) {
            return (Some(r), RegionSource::Env(var));
        }
    }
    let name = profile.map_or("default", |p| p.name.as_str());
    match profile_region(config_file, name).await {
        Some(r) => (Some(r), RegionSource::Profile(name.to_string())),
        None => (None, RegionSource::Unknown),
    }
}

/// The default session name: `lkroute53-NODE`, cut to STS's 64 characters
/// and to the characters it allows.
pub(crate) fn session_name_for(node: &str) -> String {
    let clean: String = node
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "=,.@-_".contains(c) {
                c
            } else {
                '-'
            }
        })
        .collect();
    let mut name = format!("lkroute53-{clean}");
    name.truncate(64);
    name
}

/// The `region` of a profile in the config file, read with the SDK's own
/// parser (no network). `ProfileFiles` is aws-config's public name of the
/// type (deprecated there in favour of aws-runtime's, a crate this one does
/// not depend on directly).
#[allow(deprecated)]
async fn profile_region(config: Option<&Path>, profile: &str) -> Option<String> {
    use aws_config::meta::region::ProvideRegion;
    use aws_config::profile::profile_file::{ProfileFileKind, ProfileFiles};
    let config = config?;
    if !config.is_file() {
        return None;
    }
    let files = ProfileFiles::builder()
        .with_file(ProfileFileKind::Config, config)
        .build();
    aws_config::profile::ProfileFileRegionProvider::builder()
        .profile_files(files)
        .profile_name(profile)
        .build()
        .region()
        .await
        .map(|r| r.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_partition_follows_the_region() {
        assert_eq!(partition(None).name, "aws");
        assert_eq!(partition(Some("eu-west-1")).name, "aws");
        assert_eq!(partition(Some("cn-north-1")), CHINA);
        assert_eq!(partition(Some("us-gov-east-1")), GOVCLOUD);
        assert_eq!(GOVCLOUD.signing_region, "us-gov-west-1");
        assert_eq!(CHINA.route53, "https://route53.amazonaws.com.cn");
    }

    #[test]
    fn the_home_is_found_in_the_password_database() {
        let passwd = "root:x:0:0:root:/root:/bin/bash\nlk:x:1001:1001::/home/lk:/bin/sh\nbad:x:7:7::relative:/bin/sh\n";
        assert_eq!(passwd_home(passwd, 0), Some(PathBuf::from("/root")));
        assert_eq!(passwd_home(passwd, 1001), Some(PathBuf::from("/home/lk")));
        assert_eq!(passwd_home(passwd, 7), None);
        assert_eq!(passwd_home(passwd, 99), None);
    }

    #[test]
    fn session_names_are_what_sts_accepts() {
        assert_eq!(session_name_for("node1"), "lkroute53-node1");
        assert_eq!(session_name_for("n 1/x"), "lkroute53-n-1-x");
        assert_eq!(session_name_for(&"a".repeat(100)).len(), 64);
    }

    #[test]
    fn signing_region_is_pinned_per_partition() {
        assert_eq!(partition(None).signing_region, "us-east-1");
        assert_eq!(partition(Some("eu-west-1")).signing_region, "us-east-1");
        assert_eq!(
            partition(Some("cn-north-1")).signing_region,
            "cn-northwest-1"
        );
        assert_eq!(
            partition(Some("us-gov-east-1")).signing_region,
            "us-gov-west-1"
        );
    }
}
