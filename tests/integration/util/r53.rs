//! Route 53 from outside the kit, for the tests: make zones, write, read and
//! delete records behind the kit's back. The same commands and answers as
//! tests/fixtures/r53.py (which the demo uses), spoken as plain HTTP to the
//! local endpoint (moto checks no signature), so that a test's look at the
//! zone costs no interpreter start.
//!
//! ```text
//! create-zone NAME [--private]      -> zone ID
//! set ZONE NAME TYPE TTL VALUE...   (UPSERT)
//! set-weighted ZONE NAME TTL VALUE SETID WEIGHT
//! set-alias ZONE NAME TARGET-ZONE TARGET-NAME
//! get ZONE NAME TYPE                -> "VALUE[,VALUE] TTL" or "none"
//! delete ZONE NAME TYPE
//! names ZONE                        -> every "NAME TYPE VALUES TTL"
//! ```

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

const NS: &str = "https://route53.amazonaws.com/doc/2013-04-01/";

/// One plain HTTP/1.1 request to the endpoint: (status, body).
pub fn http(endpoint: &str, method: &str, path: &str, body: &str) -> (u16, String) {
    let host = endpoint.trim_start_matches("http://").trim_end_matches('/');
    let mut s = TcpStream::connect(host).unwrap_or_else(|e| panic!("connect {host}: {e}"));
    s.set_read_timeout(Some(Duration::from_secs(30)))
        .expect("timeout");
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/route53/aws4_request, SignedHeaders=host, Signature=0\r\nContent-Type: text/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .expect("send");
    let mut answer = Vec::new();
    s.read_to_end(&mut answer).expect("answer");
    let answer = String::from_utf8_lossy(&answer).into_owned();
    let status = answer
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = answer
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

/// The text of every `<tag>...</tag>` in `xml`, in order.
fn all<'a>(xml: &'a str, tag: &str) -> Vec<&'a str> {
    let (open, close) = (format!("<{tag}>"), format!("</{tag}>"));
    let mut out = Vec::new();
    let mut rest = xml;
    while let Some(start) = rest.find(&open) {
        let after = &rest[start + open.len()..];
        let Some(end) = after.find(&close) else { break };
        out.push(&after[..end]);
        rest = &after[end + close.len()..];
    }
    out
}

fn first<'a>(xml: &'a str, tag: &str) -> Option<&'a str> {
    all(xml, tag).into_iter().next()
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn fqdn(name: &str) -> String {
    format!("{}.", name.trim_end_matches('.').to_ascii_lowercase())
}

/// One record set as listed.
struct Set {
    name: String,
    rtype: String,
    ttl: Option<String>,
    values: Vec<String>,
    xml: String,
}

fn sets(body: &str) -> Vec<Set> {
    all(body, "ResourceRecordSet")
        .into_iter()
        .map(|x| Set {
            name: first(x, "Name").unwrap_or("").to_string(),
            rtype: first(x, "Type").unwrap_or("").to_string(),
            ttl: first(x, "TTL").map(str::to_string),
            values: all(x, "Value").into_iter().map(unescape).collect(),
            xml: x.to_string(),
        })
        .collect()
}

fn unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

fn change(endpoint: &str, zone: &str, action: &str, set_xml: &str) {
    let body = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><ChangeResourceRecordSetsRequest xmlns="{NS}"><ChangeBatch><Changes><Change><Action>{action}</Action><ResourceRecordSet>{set_xml}</ResourceRecordSet></Change></Changes></ChangeBatch></ChangeResourceRecordSetsRequest>"#
    );
    let (status, answer) = http(
        endpoint,
        "POST",
        &format!("/2013-04-01/hostedzone/{zone}/rrset"),
        &body,
    );
    assert_eq!(status, 200, "{action} in {zone}: {answer}");
}

