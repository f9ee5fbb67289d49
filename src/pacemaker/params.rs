//! The agent's parameters (`OCF_RESKEY_NAME`): one table, from which the
//! meta-data is written and the values are checked. A parameter that a
//! `ROUTE53_*` setting also gives stands over the defaults file's value.

use std::net::Ipv4Addr;

use crate::resource::{check_hostname, check_zone_id, unusable, Route53Resource};
use crate::settings::{self, Settings};

/// The type of a parameter's value, as the meta-data names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Content {
    String,
    Integer,
}

impl Content {
    pub(crate) fn word(self) -> &'static str {
        match self {
            Content::String => "string",
            Content::Integer => "integer",
        }
    }
}

/// One parameter of the agent.
#[derive(Debug)]
pub(crate) struct Param {
    pub name: &'static str,
    pub required: bool,
    /// Unique across the cluster's resources of this type.
    pub unique: bool,
    pub content: Content,
    pub shortdesc: &'static str,
    pub longdesc: &'static str,
    /// The `ROUTE53_*` setting it gives, where it gives one.
    pub setting: Option<&'static str>,
}

/// Every parameter, in the meta-data's order.
pub(crate) const PARAMS: &[Param] = &[
    Param {
        name: "hostedzoneid",
        required: true,
        unique: false,
        content: Content::String,
        shortdesc: "Hosted zone ID",
        longdesc: "The ID of the Route 53 hosted zone that holds the record (letters and digits, like Z0123456789ABCDEFGHIJ; a leading /hostedzone/ is taken off).",
        setting: None,
    },
    Param {
        name: "fullname",
        required: true,
        unique: true,
        content: Content::String,
        shortdesc: "Host name",
        longdesc: "The host name whose A record follows the resource, inside the hosted zone (a final dot is allowed). The agent only ever writes this name's simple A record; it never deletes a record, and refuses an alias or a record with a routing policy of that name.",
        setting: None,
    },
    Param {
        name: "ip",
        required: true,
        unique: false,
        content: Content::String,
        shortdesc: "Address to publish",
        longdesc: "The IPv4 address the A record holds while the resource runs on this node: the node's own private address, or an address another resource of the group brings up (a unicast address; loopback, link-local, multicast and broadcast addresses are refused).",
        setting: None,
    },
    Param {
        name: "ttl",
        required: false,
        unique: false,
        content: Content::Integer,
        shortdesc: "TTL of the record",
        longdesc: "The TTL, in seconds, the record is written with (0 to 86400). Unset: ROUTE53_TTL of the defaults file, else 10.",
        setting: Some(settings::TTL.key),
    },
    Param {
        name: "role_arn",
        required: false,
        unique: false,
        content: Content::String,
        shortdesc: "Role to assume",
        longdesc: "An IAM role to assume for Route 53 (the zone in another account): arn:aws:iam::ACCOUNT:role/NAME. Unset: ROUTE53_ROLE_ARN of the defaults file, else the node's own credentials.",
        setting: Some(settings::ROLE_ARN),
    },
    Param {
        name: "external_id",
        required: false,
        unique: false,
        content: Content::String,
        shortdesc: "External ID of the role",
        longdesc: "The external ID the role's trust policy asks for, with role_arn. Unset: ROUTE53_EXTERNAL_ID of the defaults file.",
        setting: Some(settings::EXTERNAL_ID),
    },
    Param {
        name: "profile",
        required: false,
        unique: false,
        content: Content::String,
        shortdesc: "AWS profile",
        longdesc: "A profile of root's AWS config files to take credentials and region from. Unset: ROUTE53_AWS_PROFILE of the defaults file, else the default chain (environment, config files, instance metadata).",
        setting: Some(settings::AWS_PROFILE),
    },
    Param {
        name: "region",
        required: false,
        unique: false,
        content: Content::String,
        shortdesc: "AWS region",
        longdesc: "The region whose partition the Route 53 endpoint belongs to (us-east-1 for the commercial partition, cn-north-1, us-gov-west-1). Unset: ROUTE53_REGION of the defaults file, else the profile's or the instance's.",
        setting: Some(settings::REGION),
    },
];

/// The resource the parameters describe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Resource {
    pub record: Route53Resource,
    pub address: Ipv4Addr,
}

