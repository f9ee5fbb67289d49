//! Real AWS estates, against the installed kit: a role in the zone's
//! account (assumed through moto's STS), the partition taken from a
//! profile's region, instance metadata that never goes through a proxy,
//! a private CA, and the least-privilege policy. Every request goes to
//! 127.0.0.1: moto, recording proxies in front of it, a fake
//! instance-metadata server and an HTTPS front with a CA made by the test.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use crate::util::front::{Front, Rules};
use crate::util::*;

const ROLE: &str = "arn:aws:iam::123456789012:role/lk-route53";

/// moto and the cluster, the kit sending Route 53 requests through a
/// recording proxy; STS (moto's) behind a recording proxy of its own.
fn estate() -> (&'static Moto, Front, Front, Cluster) {
    let (moto, mut c) = ready();
    let r53 = Front::faults(moto.port, Rules::default());
    let sts = Front::faults(moto.port, Rules::default());
    c.endpoint = r53.url();
    (moto, r53, sts, c)
}

fn route53_requests(proxy: &Front) -> Vec<crate::util::front::Signed> {
    proxy.seen()
}

#[test]
fn every_route53_call_is_made_as_the_role_assumed_with_its_external_id() {
    let (_moto, r53, sts, c) = estate();
    c.set_defaults(&format!(
        "ROUTE53_CHANGEID_INTERVAL=1\nROUTE53_ROLE_ARN={ROLE}\nROUTE53_EXTERNAL_ID=lk-ext-42\n"
    ));
    let sts_url = sts.url();
    let env = [("AWS_ENDPOINT_URL_STS", sts_url.as_str())];
    c.action_env(NODE1, "restore", TAG, &env).ok();
    assert_eq!(c.record(), format!("{ADDR1} 10"));

    let sent = route53_requests(&r53);
    assert!(!sent.is_empty());
    for r in &sent {
        assert_ne!(
            r.access_key, "testing",
            "signed with the node's own key: {r:?}"
        );
        assert!(!r.access_key.is_empty(), "unsigned: {r:?}");
        assert_eq!(r.region, "us-east-1", "{r:?}");
    }
    let assumed = route53_requests(&sts);
    let call = assumed
        .iter()
        .find(|r| r.body.contains("Action=AssumeRole"))
        .expect("an AssumeRole call");
    assert_eq!(
        call.access_key, "testing",
        "the role is assumed with the node's own key"
    );
    assert!(call.body.contains("ExternalId=lk-ext-42"), "{call:?}");
    assert!(call.body.contains("RoleSessionName=lkroute53-"), "{call:?}");
    assert!(call.body.contains("lk-route53"), "{call:?}");

    // doctor names the role and who the calls are made as; never a key.
    let out = c.exec(
        NODE1,
        &c.kit.join("usr/sbin/lkroute53"),
        &["doctor", TAG],
        &env,
    );
    out.prints(&format!("role: {ROLE} as session lkroute53-"))
        .prints("with an external ID")
        .prints("identity: calls are made as arn:aws:sts::123456789012:assumed-role/lk-route53/lkroute53-");
    assert!(!out.stdout.contains("testing-secret"), "{out}");
}

#[test]
fn a_refused_role_is_named_with_sts_error_code() {
    let (_moto, _r53, sts, c) = estate();
    c.set_defaults(&format!("ROUTE53_ROLE_ARN={ROLE}\n"));
    sts.set(|r| r.refuse_all = Some("AccessDenied"));
    let sts_url = sts.url();
    let out = c.action_env(
        NODE1,
        "restore",
        TAG,
        &[("AWS_ENDPOINT_URL_STS", sts_url.as_str())],
    );
    out.status(4)
        .says(&format!("assuming the role {ROLE} (ROUTE53_ROLE_ARN)"))
        .says("AccessDenied");
    assert_eq!(c.record(), "none");
}

#[test]
fn the_region_of_the_profile_decides_the_partition() {
    let (_moto, r53, _sts, c) = estate();
    let config = c.dir.join("aws-config");
    std::fs::write(&config, "[profile gov]\nregion = us-gov-west-1\n").expect("config");
    c.set_defaults("ROUTE53_CHANGEID_INTERVAL=1\nROUTE53_AWS_PROFILE=gov\n");
    let cfg = config.to_str().expect("path");
    let env = [("AWS_CONFIG_FILE", cfg)];
    c.action_env(NODE1, "quickCheck", TAG, &env).ok();
    let sent = route53_requests(&r53);
    assert!(!sent.is_empty());
    assert!(sent.iter().all(|r| r.region == "us-gov-west-1"), "{sent:?}");

    let out = c.exec(
        NODE1,
        &c.kit.join("usr/sbin/lkroute53"),
        &["status", TAG],
        &env,
    );
    out.prints("partition    aws-us-gov (signing region us-gov-west-1; node region us-gov-west-1, from the region of profile gov)")
        .prints("profile      gov (from ROUTE53_AWS_PROFILE");

    // ROUTE53_REGION wins over the profile: China.
    c.set_defaults("ROUTE53_AWS_PROFILE=gov\nROUTE53_REGION=cn-north-1\n");
    let before = route53_requests(&r53).len();
    c.action_env(NODE1, "quickCheck", TAG, &env).ok();
    let sent = route53_requests(&r53).split_off(before);
    assert!(!sent.is_empty());
    assert!(
        sent.iter().all(|r| r.region == "cn-northwest-1"),
        "{sent:?}"
    );
}

