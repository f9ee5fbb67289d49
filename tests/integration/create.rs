//! `lkroute53 create`: every check before any change, and a failure leaves
//! the LCD exactly as it was.

use crate::util::*;

fn create(c: &Cluster, tag: &str, zone: &str, host: &str, ip: &str) -> Out {
    c.lkroute53(
        NODE1,
        &[
            "create",
            "--tag",
            tag,
            "--zone-id",
            zone,
            "--hostname",
            host,
            "--ip-tag",
            ip,
        ],
    )
}

#[test]
fn create_stores_zone_and_host_and_depends_on_the_ip_resource() {
    let moto = Moto::shared();
    let c = Cluster::new(&moto.url());
    create(
        &c,
        TAG,
        &format!("/hostedzone/{}", c.zone),
        "App.Example.com.",
        &ip_tag(ADDR1),
    )
    .ok();
    let line = c
        .lcd(NODE1, "ins_list", &["-t", TAG, "-f", ":"])
        .ok()
        .stdout
        .clone();
    assert!(
        line.starts_with(&format!(
            "node1:gen:route53:{TAG}:route53:{}:app.example.com:{} app.example.com:OSU",
            c.zone, c.zone
        )),
        "{line}"
    );
    let deps = c
        .lcd(NODE1, "dep_list", &["-c", TAG, "-f", ":"])
        .ok()
        .stdout
        .clone();
    assert_eq!(deps.trim(), format!("{TAG}:{}", ip_tag(ADDR1)));
}

#[test]
fn each_bad_request_is_named_and_changes_nothing() {
    let moto = Moto::shared();
    let c = Cluster::new(&moto.url());
    let zone = c.zone.clone();
    let ip = ip_tag(ADDR1);
    let before = c.lcd_db(NODE1);
    let cases: Vec<(Vec<&str>, i32, &str)> = vec![
        (
            vec![TAG, &zone, HOST, "ip-nothere"],
            3,
            "no resource with tag \"ip-nothere\"",
        ),
        (
            vec![TAG, "ZNOSUCHZONE123", HOST, &ip],
            4,
            "NoSuchHostedZone",
        ),
        (
            vec![TAG, &zone, "app.example.org", &ip],
            3,
            "not inside zone",
        ),
        (vec![TAG, &zone, "*.example.com", &ip], 3, "no wildcards"),
        (vec![TAG, "Z/../x", HOST, &ip], 3, "not a hosted zone ID"),
        (
            vec!["bad tag", &zone, HOST, &ip],
            3,
            "contains the character ' '",
        ),
    ];
    for (args, status, text) in cases {
        create(&c, args[0], args[1], args[2], args[3])
            .status(status)
            .says(text);
        assert_eq!(c.lcd_db(NODE1), before, "the LCD changed after {args:?}");
    }
}

#[test]
fn a_taken_tag_or_a_non_ip_child_is_refused() {
    let moto = Moto::shared();
    let c = Cluster::new(&moto.url());
    let zone = c.zone.clone();
    create(&c, TAG, &zone, HOST, &ip_tag(ADDR1)).ok();
    let before = c.lcd_db(NODE1);
    create(&c, TAG, &zone, "other.example.com", &ip_tag(ADDR1))
        .status(3)
        .says("already exists");
    create(&c, "r53-two", &zone, "two.example.com", TAG)
        .status(3)
        .says("not comm/ip");
    assert_eq!(c.lcd_db(NODE1), before);
}

#[test]
fn a_routing_policy_record_at_the_name_is_left_alone() {
    let moto = Moto::shared();
    let c = Cluster::new(&moto.url());
    c.r53(&[
        "set-weighted",
        &c.zone,
        HOST,
        "60",
        "192.0.2.5",
        "blue",
        "10",
    ]);
    let before = c.lcd_db(NODE1);
    let zone = c.zone.clone();
    create(&c, TAG, &zone, HOST, &ip_tag(ADDR1))
        .status(4)
        .says("is a weighted routing-policy record (set identifier \"blue\", 192.0.2.5), which the kit does not manage");
    assert_eq!(c.lcd_db(NODE1), before);
}

#[test]
fn a_failed_dependency_rolls_the_new_resource_back() {
    let moto = Moto::shared();
    let c = Cluster::new(&moto.url());
    let before = c.lcd_db(NODE1);
    c.lcd_faults(
        NODE1,
        r#"{"dep_create": {"exit": 1, "stderr": "dep_create: LCD is busy\n"}}"#,
    );
    let zone = c.zone.clone();
    create(&c, TAG, &zone, HOST, &ip_tag(ADDR1))
        .status(3)
        .says("dep_create")
        .says("LCD is busy")
        .says("removed what it had made of r53-app again");
    assert_eq!(c.lcd_db(NODE1), before);
}

#[test]
fn a_failed_rollback_says_how_to_clean_up() {
    let moto = Moto::shared();
    let c = Cluster::new(&moto.url());
    c.lcd_faults(
        NODE1,
        r#"{"dep_create": {"exit": 1, "stderr": "busy\n"}, "ins_remove": {"exit": 1, "stderr": "also busy\n"}}"#,
    );
    let zone = c.zone.clone();
    create(&c, TAG, &zone, HOST, &ip_tag(ADDR1))
        .status(3)
        .says("what it had made could not be removed again")
        .says(&format!("ins_remove -t {TAG}"));
}
