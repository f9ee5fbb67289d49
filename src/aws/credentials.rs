//! Credentials the kit can trust to end and to be whole:
//!
//! - a profile's `credential_process` is run by the kit itself: without a
//!   shell (its words split as the shell splits them, quotes honoured;
//!   shell syntax such as `|` or `$` refused by name), within the attempt's
//!   time limit, its output read up to [`MAX_PROCESS_OUTPUT`], and stopped
//!   with everything it started at the end of the run where its time ran
//!   out (the SDK's own provider runs `sh -c` and reads without a bound);
//! - every set of credentials is checked before a request is signed with
//!   it ([`Checked`]): an answer cut short (an AssumeRole answer that ends
//!   inside `<AccessKeyId>`) is an error naming its source, never a key;
//! - which credential failures another try can mend is decided where
//!   every error is classified (`classify::transient`).

use std::collections::HashMap;
use std::path::Path;

use std::time::{Duration, SystemTime};

use crate::child::ChildError;
use aws_credential_types::provider::error::CredentialsError;
use aws_credential_types::provider::{future, ProvideCredentials, SharedCredentialsProvider};
use aws_credential_types::Credentials;

/// A credential process prints a few hundred bytes of JSON.
pub(crate) const MAX_PROCESS_OUTPUT: u64 = 64 << 10;
/// The AWS config and credentials files are read up to this size.
const MAX_PROFILE_FILE: u64 = 1 << 20;

/// Credentials that are not whole: the source and what is missing.
#[derive(Debug, thiserror::Error)]
#[error("{source_name} gave credentials that are not whole ({what}); they are not used")]
pub(crate) struct Malformed {
    pub source_name: String,
    pub what: String,
}

/// A credential process that failed, in words.
#[derive(Debug, thiserror::Error)]
#[error("credential_process of profile {profile}: {detail}")]
pub(crate) struct ProcessFailed {
    pub profile: String,
    pub detail: String,
}

/// What a set of credentials must hold besides a key and its secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Expect {
    /// STS's: a session token and an expiry too.
    Temporary,
    /// Whatever the source gives (a profile may hold a lasting key).
    AnyKind,
}

/// Checks the credentials its inner provider gives before they are used.
#[derive(Debug)]
pub(crate) struct Checked {
    inner: SharedCredentialsProvider,
    /// Where they come from, for messages: "STS AssumeRole of ROLE at URL".
    source_name: String,
    expect: Expect,
}

impl Checked {
    pub(crate) fn new(
        inner: SharedCredentialsProvider,
        source_name: String,
        expect: Expect,
    ) -> Checked {
        Checked {
            inner,
            source_name,
            expect,
        }
    }
}

/// What is missing from a set of credentials, if anything.
pub(crate) fn incomplete(c: &Credentials, expect: Expect) -> Option<String> {
    let key = c.access_key_id();
    if key.is_empty() {
        return Some("no AccessKeyId".into());
    }
    if !key.chars().all(|ch| ch.is_ascii_alphanumeric()) {
        return Some(format!(
            "the AccessKeyId holds characters no key ID holds ({} characters)",
            key.len()
        ));
    }
    if c.secret_access_key().is_empty() {
        return Some("no SecretAccessKey".into());
    }
    if expect == Expect::Temporary {
        if key.len() < 16 {
            return Some(format!(
                "an AccessKeyId of {} characters, where STS gives 16 or more",
                key.len()
            ));
        }
        if c.session_token().is_none_or(str::is_empty) {
            return Some("no SessionToken".into());
        }
        if c.expiry().is_none() {
            return Some("no Expiration".into());
        }
    }
    None
}

impl ProvideCredentials for Checked {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        future::ProvideCredentials::new(async move {
            let c = self.inner.provide_credentials().await?;
            match incomplete(&c, self.expect) {
                None => Ok(c),
                Some(what) => Err(CredentialsError::provider_error(Malformed {
                    source_name: self.source_name.clone(),
                    what,
                })),
            }
        })
    }
}