#[test]
fn the_config_files_are_found_without_home() {
    let (_moto, _r53, _sts, c) = estate();
    c.action(NODE1, "restore", TAG).ok();
    let out = c.exec(
        NODE1,
        &c.kit.join("usr/sbin/lkroute53"),
        &["status", TAG],
        &[
            ("HOME", UNSET),
            ("AWS_CONFIG_FILE", UNSET),
            ("AWS_SHARED_CREDENTIALS_FILE", UNSET),
        ],
    );
    out.ok()
        .prints("/.aws/config and ")
        .prints("(home from the password database (HOME is unset))");
}

/// A fake instance-metadata service: IMDSv2 token, the role's name, its
/// credentials. Counts what it served.
struct Imds {
    port: u16,
    served: Arc<Mutex<Vec<String>>>,
}

impl Imds {
    fn start() -> Imds {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let served = Arc::new(Mutex::new(Vec::new()));
        let s = served.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming().flatten() {
                let mut reader = BufReader::new(conn.try_clone().expect("clone"));
                let mut first = String::new();
                if reader.read_line(&mut first).is_err() {
                    continue;
                }
                let mut line = String::new();
                while reader.read_line(&mut line).is_ok() && line != "\r\n" && !line.is_empty() {
                    line.clear();
                }
                let path = first.split_whitespace().nth(1).unwrap_or("").to_string();
                s.lock().expect("served").push(path.clone());
                let body = if path.starts_with("/latest/api/token") {
                    "imds-token".to_string()
                } else if path.ends_with("/security-credentials/") {
                    "lk-node".to_string()
                } else if path.ends_with("/security-credentials/lk-node") {
                    r#"{"Code":"Success","Type":"AWS-HMAC","AccessKeyId":"ASIAIMDSTESTKEY","SecretAccessKey":"imds-secret","Token":"imds-token","Expiration":"2099-01-01T00:00:00Z","LastUpdated":"2026-01-01T00:00:00Z"}"#.to_string()
                } else {
                    String::new()
                };
                let status = if body.is_empty() {
                    "404 Not Found"
                } else {
                    "200 OK"
                };
                let mut w = conn;
                let _ = write!(
                    w,
                    "HTTP/1.1 {status}\r\nContent-Length: {}\r\nX-aws-ec2-metadata-token-ttl-seconds: 21600\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
            }
        });
        Imds { port, served }
    }
}

#[test]
fn instance_metadata_never_goes_through_the_proxy() {
    let (moto, _r53, _sts, mut c) = estate();
    let imds = Imds::start();
    // A forward proxy that records what goes through it, in front of moto.
    let proxy = Front::faults(moto.port, Rules::default());
    c.endpoint = moto.url();
    let imds_url = format!("http://127.0.0.1:{}", imds.port);
    let proxy_url = proxy.url();
    let env = [
        ("AWS_ACCESS_KEY_ID", UNSET),
        ("AWS_SECRET_ACCESS_KEY", UNSET),
        ("AWS_EC2_METADATA_DISABLED", UNSET),
        ("AWS_EC2_METADATA_SERVICE_ENDPOINT", imds_url.as_str()),
        ("HTTP_PROXY", proxy_url.as_str()),
        ("HTTPS_PROXY", proxy_url.as_str()),
    ];
    c.action_env(NODE1, "restore", TAG, &env).ok();
    let served = imds.served.lock().expect("served").clone();
    assert!(
        served.iter().any(|p| p.contains("/latest/api/token")),
        "{served:?}"
    );
    assert!(served.iter().any(|p| p.ends_with("/lk-node")), "{served:?}");
    let through = route53_requests(&proxy);
    assert!(
        through.iter().all(|r| !r.path.contains("/latest/")),
        "metadata went through the proxy: {through:?}"
    );
    assert!(
        through.iter().any(|r| r.path.contains("/rrset")),
        "Route 53 did not go through the proxy: {through:?}"
    );
    assert!(
        through.iter().all(|r| r.access_key == "ASIAIMDSTESTKEY"),
        "{through:?}"
    );

    let out = c.exec(
        NODE1,
        &c.kit.join("usr/sbin/lkroute53"),
        &["doctor", TAG],
        &env,
    );
    out.prints(&format!("route 53: {} via proxy {proxy_url}", c.endpoint))
        .prints("metadata: instance metadata is reached directly, never through a proxy");

    // Where NO_PROXY names the endpoint, the proxy is not used, and doctor
    // says so.
    let mut bypass = env.to_vec();
    bypass.push(("NO_PROXY", "127.0.0.1"));
    let out = c.exec(
        NODE1,
        &c.kit.join("usr/sbin/lkroute53"),
        &["doctor", TAG],
        &bypass,
    );
    out.prints(&format!("route 53: {} (direct)", c.endpoint));
}

