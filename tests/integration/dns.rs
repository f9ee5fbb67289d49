//! quickCheck asks DNS first (ROUTE53_CHECK_DNS): the test DNS front serves
//! the local Route 53's zone on 127.0.0.1; the kit's API requests are
//! counted by the test front before moto. An answer that is the record as
//! the node wants it settles the check with no API request; every other
//! answer, or none, leaves the verdict to the API.

use crate::util::*;

/// moto, the cluster with the resource restored on node1 (the record holds
/// ADDR1), the kit talking to moto through a counting front, and a DNS
/// front serving the zone, named by the settings.
fn ready_with_dns(extra: &str) -> (Front, DnsFront, Cluster) {
    let (moto, mut c) = ready();
    let front = Front::faults(moto.port, Rules::default());
    c.endpoint = front.url();
    let dns = DnsFront::start(&moto.url(), &c.zone);
    c.set_defaults(&format!(
        "ROUTE53_CHANGEID_INTERVAL=1\n{}{extra}",
        dns.setting()
    ));
    c.perform(NODE1, "restore", TAG).ok();
    (front, dns, c)
}

/// quickCheck on node1 as LifeKeeper calls it, with -v: what it decided
/// on is in its log.
fn check(c: &Cluster) -> Out {
    let id = format!("route53:{}:{HOST}", c.zone);
    c.exec(
        NODE1,
        &c.kit.join(KIT).join("actions/quickCheck"),
        &["-t", TAG, "-i", &id, "-v"],
        &[],
    )
}

/// The API requests the kit made through the front so far.
fn api_requests(front: &Front) -> u64 {
    front.stats().0
}

#[test]
fn a_dns_answer_that_is_the_record_passes_the_check_with_no_api_request() {
    let (front, dns, c) = ready_with_dns("");
    let before = api_requests(&front);
    let out = check(&c);
    out.ok()
        .says("the check passes with no Route 53 API request");
    assert_eq!(api_requests(&front), before, "{out}");
    assert_eq!(dns.queries(), (1, 0));
    // Truncated over UDP: asked again over TCP, and trusted.
    dns.set(r#"{"fault": "truncate"}"#);
    check(&c)
        .ok()
        .says("the check passes with no Route 53 API request");
    assert_eq!(api_requests(&front), before);
    assert_eq!(dns.queries(), (2, 1));
}

#[test]
fn every_other_answer_leaves_the_verdict_to_the_api() {
    let (front, dns, c) = ready_with_dns("");
    for (fault, says) in [
        (
            r#"{"fault": "stale", "value": "10.0.2.20"}"#,
            "answers 10.0.2.20",
        ),
        (r#"{"fault": "extra"}"#, "answers 10.0.1.10, 192.0.2.250"),
        (
            r#"{"fault": "cname"}"#,
            "answers a CNAME to elsewhere.example.net.",
        ),
        (r#"{"fault": "other_owner"}"#, "an answer for another name"),
        (r#"{"fault": "servfail"}"#, "Server Failure"),
        (r#"{"fault": "nxdomain"}"#, "NXDOMAIN"),
        (r#"{"fault": "huge"}"#, "198.51.0.1"),
        (
            r#"{"fault": "wrong_id"}"#,
            "a reply with another ID, and no answer",
        ),
        (r#"{"fault": "garbage"}"#, "no DNS message, and no answer"),
        (r#"{"fault": "drop"}"#, "no answer within"),
    ] {
        dns.set(fault);
        let before = api_requests(&front);
        let out = check(&c);
        // The record is right: the API read says so, and the check passes.
        out.ok().says(says).says("the Route 53 API decides");
        assert!(api_requests(&front) > before, "{fault}: no API read: {out}");
    }
}

#[test]
fn a_record_changed_behind_the_kits_back_is_caught_on_the_first_check() {
    let (front, _dns, c) = ready_with_dns("");
    c.r53(&["set", &c.zone, HOST, "A", "10", "192.0.2.99"]);
    let before = api_requests(&front);
    let out = check(&c);
    out.status(1)
        .says("answers 192.0.2.99")
        .says("the Route 53 API decides")
        .says(":053022:");
    assert!(api_requests(&front) > before);
}

#[test]
fn dns_that_never_answers_costs_at_most_its_time_limit_and_fails_nothing() {
    let (front, dns, c) = ready_with_dns("ROUTE53_CHECK_DNS_TIMEOUT=1\n");
    dns.set(r#"{"fault": "drop"}"#);
    let before = api_requests(&front);
    let out = check(&c);
    out.ok()
        .says("no answer for app.example.com (127.0.0.1:")
        .says("no answer within");
    assert!(api_requests(&front) > before);
    // Nobody listening at all: the same.
    c.set_defaults("ROUTE53_CHECK_DNS=127.0.0.1:9,[::1]:9\n");
    check(&c).ok().says("the Route 53 API decides");
}

#[test]
fn only_quickcheck_trusts_dns() {
    let (front, dns, c) = ready_with_dns("");
    // DNS says the record is right; restore reads and writes through the
    // API all the same.
    c.r53(&["set", &c.zone, HOST, "A", "10", "192.0.2.99"]);
    dns.set(r#"{"fault": "stale", "value": "10.0.1.10"}"#);
    let before = api_requests(&front);
    c.perform(NODE1, "restore", TAG).ok();
    assert!(api_requests(&front) > before + 1);
    assert_eq!(c.record(), format!("{ADDR1} 10"));
    assert_eq!(dns.queries(), (0, 0), "restore asked DNS");
}

#[test]
fn off_and_a_bad_value_ask_no_dns() {
    let (front, dns, c) = ready_with_dns("");
    c.set_defaults("ROUTE53_CHECK_DNS=off\n");
    let before = api_requests(&front);
    check(&c).ok();
    assert!(api_requests(&front) > before);
    // A value that names no server: named, and the default (auto: the
    // resolv.conf the harness gives, which lists none) used.
    c.set_defaults("ROUTE53_CHECK_DNS=dns.example.com\n");
    check(&c).ok().says(&format!(
        "{}:1: ROUTE53_CHECK_DNS=\"dns.example.com\": \"dns.example.com\" is no server",
        c.defaults.display()
    ));
    assert_eq!(dns.queries(), (0, 0));
}

#[test]
fn doctor_shows_what_clients_see_beside_the_record() {
    let (_front, dns, c) = ready_with_dns("");
    let d = c.lkroute53(NODE1, &["doctor", TAG]);
    d.prints(&format!(
        "clients asking 127.0.0.1:{} see 10.0.1.10",
        dns.port
    ))
    .prints("the record holds 10.0.1.10");
    dns.set(r#"{"fault": "nxdomain"}"#);
    let d = c.lkroute53(NODE1, &["doctor", TAG]);
    d.prints("cannot see the zone");
}