/// The keys of one profile, from the credentials file (`[NAME]`) and the
/// config file (`[profile NAME]`, or `[default]`), the credentials file
/// first. Each file read bounded; comments and continuation lines skipped.
pub(crate) fn profile_keys(
    config: Option<&Path>,
    credentials: Option<&Path>,
    name: &str,
) -> HashMap<String, String> {
    let mut keys = HashMap::new();
    let config_header = if name == "default" {
        "default".to_string()
    } else {
        format!("profile {name}")
    };
    for (file, header) in [(credentials, name.to_string()), (config, config_header)] {
        let Some(file) = file else { continue };
        let Ok(bytes) = crate::bounded::read_whole(file, MAX_PROFILE_FILE) else {
            continue;
        };
        let text = String::from_utf8_lossy(&bytes);
        let mut inside = false;
        for line in text.lines() {
            let t = line.trim();
            if t.starts_with('#') || t.starts_with(';') || t.is_empty() {
                continue;
            }
            if let Some(h) = t.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
                let h = h.split_whitespace().collect::<Vec<_>>().join(" ");
                inside = h == header || (name == "default" && h == "profile default");
                continue;
            }
            // A continuation line (indented) belongs to a sub-section.
            if !inside || line.starts_with([' ', '\t']) {
                continue;
            }
            if let Some((k, v)) = t.split_once('=') {
                keys.entry(k.trim().to_ascii_lowercase())
                    .or_insert_with(|| v.trim().to_string());
            }
        }
    }
    keys
}

/// A profile's credential_process, run by the kit.
#[derive(Debug)]
pub(crate) struct Process {
    profile: String,
    line: String,
    limit: Duration,
}

impl Process {
    pub(crate) fn new(profile: &str, line: &str, limit: Duration) -> Process {
        Process {
            profile: profile.to_string(),
            line: line.to_string(),
            limit,
        }
    }

    fn fail(&self, detail: String) -> CredentialsError {
        CredentialsError::provider_error(ProcessFailed {
            profile: self.profile.clone(),
            detail,
        })
    }

    async fn run(&self) -> Result<Credentials, CredentialsError> {
        let words = crate::shell::command_words(&self.line).map_err(|why| {
            self.fail(format!(
                "{:?} cannot be run without a shell: {why}; put the command in a script and name the script",
                crate::text::short(&self.line)
            ))
        })?;
        let mut cmd = tokio::process::Command::new(&words[0]);
        cmd.args(&words[1..]);
        let limits = crate::child::Limits {
            time: self.limit,
            stdout: MAX_PROCESS_OUTPUT as usize,
            stderr: 4096,
        };
        let finished = match crate::child::run(&mut cmd, &words[0], limits).await {
            Ok(f) => f,
            Err(ChildError::Spawn(e)) => {
                return Err(self.fail(format!("cannot run {}: {e}", words[0])))
            }
            Err(ChildError::Timeout) => {
                return Err(self.fail(format!(
                    "did not finish within {} s and was stopped",
                    self.limit.as_secs()
                )))
            }
            Err(ChildError::TooMuch) => {
                return Err(self.fail(format!(
                    "printed more than {} KiB, more than credentials take; stopped",
                    MAX_PROCESS_OUTPUT >> 10
                )))
            }
        };
        if finished.code != Some(0) {
            return Err(self.fail(format!(
                "exited with {}: {}",
                finished.status,
                crate::lcd::parse::clean(&finished.stderr)
            )));
        }
        parse_process_output(&finished.stdout).map_err(|why| self.fail(why))
    }
}
impl ProvideCredentials for Process {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        future::ProvideCredentials::new(self.run())
    }
}

