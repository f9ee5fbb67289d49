//! The AWS side of a node, decided once a run from the settings file and
//! the environment, never by a network lookup: the region and so the
//! partition (which fixes the signing region and the Route 53 and STS
//! endpoints), the profile and its files (found without `HOME`), the role
//! to assume, the trust store, and the proxy as the client uses it.
//!
//! LifeKeeper starts actions with its own environment, which carries none
//! of the operator's shell variables: everything here can be set in
//! `/etc/default/LifeKeeper` (`ROUTE53_REGION`, `ROUTE53_AWS_PROFILE`,
//! `ROUTE53_ROLE_ARN`, `ROUTE53_EXTERNAL_ID`, `ROUTE53_ROLE_SESSION_NAME`,
//! `ROUTE53_CA_BUNDLE`), and the environment is the fallback.

use std::path::{Path, PathBuf};

use crate::settings::{Settings, Source};

/// An AWS partition: where Route 53's API lives and how it is signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Partition {
    /// As in ARNs: `aws`, `aws-cn`, `aws-us-gov`.
    pub name: &'static str,
    /// Route 53 is a global service: one signing region per partition.
    pub signing_region: &'static str,
    pub route53: &'static str,
    /// The DNS suffix of the partition's regional endpoints (STS).
    pub dns_suffix: &'static str,
}

pub const COMMERCIAL: Partition = Partition {
    name: "aws",
    signing_region: "us-east-1",
    route53: "https://route53.amazonaws.com",
    dns_suffix: "amazonaws.com",
};
pub const CHINA: Partition = Partition {
    name: "aws-cn",
    signing_region: "cn-northwest-1",
    route53: "https://route53.amazonaws.com.cn",
    dns_suffix: "amazonaws.com.cn",
};
pub const GOVCLOUD: Partition = Partition {
    name: "aws-us-gov",
    signing_region: "us-gov-west-1",
    route53: "https://route53.us-gov.amazonaws.com",
    dns_suffix: "amazonaws.com",
};

/// The partition of a region (the commercial one where none is known).
pub fn partition(region: Option<&str>) -> Partition {
    match region {
        Some(r) if r.starts_with("cn-") => CHINA,
        Some(r) if r.starts_with("us-gov-") => GOVCLOUD,
        _ => COMMERCIAL,
    }
}

/// Where the node's region came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegionSource {
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
pub struct Role {
    pub arn: String,
    pub external_id: Option<String>,
    pub session_name: String,
}

/// The home folder the AWS config files are found in, and how it was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Home {
    pub path: PathBuf,
    pub source: &'static str,
}

/// The home of this process: `HOME`, else the effective user's entry in
/// the password database (a daemon's environment may lack `HOME`).
pub fn home() -> Option<Home> {
    if let Some(h) = std::env::var_os("HOME").filter(|h| !h.is_empty()) {
        return Some(Home {
            path: PathBuf::from(h),
            source: "HOME",
        });
    }
    let uid = crate::lock::effective_uid()?;
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd_home(&passwd, uid).map(|path| Home {
        path,
        source: "the password database (HOME is unset)",
    })
}

/// The home folder of `uid` in a passwd(5) text.
pub fn passwd_home(passwd: &str, uid: u32) -> Option<PathBuf> {
    passwd.lines().find_map(|line| {
        let f: Vec<&str> = line.split(':').collect();
        (f.len() >= 7 && f[2].parse::<u32>().ok() == Some(uid) && f[5].starts_with('/'))
            .then(|| PathBuf::from(f[5]))
    })
}