#[test]
fn a_private_ca_is_trusted_through_the_bundle_setting_or_aws_ca_bundle() {
    let (moto, mut c) = ready();
    let (front, ca) = Front::tls(moto.port);
    c.endpoint = front.url();
    c.set_defaults("ROUTE53_CHANGEID_INTERVAL=1\n");

    // Not trusted: quickCheck passes with a warning; doctor names the store.
    c.action(NODE1, "quickCheck", TAG)
        .ok()
        .says("WARN")
        .says("certificate");
    let out = c.lkroute53(NODE1, &["doctor", TAG]);
    out.status(1)
        .prints("[FAIL] endpoint")
        .prints("the server's certificate was not trusted (invalid peer certificate: UnknownIssuer) by the system bundle")
        .prints("ROUTE53_CA_BUNDLE");

    // Trusted through the settings file.
    let cap = ca.to_str().expect("path");
    c.set_defaults(&format!(
        "ROUTE53_CHANGEID_INTERVAL=1\nROUTE53_CA_BUNDLE={cap}\n"
    ));
    c.action(NODE1, "restore", TAG).ok().not_says("WARN");
    assert_eq!(c.record(), format!("{ADDR1} 10"));
    c.lkroute53(NODE1, &["doctor", TAG])
        .prints("[ ok ] endpoint")
        .prints(&format!("1 certificate(s) of {cap} (ROUTE53_CA_BUNDLE"));

    // Or through AWS_CA_BUNDLE, as the AWS CLI reads it.
    c.set_defaults("ROUTE53_CHANGEID_INTERVAL=1\n");
    c.action_env(NODE1, "quickCheck", TAG, &[("AWS_CA_BUNDLE", cap)])
        .ok()
        .not_says("WARN");

    // A bundle that holds no certificate is named; the action goes on.
    let junk = c.dir.join("junk.pem");
    std::fs::write(&junk, "not a certificate\n").expect("junk");
    let junk = junk.to_str().expect("path");
    c.set_defaults(&format!("ROUTE53_CA_BUNDLE={junk}\n"));
    c.lkroute53(NODE1, &["doctor", TAG])
        .prints(&format!("{junk}: no PEM certificate"));
    drop(front);
}

#[test]
fn policy_prints_the_least_privilege_policy_in_the_node_partition() {
    let (_moto, mut c) = ready();
    // Nothing may be sent anywhere: the policy is made from the LCD and
    // the settings alone.
    c.endpoint = format!("http://127.0.0.1:{}", free_port());
    let out = c.lkroute53(NODE1, &["policy", TAG]);
    out.ok()
        .prints(&format!("\"arn:aws:route53:::hostedzone/{}\"", c.zone))
        .prints("\"route53:ChangeResourceRecordSetsNormalizedRecordNames\": [\n            \"app.example.com\"")
        .prints("\"route53:ChangeResourceRecordSetsActions\": [\n            \"UPSERT\"")
        .prints("\"arn:aws:route53:::change/*\"");

    c.set_defaults(
        "ROUTE53_REGION=us-gov-west-1\nROUTE53_ROLE_ARN=arn:aws-us-gov:iam::123456789012:role/lk-route53\nROUTE53_EXTERNAL_ID=lk-ext-42\n",
    );
    let out = c.lkroute53(
        NODE1,
        &[
            "policy",
            TAG,
            "--role",
            "--node-role",
            "arn:aws-us-gov:iam::111122223333:role/lk-node",
        ],
    );
    out.ok()
        .prints(&format!(
            "\"arn:aws-us-gov:route53:::hostedzone/{}\"",
            c.zone
        ))
        .prints("\"sts:ExternalId\": \"lk-ext-42\"")
        .prints("\"AWS\": \"arn:aws-us-gov:iam::111122223333:role/lk-node\"")
        .prints("\"Resource\": \"arn:aws-us-gov:iam::123456789012:role/lk-route53\"");
}

#[test]
fn unusable_aws_settings_are_named_and_ignored() {
    let (_moto, c) = ready();
    c.action(NODE1, "restore", TAG).ok();
    c.set_defaults("ROUTE53_ROLE_ARN=arn:aws:iam::12:user/x\nROUTE53_REGION=Moon-1\n");
    c.action(NODE1, "quickCheck", TAG)
        .ok()
        .says("LifeKeeper:1: ROUTE53_ROLE_ARN=\"arn:aws:iam::12:user/x\" is not an IAM role ARN")
        .says("LifeKeeper:2: ROUTE53_REGION=\"Moon-1\" is not a region name");
}