/// Read the parameters from `get` (the environment's `OCF_RESKEY_NAME`),
/// give the settings the ones that are settings, and check every one:
/// the resource, or every problem, each naming its parameter.
pub(crate) fn read(
    instance: &str,
    get: impl Fn(&str) -> Option<String>,
    settings: &mut Settings,
) -> Result<Resource, Vec<String>> {
    let mut problems = Vec::new();
    let value = |name: &str| get(&format!("OCF_RESKEY_{name}")).filter(|v| !v.trim().is_empty());
    let mut required = |name: &'static str| {
        let v = value(name);
        if v.is_none() {
            problems.push(format!("parameter {name} is required and not set"));
        }
        v
    };
    let (zone, host, ip) = (
        required("hostedzoneid"),
        required("fullname"),
        required("ip"),
    );
    let zone = zone.and_then(|z| {
        check_zone_id(z.trim())
            .map_err(|e| problems.push(format!("parameter hostedzoneid: {e}")))
            .ok()
    });
    let host = host.and_then(|h| {
        check_hostname(h.trim())
            .map_err(|e| problems.push(format!("parameter fullname: {e}")))
            .ok()
    });
    let address = ip.and_then(|ip| match ip.trim().parse::<Ipv4Addr>() {
        Ok(a) => match unusable(a) {
            Some(why) => {
                problems.push(format!(
                    "parameter ip={a} is {why}, which no client can reach: give the node's own private address"
                ));
                None
            }
            None => Some(a),
        },
        Err(_) => {
            problems.push(format!(
                "parameter ip={:?} is not an IPv4 address",
                crate::text::short(&ip)
            ));
            None
        }
    });
    for p in PARAMS {
        if let (Some(key), Some(v)) = (p.setting, value(p.name)) {
            if let Err(e) = settings.set_parameter(key, p.name, &v) {
                problems.push(e);
            }
        }
    }
    match (zone, host, address) {
        (Some(zone_id), Some(hostname), Some(address)) if problems.is_empty() => Ok(Resource {
            record: Route53Resource {
                tag: instance.to_string(),
                zone_id,
                hostname,
            },
            address,
        }),
        _ => Err(problems),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;
    use std::path::Path;

    fn settings() -> Settings {
        Settings::from_text(Path::new("/etc/default/lkroute53"), b"", Vec::new())
    }

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (format!("OCF_RESKEY_{k}"), v.to_string()))
            .collect();
        move |k| map.get(k).cloned()
    }

    #[test]
    fn good_parameters_make_the_resource_and_the_settings() {
        let mut s = settings();
        let r = read(
            "dns-app",
            env(&[
                ("hostedzoneid", "/hostedzone/Z0123"),
                ("fullname", "App.Example.com."),
                ("ip", "10.0.1.10"),
                ("ttl", "30"),
                ("region", "eu-west-1"),
            ]),
            &mut s,
        )
        .expect("good");
        assert_eq!(r.record.zone_id, "Z0123");
        assert_eq!(r.record.hostname, "app.example.com");
        assert_eq!(r.record.tag, "dns-app");
        assert_eq!(r.address, Ipv4Addr::new(10, 0, 1, 10));
        assert_eq!(s.ttl(), 30);
        assert_eq!(
            s.aws
                .region
                .as_ref()
                .map(|(v, src)| (v.as_str(), src.to_string())),
            Some(("eu-west-1", "parameter region".to_string()))
        );
    }

    #[test]
    fn every_problem_is_named_by_its_parameter() {
        let mut s = settings();
        let problems = read(
            "dns-app",
            env(&[
                ("hostedzoneid", "not a zone"),
                ("ip", "127.0.0.1"),
                ("ttl", "-5"),
                ("role_arn", "arn:aws:iam::12:user/x"),
            ]),
            &mut s,
        )
        .expect_err("bad");
        let all = problems.join("\n");
        for want in [
            "parameter fullname is required and not set",
            "parameter hostedzoneid: \"not a zone\" is not a hosted zone ID",
            "parameter ip=127.0.0.1 is a loopback address",
            "parameter ttl=\"-5\" is negative",
            "parameter role_arn=\"arn:aws:iam::12:user/x\" is not an IAM role ARN",
        ] {
            assert!(all.contains(want), "{want} in {all}");
        }
        assert_eq!(problems.len(), 5, "{all}");
        let problems = read("x", env(&[("ip", "10.0.0")]), &mut settings()).expect_err("bad");
        assert!(problems
            .join("\n")
            .contains("parameter ip=\"10.0.0\" is not an IPv4 address"));
    }

    /// The README's parameter table is this one: names, required, the
    /// setting each stands for.
    #[test]
    fn the_readme_parameter_table_is_the_code_s() {
        let rows = crate::readme::table("Pacemaker parameters");
        let rows: Vec<(String, bool, String)> = rows
            .iter()
            .map(|r| {
                (
                    r[0].trim_matches('`').to_string(),
                    r[1] == "yes",
                    r[2].trim_matches('`').to_string(),
                )
            })
            .collect();
        let code: Vec<(String, bool, String)> = PARAMS
            .iter()
            .map(|p| {
                (
                    p.name.to_string(),
                    p.required,
                    p.setting.unwrap_or("-").to_string(),
                )
            })
            .collect();
        assert_eq!(rows, code);
    }

    #[test]
    fn every_parameter_that_is_a_setting_names_a_known_one() {
        for p in PARAMS.iter().filter(|p| p.setting.is_some()) {
            let mut s = settings();
            let sample = match p.content {
                Content::Integer => "5",
                Content::String => match p.name {
                    "role_arn" => "arn:aws:iam::123456789012:role/r53",
                    "region" => "us-east-1",
                    _ => "abc",
                },
            };
            s.set_parameter(p.setting.expect("a setting"), p.name, sample)
                .unwrap_or_else(|e| panic!("{}: {e}", p.name));
        }
    }
}
