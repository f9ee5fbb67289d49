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

#[test]
fn nodes_failing_over_together_end_with_every_record_right_and_each_change_accepted_once() {
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
    // An account of a fifth of Route 53's for a sixth of the restores: the
    // first requests of all cannot go at once, and a tenant spends too.
    let limited = Front::account(
        moto.port,
        &[
            "--rate",
            "2",
            "--burst",
            "8",
            "--insync-after",
            "4",
            "--tenant-rate",
            "0.4",
        ],
    );
    c.endpoint = limited.url();
    c.set_defaults("");
    let running: Vec<Running> = plan
        .iter()
        .map(|(node, _, tag, _)| c.start_action(node, "restore", tag))
        .collect();
    for out in running.into_iter().map(Running::finish) {
        out.ok();
    }
    for (_, addr, _, host) in &plan {
        assert_eq!(c.r53(&["get", &c.zone, host, "A"]), format!("{addr} 10"));
    }
    let counts = limited.counts();
    let accepted = counts["accepted"].as_object().expect("accepted");
    for (_, _, _, host) in &plan {
        assert_eq!(
            accepted[host.as_str()],
            1,
            "{host} accepted more than once: {counts}"
        );
    }
    let (requests, throttled) = limited.stats();
    let restores = plan.len() as u64;
    assert!(throttled > 0, "no storm at all: {counts}");
    assert!(
        requests <= 5 * restores,
        "{requests} requests for {restores} restores: {counts}"
    );
}
