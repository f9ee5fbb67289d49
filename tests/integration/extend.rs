//! Create on node1, extend to node2: one hierarchy across the cluster, tied
//! by SHARED equivalencies, and every failure leaving both nodes as they
//! were.

use crate::util::*;

fn extend(c: &Cluster, node: &str, from: &str, ip: &str) -> Out {
    c.lkroute53(
        node,
        &["extend", "--tag", TAG, "--from", from, "--ip-tag", ip],
    )
}

fn eqvs(c: &Cluster, node: &str) -> String {
    c.lcd(node, "eqv_list", &["-f", "|"]).ok().stdout.clone()
}

#[test]
fn extend_then_switch_over_both_ways() {
    let moto = Moto::shared();
    let c = Cluster::new(&moto.url());
    c.create(NODE1, ADDR1).ok();
    extend(&c, NODE2, NODE1, &ip_tag(ADDR2))
        .ok()
        .says("SHARED with r53-app on node1");

    assert_eq!(
        eqvs(&c, NODE1).trim(),
        "node1|r53-app|node2|r53-app|SHARED|1|10"
    );
    assert_eq!(
        eqvs(&c, NODE2).trim(),
        "node2|r53-app|node1|r53-app|SHARED|10|1"
    );
    let line = c
        .lcd(NODE2, "ins_list", &["-t", TAG, "-f", "|"])
        .ok()
        .stdout
        .clone();
    assert!(line.contains(&format!("|{} {HOST}|", c.zone)), "{line}");
    let deps = c
        .lcd(NODE2, "dep_list", &["-c", TAG, "-f", "|"])
        .ok()
        .stdout
        .clone();
    assert_eq!(deps.trim(), format!("{TAG}|{}", ip_tag(ADDR2)));
    c.lkroute53(NODE2, &["status", TAG])
        .prints("equivalency  r53-app on node1 (SHARED; priority 10 here, 1 there)");

    c.action(NODE1, "restore", TAG).ok();
    assert_eq!(c.record(), format!("{ADDR1} 10"));
    c.action(NODE1, "remove", TAG).ok();
    c.action(NODE2, "restore", TAG).ok();
    assert_eq!(c.record(), format!("{ADDR2} 10"));
    c.action(NODE2, "quickCheck", TAG).ok();
    c.action(NODE2, "remove", TAG).ok();
    c.action(NODE1, "restore", TAG).ok();
    assert_eq!(c.record(), format!("{ADDR1} 10"));

    // delete on node2 unties both sides and leaves node1's resource.
    c.lkroute53(NODE2, &["delete", TAG]).ok();
    assert_eq!(eqvs(&c, NODE1), "");
    assert_eq!(eqvs(&c, NODE2), "");
    c.lkroute53(NODE1, &["list"]).ok().prints(TAG);
    c.action(NODE1, "quickCheck", TAG).ok();
}

#[test]
fn extend_with_a_priority() {
    let moto = Moto::shared();
    let c = Cluster::new(&moto.url());
    c.create(NODE1, ADDR1).ok();
    c.lkroute53(
        NODE2,
        &[
            "extend",
            "--tag",
            TAG,
            "--from",
            NODE1,
            "--ip-tag",
            &ip_tag(ADDR2),
            "--priority",
            "20",
        ],
    )
    .ok();
    assert_eq!(
        eqvs(&c, NODE1).trim(),
        "node1|r53-app|node2|r53-app|SHARED|1|20"
    );
    c.lkroute53(
        NODE2,
        &[
            "extend",
            "--tag",
            "x",
            "--from",
            NODE1,
            "--ip-tag",
            &ip_tag(ADDR2),
            "--priority",
            "1",
        ],
    )
    .status(3)
    .says("between 2 and 999");
}

#[test]
fn each_failure_leaves_both_nodes_as_they_were() {
    let moto = Moto::shared();
    let c = Cluster::new(&moto.url());
    c.create(NODE1, ADDR1).ok();
    let both = || format!("{}\n==\n{}", c.lcd_db(NODE1), c.lcd_db(NODE2));
    let before = both();

    // A node that cannot be reached (LCD exit 9).
    extend(&c, NODE2, "node3", &ip_tag(ADDR2))
        .status(3)
        .says("node cannot be reached");
    assert_eq!(both(), before);
    // The template is not a Route 53 resource.
    c.lkroute53(
        NODE2,
        &[
            "extend",
            "--tag",
            &ip_tag(ADDR1),
            "--from",
            NODE1,
            "--ip-tag",
            &ip_tag(ADDR2),
        ],
    )
    .status(3)
    .says("not gen/route53");
    // No such template.
    c.lkroute53(
        NODE2,
        &[
            "extend",
            "--tag",
            "nosuch",
            "--from",
            NODE1,
            "--ip-tag",
            &ip_tag(ADDR2),
        ],
    )
    .status(3)
    .says("nosuch on node1");
    // The local IP resource is missing.
    extend(&c, NODE2, NODE1, "ip-nothere")
        .status(3)
        .says("ip-nothere");
    assert_eq!(both(), before);

    // The equivalency on the template node fails: everything made here is undone.
    c.lcd_faults(
        NODE1,
        r#"{"eqv_create": {"exit": 1, "stderr": "eqv_create: LCD busy\n"}}"#,
    );
    extend(&c, NODE2, NODE1, &ip_tag(ADDR2))
        .status(3)
        .says("LCD busy")
        .says("undid what it had made");
    assert_eq!(both(), before);
    std::fs::remove_file(c.root(NODE1).join("lcd/faults.json")).expect("clear faults");

    // TAG already taken here.
    c.create(NODE2, ADDR2).ok();
    extend(&c, NODE2, NODE1, &ip_tag(ADDR2))
        .status(3)
        .says("already exists");
}

#[test]
fn extend_warns_when_both_nodes_publish_the_same_address() {
    let moto = Moto::shared();
    let c = Cluster::new(&moto.url());
    c.add_node("node3", ADDR1);
    c.create(NODE1, ADDR1).ok();
    extend(&c, "node3", NODE1, &ip_tag(ADDR1))
        .ok()
        .says("the same address as ip-10.0.1.10 on node1");
}
