//! An Availability Zone fails: several nodes, each with its own LCD and
//! lock folder, restore their resources at once against one account's
//! quotas (tests/fixtures/front.py --account, at a size that fits CI: a smaller
//! account for fewer restores). The first test keeps the endpoint's account
//! model honest; the second is the storm. Outcomes are counted, never
//! timed: how fast a storm ends is the benchmark's (bench/run.sh).

use crate::util::*;

/// One plain request through the endpoint: (status, body).
fn ask(l: &Front, method: &str, path: &str, body: &str) -> (u16, String) {
    r53::http(&l.url(), method, path, body)
}

fn upsert_body(names: &[&str]) -> String {
    let changes: String = names
        .iter()
        .map(|n| format!("<Change><Action>UPSERT</Action><ResourceRecordSet><Name>{n}</Name><Type>A</Type><TTL>10</TTL><ResourceRecords><ResourceRecord><Value>10.0.1.10</Value></ResourceRecord></ResourceRecords></ResourceRecordSet></Change>"))
        .collect();
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><ChangeResourceRecordSetsRequest xmlns="https://route53.amazonaws.com/doc/2013-04-01/"><ChangeBatch><Changes>{changes}</Changes></ChangeBatch></ChangeResourceRecordSetsRequest>"#
    )
}

#[test]
fn the_account_model_throttles_per_action_and_per_change_token_and_counts_the_tenant() {
    let moto = Moto::shared();
    let c = Cluster::new(&moto.url());
    let rrset = format!("/2013-04-01/hostedzone/{}/rrset", c.zone);

    // A generous account but a tight action bucket for reads: the third
    // read at once is throttled while a change still goes through.
    let l = Front::account(
        moto.port,
        &[
            "--rate",
            "100",
            "--burst",
            "100",
            "--action-rate",
            "0.01",
            "--action-burst",
            "2",
        ],
    );
    let reads: Vec<u16> = (0..3).map(|_| ask(&l, "GET", &rrset, "").0).collect();
    assert_eq!(reads, [200, 200, 400]);
    assert_eq!(ask(&l, "POST", &rrset, &upsert_body(&[HOST])).0, 200);

    // Change tokens: an UPSERT costs 2; a bucket of 5 takes two, and a
    // batch of three records (6 tokens) never.
    let l = Front::account(
        moto.port,
        &["--change-tokens", "5", "--change-refill", "0.01"],
    );
    let one = upsert_body(&[HOST]);
    assert_eq!(ask(&l, "POST", &rrset, &one).0, 200);
    assert_eq!(ask(&l, "POST", &rrset, &one).0, 200);
    assert_eq!(ask(&l, "POST", &rrset, &one).0, 400);
    let counts = l.counts();
    assert_eq!(counts["accepted"][HOST], 2, "{counts}");

    // Each accepted change has an ID of its own (moto gives one to all).
    let l = Front::account(moto.port, &["--insync-after", "30"]);
    let ids: Vec<String> = (0..2)
        .map(|_| {
            let (_, body) = ask(&l, "POST", &rrset, &one);
            body.split("<Id>/change/")
                .nth(1)
                .and_then(|r| r.split('<').next())
                .expect("a change ID")
                .to_string()
        })
        .collect();
    assert_ne!(ids[0], ids[1]);

    // The tenant spends the account's tokens: with a burst of 3 refilled
    // slowly, the kit finds them gone.
    let l = Front::account(
        moto.port,
        &["--rate", "0.01", "--burst", "3", "--tenant-rate", "50"],
    );
    wait_for("the tenant to spend the burst", || {
        l.counts()["tenant"]["throttled"].as_u64().unwrap_or(0) > 0
    });
    assert_eq!(ask(&l, "GET", &rrset, "").0, 400);
}

const NODES: usize = 8;
const PER_NODE: usize = 2;

/// One restore of a storm: node, address, tag, host.
type Planned = (String, String, String, String);

/// NODES x PER_NODE resources on nodes of their own, each record first at
/// another address, all restored at once through an account with these
/// front.py options: the plan (node, address, tag, host), the front, and
/// each restore's outcome.
fn storm(options: &[&str]) -> (Cluster, Vec<Planned>, Front, Vec<Out>) {
    let moto = Moto::shared();
    let mut c = Cluster::new(&moto.url());
    let mut plan = Vec::new();
    for n in 0..NODES {
        let (node, addr) = (format!("z{n}"), format!("10.0.9.{}", 10 + n));
        c.add_node(&node, &addr);
        for r in 0..PER_NODE {
            let (tag, host) = (format!("r53-{r}"), format!("{node}-{r}.example.com"));
            // As create makes it (create itself is tested elsewhere).
            let (id, info) = (
                format!("route53:{}:{host}", c.zone),
                format!("{} {host}", c.zone),
            );
            c.lcd(
                &node,
                "ins_create",
                &[
                    "-a", "gen", "-r", "route53", "-t", &tag, "-i", &id, "-v", &info,
                ],
            )
            .ok();
            c.lcd(&node, "dep_create", &["-p", &tag, "-c", &ip_tag(&addr)])
                .ok();
            c.r53(&["set", &c.zone, &host, "A", "10", "192.0.2.99"]);
            plan.push((node.clone(), addr.clone(), tag, host));
        }
    }
    let limited = Front::account(moto.port, options);
    c.endpoint = limited.url();
    c.set_defaults("");
    let running: Vec<Running> = plan
        .iter()
        .map(|(node, _, tag, _)| c.start_action(node, "restore", tag))
        .collect();
    let outs = running.into_iter().map(Running::finish).collect();
    (c, plan, limited, outs)
}

