//! `lkroute53 policy TAG [--role]`: the least-privilege IAM policy for one
//! resource, as JSON, in the partition the node is in.
//!
//! What each action needs:
//! - `route53:ChangeResourceRecordSets` on the zone, restricted with
//!   condition keys to UPSERTs of one A record of one name (restore and
//!   recover write the record);
//! - `route53:ListResourceRecordSets` on the zone (every action reads the
//!   record) and `route53:GetHostedZone` on the zone (create and doctor
//!   check the zone);
//! - `route53:GetChange` on `change/*` (restore waits for INSYNC; doctor
//!   probes the endpoint with it). Change IDs are not known in advance, so
//!   this one cannot be narrowed.
//!
//! With `--role`, the cross-account case: the same permissions for the
//! role in the zone's account, that role's trust policy (the node's role
//! may assume it, with the external ID where one is set), and the
//! statement the node's own role needs (`sts:AssumeRole` on that role).

use serde_json::{json, Value};

use crate::aws::estate::{self, Estate, Partition};
use crate::context::Ctx;
use crate::error::ActionError;
use crate::lcd::Lcd;
use crate::log::print;
use crate::resource::{self, ResourceError};

/// What the role statements name where the settings do not say.
pub(super) const NODE_ROLE_PLACEHOLDER: &str =
    "arn:PARTITION:iam::NODE_ACCOUNT_ID:role/NODE_ROLE_NAME";

/// Which policy to print.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shape<'a> {
    /// The node's own role may change the zone (same account).
    SameAccount,
    /// A role in the zone's account, assumed by the node's role
    /// (`--role`), named where `--node-role` names it.
    CrossAccount { node_role: Option<&'a str> },
}

pub(crate) async fn run(
    ctx: &Ctx<impl Lcd>,
    tag: &str,
    shape: Shape<'_>,
) -> Result<(), ActionError> {
    resource::check_tag("tag", tag)?;
    let (_, r) = resource::find(&ctx.lcd, tag).await?;
    let estate = Estate::resolve(&ctx.settings, &estate::node_name()).await;
    let doc = if let Shape::CrossAccount { node_role } = shape {
        let external_id = estate.role.as_ref().and_then(|r| r.external_id.clone());
        let role_arn = estate
            .role
            .as_ref()
            .map(|r| r.arn.clone())
            .unwrap_or_else(|| {
                format!(
                    "arn:{}:iam::ZONE_ACCOUNT_ID:role/lkroute53-route53",
                    estate.partition.name
                )
            });
        if estate.role.is_some() {
            concrete_role("ROUTE53_ROLE_ARN", &role_arn)?;
        }
        if let Some(n) = node_role {
            concrete_role("--node-role", n)?;
        }
        let node_role = node_role
            .map(str::to_string)
            .unwrap_or_else(|| NODE_ROLE_PLACEHOLDER.replace("PARTITION", estate.partition.name));
        json!({
            "zone_account_role": role_arn,
            "zone_account_role_permissions": permissions(estate.partition, &r.zone_id, &r.hostname),
            "zone_account_role_trust_policy": trust(&node_role, external_id.as_deref()),
            "node_role_permissions": assume(&role_arn),
        })
    } else {
        permissions(estate.partition, &r.zone_id, &r.hostname)
    };
    print(
        &serde_json::to_string_pretty(&doc)
            .unwrap_or_else(|e| format!("{{\"error\": {:?}}}", e.to_string())),
    );
    Ok(())
}

/// A role a trust policy or a permission may name: one IAM role by its
/// whole ARN (`arn:PARTITION:iam::ACCOUNT:role/[PATH/]NAME`). A wildcard,
/// an empty value or anything else is refused: a trust policy whose
/// principal is `*` lets anyone assume the role that may change the zone.
pub(super) fn concrete_role(what: &'static str, arn: &str) -> Result<(), ResourceError> {
    let refuse = |reason: &str| {
        Err(ResourceError::BadArgument {
            what,
            value: arn.chars().take(80).collect(),
            reason: reason.to_string(),
        })
    };
    if arn.trim().is_empty() {
        return refuse(
            "is empty: name one IAM role by its ARN (arn:aws:iam::123456789012:role/NAME)",
        );
    }
    if arn.contains(['*', '?']) {
        return refuse("holds a wildcard: a policy naming it would let any principal in (name one IAM role by its ARN)");
    }
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let name_ok = |n: &str| {
        !n.is_empty()
            && !n.ends_with('/')
            && n.chars()
                .all(|c| c.is_ascii_alphanumeric() || "+=,.@_-/".contains(c))
    };
    match parts.as_slice() {
        ["arn", partition, "iam", "", account, resource]
            if !partition.is_empty()
                && account.len() == 12
                && account.chars().all(|c| c.is_ascii_digit())
                && resource.strip_prefix("role/").is_some_and(name_ok) =>
        {
            Ok(())
        }
        _ => refuse("is not the ARN of one IAM role (arn:aws:iam::123456789012:role/NAME)"),
    }
}

