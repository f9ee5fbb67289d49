//! What create, doctor and status ask of the AWS side besides the record:
//! the zone, where the credentials come from, who the calls are made as,
//! and the server's clock.

use std::time::SystemTime;

use aws_config::Region;

use super::api::{Probe, Zone};
use super::budget::Pace;
use super::classify::credentials_text;
use super::client::Route53;
use super::error::{chain, Route53Error};
use super::estate::Estate;
use crate::text::short;

impl Probe for Route53 {
    async fn zone(&self, zone: &str) -> Result<Zone, Route53Error> {
        let out = self
            .call("GetHostedZone", zone, Pace::Prompt, || {
                self.client.get_hosted_zone().id(zone).send()
            })
            .await?;
        let z = out.hosted_zone().ok_or(Route53Error::Unexpected {
            operation: "GetHostedZone",
            detail: "no HostedZone in the answer".into(),
        })?;
        Ok(Zone {
            name: z.name().to_string(),
            private: z.config().is_some_and(|c| c.private_zone()),
        })
    }

    async fn credentials(&self) -> Result<String, String> {
        self.credential_source().await
    }

    async fn identity(&self) -> Result<String, String> {
        let sts = aws_sdk_sts::Client::from_conf(
            aws_sdk_sts::config::Builder::from(&self.conf)
                .region(Region::new(self.estate.sts_region()))
                .build(),
        );
        let limit = self.path.attempt_limit * 2;
        match tokio::time::timeout(limit, sts.get_caller_identity().send()).await {
            Ok(Ok(out)) => Ok(out.arn().unwrap_or("(no ARN in the answer)").to_string()),
            Ok(Err(e)) => Err(short(&chain(&e))),
            Err(_) => Err(format!(
                "sts:GetCallerIdentity did not answer within {} s",
                limit.as_secs()
            )),
        }
    }

    fn server_date(&self) -> Option<SystemTime> {
        let text = self.server_date.last()?;
        let t = aws_sdk_route53::primitives::DateTime::from_str(
            &text,
            aws_sdk_route53::primitives::DateTimeFormat::HttpDate,
        )
        .ok()?;
        SystemTime::try_from(t).ok()
    }

    fn estate(&self) -> &Estate {
        &self.estate
    }
}

impl Route53 {
    /// Find credentials the way every call does, and say which source
    /// gave them.
    async fn credential_source(&self) -> Result<String, String> {
        use aws_credential_types::credential_feature::AwsCredentialFeature as F;
        use aws_sdk_route53::config::ProvideCredentials;
        let provider = self
            .conf
            .credentials_provider()
            .ok_or_else(|| "no credential provider is configured".to_string())?;
        let creds = tokio::time::timeout(self.path.attempt_limit, provider.provide_credentials())
            .await
            .map_err(|_| {
                format!(
                    "the credential lookup did not finish within {} s (ROUTE53_CONNECT_TIMEOUT + ROUTE53_READ_TIMEOUT)",
                    self.path.attempt_limit.as_secs()
                )
            })?
            .map_err(|e| credentials_text(&e))?;
        let features = creds.get_property::<Vec<F>>().cloned().unwrap_or_default();
        let source = features
            .iter()
            .rev()
            .find_map(|f| match f {
                F::CredentialsEnvVars => Some("environment variables (AWS_ACCESS_KEY_ID)"),
                F::CredentialsEnvVarsStsWebIdToken | F::CredentialsStsAssumeRoleWebId => {
                    Some("web identity token (AWS_WEB_IDENTITY_TOKEN_FILE)")
                }
                F::CredentialsProfile
                | F::CredentialsProfileSourceProfile
                | F::CredentialsProfileNamedProvider
                | F::CredentialsProfileStsWebIdToken => Some("a profile in the AWS config files"),
                F::CredentialsProfileProcess | F::CredentialsProcess => {
                    Some("credential_process of an AWS profile")
                }
                F::CredentialsHttp => Some("the container credentials endpoint"),
                F::CredentialsImds => Some("the EC2 instance role (instance metadata)"),
                F::CredentialsStsAssumeRole => Some("an assumed role (profile role_arn)"),
                _ => None,
            })
            .unwrap_or("the default credential chain");
        // The role of the settings file is assumed by the kit itself: say
        // which, rather than the SDK's generic "assumed role".
        let role_text;
        let source = match &self.estate.role {
            Some(r) => {
                role_text = format!(
                    "the role {} (ROUTE53_ROLE_ARN), assumed with the node's own credentials",
                    r.arn
                );
                role_text.as_str()
            }
            None => source,
        };
        let expiry = creds
            .expiry()
            .and_then(|e| e.duration_since(SystemTime::now()).ok());
        Ok(match expiry {
            Some(left) => format!(
                "{source}, temporary, valid for {} more min",
                left.as_secs() / 60
            ),
            None => source.to_string(),
        })
    }
}
