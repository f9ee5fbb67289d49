//! A whole node failing over at once: many restores on one node, each its
//! own process, against an endpoint with an account's rate limit
//! (tests/fixtures/front.py --account, which the benchmark uses too). The first
//! test keeps that endpoint honest; the second shows the node's processes
//! sharing one request budget. Outcomes are counted (exit statuses,
//! throttled requests), never timed: the speed of a mass switchover is the
//! benchmark's (bench/run.sh).

use std::time::{Duration, Instant};

use crate::util::*;

/// One plain HTTP/1.1 request to a local port: (status, body).
fn http(port: u16, method: &str, path: &str, body: &str) -> (u16, String) {
    crate::util::r53::http(&format!("http://127.0.0.1:{port}"), method, path, body)
}

fn upsert_body(name: &str, addr: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><ChangeResourceRecordSetsRequest xmlns="https://route53.amazonaws.com/doc/2013-04-01/"><ChangeBatch><Changes><Change><Action>UPSERT</Action><ResourceRecordSet><Name>{name}</Name><Type>A</Type><TTL>10</TTL><ResourceRecords><ResourceRecord><Value>{addr}</Value></ResourceRecord></ResourceRecords></ResourceRecordSet></Change></Changes></ChangeBatch></ChangeResourceRecordSetsRequest>"#
    )
}

#[test]
fn the_rate_limited_endpoint_throttles_past_its_burst_and_holds_changes_pending() {
    let moto = Moto::shared();
    let c = Cluster::new(&moto.url());

    // A burst of 3, refilled at 1 a second: of 6 requests sent at once,
    // the first 3 are answered and the rest throttled, as Route 53 does.
    let tight = Front::account(
        moto.port,
        &["--rate", "1", "--burst", "3", "--insync-after", "0"],
    );
    let statuses: Vec<u16> = (0..6)
        .map(|_| http(tight.port, "GET", "/2013-04-01/hostedzone", "").0)
        .collect();
    assert_eq!(&statuses[..3], &[200, 200, 200], "{statuses:?}");
    assert!(statuses[3..].contains(&400), "{statuses:?}");
    let (_, body) = http(tight.port, "GET", "/2013-04-01/hostedzone", "");
    assert!(
        body.contains("<Code>Throttling</Code>") || body.contains("ListHostedZonesResponse"),
        "{body}"
    );
    let (requests, throttled) = tight.stats();
    assert_eq!(requests, 7);
    assert!(throttled >= 3, "{throttled} of {requests}");

    // A change is PENDING in its answer and in GetChange until 2 s after
    // it was accepted, then INSYNC.
    let slow = Front::account(
        moto.port,
        &["--rate", "100", "--burst", "100", "--insync-after", "2"],
    );
    let accepted = Instant::now();
    let (status, body) = http(
        slow.port,
        "POST",
        &format!("/2013-04-01/hostedzone/{}/rrset", c.zone),
        &upsert_body(HOST, ADDR1),
    );
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("<Status>PENDING</Status>"), "{body}");
    let id = body
        .split("<Id>/change/")
        .nth(1)
        .and_then(|r| r.split('<').next())
        .expect("a change ID")
        .to_string();
    let (_, first) = http(slow.port, "GET", &format!("/2013-04-01/change/{id}"), "");
    assert!(first.contains("<Status>PENDING</Status>"), "{first}");
    wait_for("the change to be INSYNC", || {
        http(slow.port, "GET", &format!("/2013-04-01/change/{id}"), "")
            .1
            .contains("<Status>INSYNC</Status>")
    });
    assert!(accepted.elapsed() >= Duration::from_secs(2));
    assert_eq!(c.record(), format!("{ADDR1} 10"));
}

const RESOURCES: usize = 10;

/// The kit's resources r53-0 .. r53-9 on node1 (host names h0 .. h9),
/// each over node1's IP resource, and the record of each set elsewhere.
fn many(c: &Cluster) -> Vec<(String, String)> {
    let ip = ip_tag(ADDR1);
    let all: Vec<(String, String)> = (0..RESOURCES)
        .map(|i| (format!("r53-{i}"), format!("h{i}.example.com")))
        .collect();
    for (tag, host) in &all {
        c.lkroute53(
            NODE1,
            &[
                "create",
                "--tag",
                tag,
                "--zone-id",
                &c.zone,
                "--hostname",
                host,
                "--ip-tag",
                &ip,
            ],
        )
        .ok();
    }
    all
}

fn tamper(c: &Cluster, all: &[(String, String)]) {
    for (_, host) in all {
        c.r53(&["set", &c.zone, host, "A", "10", "192.0.2.99"]);
    }
}

/// moto, the cluster, and node1's resources (see [`many`]), each record
/// holding another address.
fn moved_elsewhere() -> (&'static Moto, Cluster, Vec<(String, String)>) {
    let moto = Moto::shared();
    let c = Cluster::new(&moto.url());
    let all = many(&c);
    tamper(&c, &all);
    (moto, c, all)
}

/// Every resource restored at once, each its own process; their outputs.
fn restore_all(c: &Cluster, all: &[(String, String)]) -> Vec<Out> {
    let running: Vec<Running> = all
        .iter()
        .map(|(tag, _)| c.start_action(NODE1, "restore", tag))
        .collect();
    running.into_iter().map(Running::finish).collect()
}