/// The config and credentials files: `AWS_CONFIG_FILE` and
/// `AWS_SHARED_CREDENTIALS_FILE` where set (a leading `~/` is the home),
/// else `.aws/config` and `.aws/credentials` in the home.
pub fn profile_paths(home: Option<&Home>) -> (Option<PathBuf>, Option<PathBuf>) {
    let pick = |var: &str, default: &str| -> Option<PathBuf> {
        match std::env::var(var).ok().filter(|v| !v.is_empty()) {
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

/// A PEM bundle of extra trusted certificates, checked.
#[derive(Debug, Clone)]
pub struct CaBundle {
    pub path: PathBuf,
    /// Where it was named: `ROUTE53_CA_BUNDLE (file:line)` or `AWS_CA_BUNDLE`.
    pub named_by: String,
    /// The certificates that can be trust anchors, as PEM.
    pub pem: Vec<u8>,
    pub count: usize,
    /// What was wrong with the rest, or with the file.
    pub problems: Vec<String>,
}

/// Read and check a PEM bundle: every certificate that cannot be a trust
/// anchor is named (by its place in the file) and left out, so that a bad
/// certificate is reported instead of breaking every HTTPS request.
pub fn read_bundle(path: &Path, named_by: String) -> CaBundle {
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::CertificateDer;
    let mut bundle = CaBundle {
        path: path.to_path_buf(),
        named_by,
        pem: Vec::new(),
        count: 0,
        problems: Vec::new(),
    };
    let bytes = match crate::settings::read_capped(path, 4 << 20) {
        Ok(b) => b,
        Err(why) => {
            bundle.problems.push(format!("{}: {why}", path.display()));
            return bundle;
        }
    };
    for (i, cert) in CertificateDer::pem_slice_iter(&bytes).enumerate() {
        let n = i + 1;
        match cert {
            Ok(der) => match webpki::anchor_from_trusted_cert(&der) {
                Ok(_) => {
                    bundle.count += 1;
                    bundle.pem.extend_from_slice(pem_of(&der).as_bytes());
                }
                Err(e) => bundle.problems.push(format!(
                    "{}: certificate {n} cannot be a trust anchor ({e:?}); left out",
                    path.display()
                )),
            },
            Err(e) => bundle.problems.push(format!(
                "{}: PEM block {n} is not readable ({e:?}); the rest of the file is left out",
                path.display()
            )),
        }
    }
    if bundle.count == 0 && bundle.problems.is_empty() {
        bundle.problems.push(format!(
            "{}: no PEM certificate (-----BEGIN CERTIFICATE-----) in it",
            path.display()
        ));
    }
    bundle
}

fn pem_of(der: &[u8]) -> String {
    let b64 = aws_smithy_types::base64::encode(der);
    let mut out = String::from("-----BEGIN CERTIFICATE-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(chunk));
        out.push('\n');
    }
    out.push_str("-----END CERTIFICATE-----\n");
    out
}

/// This node's name, for the default session name.
pub fn node_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "node".into())
}

/// Everything the run decided about its AWS side.
#[derive(Debug, Clone)]
pub struct Estate {
    pub region: Option<String>,
    pub region_source: RegionSource,
    pub partition: Partition,
    /// The profile of the config files to use, and who named it.
    pub profile: Option<(String, String)>,
    pub home: Option<Home>,
    pub config_file: Option<PathBuf>,
    pub credentials_file: Option<PathBuf>,
    pub role: Option<Role>,
    pub ca_bundle: Option<CaBundle>,
}

fn env(key: &str) -> Option<String> {
    std::env::var(key).ok().filter(|v| !v.trim().is_empty())
}

impl Estate {
    /// Decide, reading the settings, the environment and (for a region
    /// not set elsewhere) the profile's config file; never the network.
    pub async fn resolve(settings: &Settings, node: &str) -> Estate {
        let home = home();
        let (config_file, credentials_file) = profile_paths(home.as_ref());
        let profile = settings
            .aws
            .profile
            .as_ref()
            .map(|(p, s)| (p.clone(), format!("ROUTE53_AWS_PROFILE, {s}")))
            .or_else(|| env("AWS_PROFILE").map(|p| (p, "the environment, AWS_PROFILE".into())));
        let (region, region_source) = if let Some((r, s)) = &settings.aws.region {
            (Some(r.clone()), RegionSource::Setting(s.clone()))
        } else if let Some(r) = env("AWS_REGION") {
            (Some(r), RegionSource::Env("AWS_REGION"))
        } else if let Some(r) = env("AWS_DEFAULT_REGION") {
            (Some(r), RegionSource::Env("AWS_DEFAULT_REGION"))
        } else {
            let name = profile.as_ref().map_or("default", |(p, _)| p.as_str());
            match profile_region(config_file.as_deref(), name).await {
                Some(r) => (Some(r), RegionSource::Profile(name.to_string())),
                None => (None, RegionSource::Unknown),
            }
        };
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
        Estate {
            partition: partition(region.as_deref()),
            region,
            region_source,
            profile,
            home,
            config_file,
            credentials_file,
            role,
            ca_bundle,
        }
    }

    /// The region STS is called in: the node's own (its regional
    /// endpoint), else the partition's signing region.
    pub fn sts_region(&self) -> String {
        self.region
            .clone()
            .unwrap_or_else(|| self.partition.signing_region.to_string())
    }

    /// The STS endpoint the role is assumed at.
    pub fn sts_endpoint(&self) -> String {
        env("AWS_ENDPOINT_URL_STS")
            .or_else(|| env("AWS_ENDPOINT_URL"))
            .unwrap_or_else(|| {
                format!(
                    "https://sts.{}.{}",
                    self.sts_region(),
                    self.partition.dns_suffix
                )
            })
    }

    /// The config files as the SDK reads them: the ones found here (so
    /// that a missing `HOME` does not hide them).
    #[allow(deprecated)]
    pub fn profile_files(&self) -> aws_config::profile::profile_file::ProfileFiles {
        use aws_config::profile::profile_file::{ProfileFileKind, ProfileFiles};
        let mut b = ProfileFiles::builder();
        if let Some(c) = &self.config_file {
            b = b.with_file(ProfileFileKind::Config, c);
        }
        if let Some(c) = &self.credentials_file {
            b = b.with_file(ProfileFileKind::Credentials, c);
        }
        b.build()
    }

    /// Where the client's trust comes from, in words.
    pub fn trust_source(&self) -> String {
        let system = match env("SSL_CERT_FILE") {
            Some(f) => format!("the file SSL_CERT_FILE={f}"),
            None => "the system trust store".to_string(),
        };
        match &self.ca_bundle {
            Some(b) => format!(
                "{system}, and {} certificate(s) of {} ({})",
                b.count,
                b.path.display(),
                b.named_by
            ),
            None => system,
        }
    }
}

/// The default session name: `lkroute53-NODE`, cut to STS's 64 characters
/// and to the characters it allows.
pub fn session_name_for(node: &str) -> String {
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

/// The proxy a request to `url` goes through, as the client decides it
/// (the same environment rules: HTTPS_PROXY, HTTP_PROXY, NO_PROXY), with
/// any password hidden; None for a direct connection.
pub fn proxy_for(url: &str) -> Option<String> {
    let uri: http::Uri = url.parse().ok()?;
    let matcher = hyper_util::client::proxy::matcher::Matcher::from_env();
    matcher
        .intercept(&uri)
        .map(|i| crate::route53::hide_userinfo(&i.uri().to_string()))
}

/// How a request to `url` travels, in words.
pub fn route_of(url: &str) -> String {
    match proxy_for(url) {
        Some(p) => format!("{url} via proxy {p}"),
        None => format!("{url} (direct)"),
    }
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
    fn a_bundle_keeps_its_good_certificates_and_names_the_rest() {
        let dir = std::env::temp_dir().join(format!("lkroute53-bundle-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let empty = dir.join("empty.pem");
        std::fs::write(&empty, "nothing here\n").expect("write");
        let b = read_bundle(&empty, "test".into());
        assert_eq!(b.count, 0);
        assert!(
            b.problems[0].contains("no PEM certificate"),
            "{:?}",
            b.problems
        );
        let garbage = dir.join("garbage.pem");
        std::fs::write(
            &garbage,
            "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
        )
        .expect("write");
        let b = read_bundle(&garbage, "test".into());
        assert_eq!(b.count, 0);
        assert!(b.problems[0].contains("certificate 1"), "{:?}", b.problems);
        let missing = read_bundle(&dir.join("missing.pem"), "test".into());
        assert!(
            missing.problems[0].contains("missing.pem"),
            "{:?}",
            missing.problems
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