/// The name as the condition key sees it: lower case, no final dot.
pub(super) fn normalized(name: &str) -> String {
    name.trim_end_matches('.').to_ascii_lowercase()
}

/// The permissions policy for one resource's A record.
pub(super) fn permissions(p: Partition, zone: &str, name: &str) -> Value {
    let zone_arn = format!("arn:{}:route53:::hostedzone/{zone}", p.name);
    json!({
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "UpsertOneARecord",
                "Effect": "Allow",
                "Action": "route53:ChangeResourceRecordSets",
                "Resource": zone_arn,
                "Condition": {
                    "ForAllValues:StringEquals": {
                        "route53:ChangeResourceRecordSetsNormalizedRecordNames": [normalized(name)],
                        "route53:ChangeResourceRecordSetsRecordTypes": ["A"],
                        "route53:ChangeResourceRecordSetsActions": ["UPSERT"]
                    }
                }
            },
            {
                "Sid": "ReadTheZone",
                "Effect": "Allow",
                "Action": ["route53:ListResourceRecordSets", "route53:GetHostedZone"],
                "Resource": zone_arn
            },
            {
                "Sid": "WaitForInsync",
                "Effect": "Allow",
                "Action": "route53:GetChange",
                "Resource": format!("arn:{}:route53:::change/*", p.name)
            }
        ]
    })
}

/// The zone account role's trust policy: the node's role may assume it.
pub(super) fn trust(node_role: &str, external_id: Option<&str>) -> Value {
    let mut statement = json!({
        "Sid": "LifeKeeperNodes",
        "Effect": "Allow",
        "Principal": { "AWS": node_role },
        "Action": "sts:AssumeRole"
    });
    if let Some(id) = external_id {
        statement["Condition"] = json!({ "StringEquals": { "sts:ExternalId": id } });
    }
    json!({ "Version": "2012-10-17", "Statement": [statement] })
}

/// What the node's own role needs: to assume the zone account's role.
pub(super) fn assume(role_arn: &str) -> Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "AssumeTheRoute53Role",
            "Effect": "Allow",
            "Action": "sts:AssumeRole",
            "Resource": role_arn
        }]
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_one_concrete_role_may_be_named() {
        for ok in [
            "arn:aws:iam::123456789012:role/lkroute53-route53",
            "arn:aws-us-gov:iam::123456789012:role/ha/lk-node",
        ] {
            concrete_role("r", ok).expect(ok);
        }
        for bad in [
            "*",
            "",
            " ",
            "arn:aws:iam::123456789012:role/*",
            "arn:aws:iam::*:role/x",
            "arn:aws:iam::123456789012:role/lk?",
            "arn:aws:iam::123456789012:user/x",
            "arn:aws:iam::12345:role/x",
            "arn:aws:iam::123456789012:root",
            "arn:aws:iam::123456789012:role/",
        ] {
            let e = concrete_role("--node-role", bad).expect_err(bad);
            assert!(e.to_string().contains("--node-role"), "{e}");
        }
    }

    #[test]
    fn the_policy_allows_one_upsert_of_one_a_record() {
        let v = permissions(estate::GOVCLOUD, "Z123", "App.Example.com.");
        let s = &v["Statement"];
        assert_eq!(s[0]["Resource"], "arn:aws-us-gov:route53:::hostedzone/Z123");
        let c = &s[0]["Condition"]["ForAllValues:StringEquals"];
        assert_eq!(
            c["route53:ChangeResourceRecordSetsNormalizedRecordNames"][0],
            "app.example.com"
        );
        assert_eq!(c["route53:ChangeResourceRecordSetsRecordTypes"][0], "A");
        assert_eq!(c["route53:ChangeResourceRecordSetsActions"][0], "UPSERT");
        assert_eq!(s[2]["Resource"], "arn:aws-us-gov:route53:::change/*");
        assert_eq!(s.as_array().map(Vec::len), Some(3));
    }

    #[test]
    fn the_trust_policy_carries_the_external_id_where_set() {
        let with = trust("arn:aws:iam::111122223333:role/node", Some("lk-ext-1"));
        assert_eq!(
            with["Statement"][0]["Condition"]["StringEquals"]["sts:ExternalId"],
            "lk-ext-1"
        );
        let without = trust("arn:aws:iam::111122223333:role/node", None);
        assert!(without["Statement"][0].get("Condition").is_none());
        assert_eq!(
            assume("arn:aws:iam::444455556666:role/r")["Statement"][0]["Resource"],
            "arn:aws:iam::444455556666:role/r"
        );
    }

    /// The policy the README shows for the demo resource is the one the
    /// command prints.
    #[test]
    fn the_readme_policy_is_the_one_printed() {
        let shown: Value = serde_json::from_str(&crate::readme::block_after(
            "For the demo resource:",
            "json",
        ))
        .expect("the README's policy is JSON");
        assert_eq!(
            shown,
            permissions(
                crate::aws::estate::COMMERCIAL,
                "Z0123456789ABCDEFGHIJ",
                "app.example.com"
            )
        );
    }
}