/// Every restore succeeded, every record holds its node's address, and
/// no record's change was accepted twice.
fn all_right(
    c: &Cluster,
    plan: &[(String, String, String, String)],
    limited: &Front,
    outs: &[Out],
) {
    for out in outs {
        out.ok();
    }
    for (_, addr, _, host) in plan {
        assert_eq!(c.r53(&["get", &c.zone, host, "A"]), format!("{addr} 10"));
    }
    let counts = limited.counts();
    let accepted = counts["accepted"].as_object().expect("accepted");
    for (_, _, _, host) in plan {
        assert_eq!(
            accepted[host.as_str()],
            1,
            "{host} accepted more than once: {counts}"
        );
    }
}

// An account of a fifth of Route 53's for a sixth of the restores: the
// first requests of all cannot go at once, and a tenant spends too.
const SMALL_ACCOUNT: [&str; 8] = [
    "--rate",
    "2",
    "--burst",
    "8",
    "--insync-after",
    "4",
    "--tenant-rate",
    "0.4",
];

#[test]
fn nodes_failing_over_together_end_with_every_record_right_and_each_change_accepted_once() {
    let (c, plan, limited, outs) = storm(&SMALL_ACCOUNT);
    all_right(&c, &plan, &limited, &outs);
    let counts = limited.counts();
    let (requests, throttled) = limited.stats();
    let restores = plan.len() as u64;
    assert!(throttled > 0, "no storm at all: {counts}");
    assert!(
        requests <= 5 * restores,
        "{requests} requests for {restores} restores: {counts}"
    );
}

#[test]
fn a_busy_zone_is_waited_out_without_spending_tries_and_said_once_a_run() {
    // The zone is still applying a change for 2 s after each: eight
    // changes spread over the storm's window cannot all keep 2 s apart, so
    // some are first answered PriorRequestNotComplete (with 0.5 s, the
    // spread storm sometimes kept them apart, and the zone was never busy).
    let mut options = SMALL_ACCOUNT.to_vec();
    options.extend(["--busy-after-change", "2000"]);
    let (c, plan, limited, outs) = storm(&options);
    all_right(&c, &plan, &limited, &outs);
    let counts = limited.counts();
    assert!(
        counts["prior_request"].as_u64().unwrap_or(0) > 0,
        "the zone was never busy: {counts}"
    );
    let mut said = 0;
    for out in &outs {
        let n = out.stderr.matches(":053029:").count();
        assert!(n <= 1, "said {n} times in one run: {}", out.stderr);
        said += n;
        // Not a failed try of the record.
        out.not_says(":053024:");
    }
    assert!(said > 0, "no run said the zone was busy");
}

/// The seconds a restore's log says its change took to turn INSYNC, and
/// the status checks it made.
fn insync(out: &Out) -> (f64, u32) {
    let line = out
        .stderr
        .lines()
        .find(|l| l.contains(":053014:"))
        .unwrap_or_else(|| panic!("no INSYNC line: {}", out.stderr));
    let after = line.split("INSYNC after ").nth(1).expect("elapsed");
    let secs: f64 = after
        .split(' ')
        .next()
        .and_then(|s| s.parse().ok())
        .expect("seconds");
    let checks: u32 = after
        .split('(')
        .nth(1)
        .and_then(|s| s.split(' ').next())
        .and_then(|s| s.parse().ok())
        .expect("checks");
    (secs, checks)
}

#[test]
fn a_lone_node_throttled_checks_when_its_changes_usually_turn_insync() {
    // Changes PENDING for 3 s, default settings (a storm's first check
    // would come 30 s after the change was accepted). The node learns how
    // long its changes take from a calm restore; throttled twice, it then
    // checks when they usually turn INSYNC; and the restore after that,
    // with the node still remembering the storm, likewise.
    let (moto, mut c) = ready();
    let front = Front::start(moto.port, &["--own-change-ids", "--insync-after", "3"]);
    c.endpoint = front.url();
    c.set_defaults("");
    let mut seen = Vec::new();
    for throttles in [0, 2, 0] {
        c.r53(&["set", &c.zone, HOST, "A", "10", "192.0.2.99"]);
        front.set(|r| r.throttle_changes = throttles);
        let out = c.perform(NODE1, "restore", TAG);
        out.ok();
        assert_eq!(
            out.stderr.matches(":053018:").count(),
            throttles,
            "{}",
            out.stderr
        );
        assert_eq!(c.record(), format!("{ADDR1} 10"));
        seen.push(insync(&out));
    }
    let [(calm, calm_checks), (throttled, throttled_checks), (after, after_checks)] = seen[..]
    else {
        unreachable!()
    };
    // Calm: checked from 1 s on, 1.25 s apart.
    assert!((3.0..6.0).contains(&calm) && calm_checks >= 2, "{seen:?}");
    // Throttled: a check or two from when the node's changes usually turn
    // INSYNC, not a storm's 30 s.
    assert!(
        (3.0..10.0).contains(&throttled) && throttled_checks <= 3,
        "{seen:?}"
    );
    assert!(
        (3.0..10.0).contains(&after) && after_checks <= 3,
        "{seen:?}"
    );
}