/// The JSON a credential process prints (Version 1).
pub(crate) fn parse_process_output(out: &[u8]) -> Result<Credentials, String> {
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct Output {
        version: u32,
        access_key_id: String,
        secret_access_key: String,
        session_token: Option<String>,
        expiration: Option<String>,
    }
    let o: Output = serde_json::from_slice(out).map_err(|e| {
        format!(
            "its output is not the credentials JSON (Version, AccessKeyId, SecretAccessKey): {e}"
        )
    })?;
    if o.version != 1 {
        return Err(format!(
            "its output has Version {}, where 1 is known",
            o.version
        ));
    }
    let expiry = match &o.expiration {
        None => None,
        Some(t) => Some(
            aws_smithy_types::DateTime::from_str(t, aws_smithy_types::date_time::Format::DateTime)
                .ok()
                .and_then(|d| SystemTime::try_from(d).ok())
                .ok_or_else(|| {
                    format!(
                        "its Expiration {:?} is not an RFC 3339 time",
                        crate::text::short(t)
                    )
                })?,
        ),
    };
    let mut c = Credentials::new(
        o.access_key_id,
        o.secret_access_key,
        o.session_token.filter(|t| !t.is_empty()),
        expiry,
        "CredentialProcess",
    );
    // So that doctor names the source as it names the SDK's.
    use aws_credential_types::credential_feature::AwsCredentialFeature;
    c.get_property_mut_or_default::<Vec<AwsCredentialFeature>>()
        .push(AwsCredentialFeature::CredentialsProfileProcess);
    Ok(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_process_json_is_read_strictly() {
        let c = parse_process_output(
            br#"{"Version": 1, "AccessKeyId": "AKIDEXAMPLE", "SecretAccessKey": "s", "SessionToken": "t", "Expiration": "2030-01-01T00:00:00Z"}"#,
        )
        .expect("read");
        assert_eq!(c.access_key_id(), "AKIDEXAMPLE");
        assert!(c.expiry().is_some());
        assert!(parse_process_output(
            br#"{"Version": 2, "AccessKeyId": "a", "SecretAccessKey": "s"}"#
        )
        .is_err());
        assert!(parse_process_output(br#"{"Version": 1, "AccessKeyId": "AK"#).is_err());
    }

    #[test]
    fn credentials_cut_short_are_not_whole() {
        let cut = Credentials::new("AK", "", None, None, "test");
        assert!(incomplete(&cut, Expect::Temporary).is_some());
        assert!(incomplete(&cut, Expect::AnyKind)
            .expect("no secret")
            .contains("SecretAccessKey"));
        let plain = Credentials::new("testing", "secret", None, None, "test");
        assert_eq!(incomplete(&plain, Expect::AnyKind), None);
        assert!(
            incomplete(&plain, Expect::Temporary).is_some(),
            "a temporary key of 7 characters"
        );
        let sts = Credentials::new(
            "ASIAEXAMPLEEXAMPLE",
            "secret",
            Some("token".into()),
            Some(SystemTime::now()),
            "test",
        );
        assert_eq!(incomplete(&sts, Expect::Temporary), None);
    }

    #[test]
    fn profiles_are_read_from_both_files() {
        let dir = std::env::temp_dir().join(format!("lkroute53-profiles-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let config = dir.join("config");
        std::fs::write(
            &config,
            "[default]\nregion = eu-west-1\n[profile ha]\n# c\ncredential_process = /bin/creds --x\ns3 =\n  max_concurrent_requests = 2\n",
        )
        .expect("write");
        let creds = dir.join("credentials");
        std::fs::write(&creds, "[ha]\naws_access_key_id = AKID\n").expect("write");
        let k = profile_keys(Some(&config), Some(&creds), "ha");
        assert_eq!(
            k.get("credential_process").map(String::as_str),
            Some("/bin/creds --x")
        );
        assert_eq!(k.get("aws_access_key_id").map(String::as_str), Some("AKID"));
        assert!(!k.contains_key("max_concurrent_requests"));
        let d = profile_keys(Some(&config), None, "default");
        assert_eq!(d.get("region").map(String::as_str), Some("eu-west-1"));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