#[test]
fn a_whole_node_restored_at_once_shares_one_budget_and_every_restore_succeeds() {
    let (moto, mut c, all) = moved_elsewhere();

    // The account allows 10 requests a second with a burst of 10; the
    // node's budget is 4 a second with a burst of 4. Each change is INSYNC
    // 2 s after it was accepted.
    let limited = Front::account(
        moto.port,
        &["--rate", "10", "--burst", "10", "--insync-after", "2"],
    );
    c.endpoint = limited.url();
    c.set_defaults("ROUTE53_API_RATE=4\nROUTE53_API_BURST=4\nROUTE53_CHANGEID_INTERVAL=6\n");
    let outs = restore_all(&c, &all);
    for out in &outs {
        // Each read its record before and after (053015: what the
        // verifying read saw).
        out.ok().says("INSYNC after").says(":053015:");
    }
    let (requests, throttled) = limited.stats();
    assert_eq!(throttled, 0, "{throttled} of {requests} requests throttled");
    // Their reads went together (group read), their UPSERTs in batches
    // (group commit), each record accepted once.
    let counts = limited.counts();
    let reads = counts["by_operation"]["read"]["requests"]
        .as_u64()
        .unwrap_or(0);
    assert!(reads < 2 * RESOURCES as u64, "no read shared: {counts}");
    let changes = counts["by_operation"]["change"]["requests"]
        .as_u64()
        .unwrap_or(0);
    assert!(changes < RESOURCES as u64, "no batch: {counts}");
    for (_, host) in &all {
        assert_eq!(counts["accepted"][host.as_str()], 1, "{counts}");
    }
    for (_, host) in &all {
        assert_eq!(c.r53(&["get", &c.zone, host, "A"]), format!("{ADDR1} 10"));
    }

    // The same node without a budget worth the name, against an account
    // that allows 1 a second with a burst of 2 (the node's restores share
    // their reads and their change, so they ask little): the endpoint
    // throttles (the kit's own retries may still carry the restores
    // through).
    tamper(&c, &all);
    let open = Front::account(
        moto.port,
        &["--rate", "1", "--burst", "2", "--insync-after", "2"],
    );
    c.endpoint = open.url();
    c.set_defaults("ROUTE53_API_RATE=1000\nROUTE53_API_BURST=1000\nROUTE53_CHANGEID_INTERVAL=6\n");
    restore_all(&c, &all);
    let (requests, throttled) = open.stats();
    assert!(
        throttled > 0,
        "without the budget, {requests} requests and none throttled"
    );
}

/// A restore that starts while another restore of its node is sending a
/// change of the zone (as a node's restores start a moment apart when a
/// storm begins, before any was throttled) does not read its record
/// first: it queues its change, which goes with that one or right after
/// it, and verifies it as ever.
#[test]
fn a_restore_that_finds_its_nodes_change_of_the_zone_under_way_writes_without_reading_first() {
    let (moto, mut c, all) = moved_elsewhere();
    let front = Front::faults(
        moto.port,
        Rules {
            hold_changes: true,
            ..Rules::default()
        },
    );
    c.endpoint = front.url();
    let (first_tag, first_host) = &all[0];
    let (second_tag, second_host) = &all[1];

    let first = c.start_action_on(NODE1, "restore", first_tag, first_host);
    // The first restore read its record and sent its change, which the
    // endpoint holds unanswered: the node's batch of the zone is open.
    wait_for("the first restore's change", || {
        front.count("POST", "/rrset") == 1
    });
    let second = c.start_action_on(NODE1, "restore", second_tag, second_host);
    let queue = c
        .root(NODE1)
        .join("locks")
        .join(format!("batch.{}", c.zone));
    wait_for("the second restore's change queued", || {
        std::fs::read_to_string(&queue).is_ok_and(|q| q.contains(second_host.as_str()))
    });
    front.set(|r| r.hold_changes = false);
    first.finish().ok().says(":053015:");
    second
        .finish()
        .ok()
        .says(&format!(":053033:another restore on this node is sending a change of zone {} now: the A record {second_host} is not read before the UPSERT", c.zone))
        .says(":053015:");

    // What the endpoint saw: the first restore's read of its record
    // alone, its change; then no read before the second's change but
    // the first's verifying read (of its own record alone: the second
    // withdrew the read it announced as it began).
    let seen: Vec<String> = front
        .seen()
        .iter()
        .map(|s| match s.method.as_str() {
            "POST" if s.body.contains(&format!("<Name>{first_host}</Name>")) => "change h0".into(),
            "POST" if s.body.contains(&format!("<Name>{second_host}</Name>")) => "change h1".into(),
            _ => s.path.split("rrset?").nth(1).unwrap_or(&s.path).to_string(),
        })
        .collect();
    let its_change = seen
        .iter()
        .position(|s| s == "change h1")
        .expect("the second restore's change");
    assert_eq!(
        seen[..2],
        ["name=h0.example.com&type=A&maxitems=1", "change h0"],
        "{seen:?}"
    );
    assert!(
        seen[2..its_change]
            .iter()
            .all(|s| s == "name=h0.example.com&type=A&maxitems=1"),
        "a read before the second restore's change other than the first's own: {seen:?}"
    );
    for host in [first_host, second_host] {
        assert_eq!(c.r53(&["get", &c.zone, host, "A"]), format!("{ADDR1} 10"));
    }
}