fn find(endpoint: &str, zone: &str, name: &str, rtype: &str) -> Option<Set> {
    let name = fqdn(name);
    let (status, body) = http(
        endpoint,
        "GET",
        &format!("/2013-04-01/hostedzone/{zone}/rrset?name={name}&type={rtype}&maxitems=1"),
        "",
    );
    assert_eq!(status, 200, "list {zone}: {body}");
    sets(&body)
        .into_iter()
        .find(|s| s.name.eq_ignore_ascii_case(&name) && s.rtype == rtype)
}

fn records(values: &[&str]) -> String {
    let rr: String = values
        .iter()
        .map(|v| {
            format!(
                "<ResourceRecord><Value>{}</Value></ResourceRecord>",
                escape(v)
            )
        })
        .collect();
    format!("<ResourceRecords>{rr}</ResourceRecords>")
}

/// Run one command; its answer as r53.py prints it.
pub fn run(endpoint: &str, args: &[&str]) -> String {
    match args {
        ["create-zone", name, rest @ ..] => {
            create_zone(endpoint, name, rest.contains(&"--private"))
        }
        ["set", zone, name, rtype, ttl, values @ ..] => {
            let xml = format!(
                "<Name>{name}</Name><Type>{rtype}</Type><TTL>{ttl}</TTL>{}",
                records(values)
            );
            change(endpoint, zone, "UPSERT", &xml);
            String::new()
        }
        ["set-weighted", zone, name, ttl, value, setid, weight] => {
            let xml = format!(
                "<Name>{name}</Name><Type>A</Type><SetIdentifier>{setid}</SetIdentifier><Weight>{weight}</Weight><TTL>{ttl}</TTL>{}",
                records(&[value])
            );
            change(endpoint, zone, "UPSERT", &xml);
            String::new()
        }
        ["set-alias", zone, name, target_zone, target] => {
            let xml = format!(
                "<Name>{name}</Name><Type>A</Type><AliasTarget><HostedZoneId>{target_zone}</HostedZoneId><DNSName>{target}</DNSName><EvaluateTargetHealth>false</EvaluateTargetHealth></AliasTarget>"
            );
            change(endpoint, zone, "UPSERT", &xml);
            String::new()
        }
        ["get", zone, name, rtype] => match find(endpoint, zone, name, rtype) {
            Some(s) => format!(
                "{} {}",
                s.values.join(","),
                s.ttl.as_deref().unwrap_or("None")
            ),
            None => "none".into(),
        },
        ["delete", zone, name, rtype] => {
            if let Some(s) = find(endpoint, zone, name, rtype) {
                change(endpoint, zone, "DELETE", &s.xml);
            }
            String::new()
        }
        ["names", zone] => {
            let (status, body) = http(
                endpoint,
                "GET",
                &format!("/2013-04-01/hostedzone/{zone}/rrset"),
                "",
            );
            assert_eq!(status, 200, "list {zone}: {body}");
            sets(&body)
                .iter()
                .map(|s| {
                    format!(
                        "{} {} {} {}",
                        s.name,
                        s.rtype,
                        s.values.join(","),
                        s.ttl.as_deref().unwrap_or("None")
                    )
                })
                .collect::<Vec<_>>()
                .join("\n")
        }
        _ => panic!("r53: unknown command {args:?}"),
    }
}

fn create_zone(endpoint: &str, name: &str, private: bool) -> String {
    static N: AtomicUsize = AtomicUsize::new(0);
    let reference = format!(
        "{name}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    );
    let private = if private {
        "<HostedZoneConfig><Comment>private</Comment><PrivateZone>true</PrivateZone></HostedZoneConfig><VPC><VPCRegion>us-east-1</VPCRegion><VPCId>vpc-12345678</VPCId></VPC>"
    } else {
        ""
    };
    let body = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><CreateHostedZoneRequest xmlns="{NS}"><Name>{name}</Name><CallerReference>{reference}</CallerReference>{private}</CreateHostedZoneRequest>"#
    );
    let (status, answer) = http(endpoint, "POST", "/2013-04-01/hostedzone", &body);
    assert!(
        status == 200 || status == 201,
        "create zone {name}: {answer}"
    );
    let id = first(&answer, "Id").expect("a zone ID");
    id.rsplit('/').next().unwrap_or(id).to_string()
}
