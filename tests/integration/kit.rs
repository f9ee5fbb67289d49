//! The kit end to end: installed actions and `lkroute53` against moto and
//! a simulated two-node LifeKeeper cluster.

use crate::util::*;

#[test]
fn restore_check_tamper_recover_and_switch_over() {
    let (_moto, c) = ready();
    assert_eq!(c.record(), "none");

    c.action(NODE1, "restore", TAG).ok().says("INSYNC");
    assert_eq!(c.record(), format!("{ADDR1} 10"));
    c.action(NODE1, "quickCheck", TAG).ok();

    // restore on an in-service resource succeeds without a change.
    c.action(NODE1, "restore", TAG)
        .ok()
        .says("no change made")
        .not_says("accepted the change");

    // Someone repoints the record: quickCheck fails, recover repairs.
    c.r53(&["set", &c.zone, HOST, "A", "300", "192.0.2.99"]);
    c.action(NODE1, "quickCheck", TAG)
        .status(1)
        .says("192.0.2.99");
    c.action(NODE1, "recover", TAG).ok().says("holds 10.0.1.10");
    assert_eq!(c.record(), format!("{ADDR1} 10"));
    c.action(NODE1, "quickCheck", TAG).ok();

    // Switchover: remove leaves the record; node2's restore repoints it.
    c.action(NODE1, "remove", TAG).ok().says("left as it is");
    assert_eq!(c.record(), format!("{ADDR1} 10"));
    c.action(NODE2, "restore", TAG).ok();
    assert_eq!(c.record(), format!("{ADDR2} 10"));
    c.action(NODE2, "quickCheck", TAG).ok();
    // And back.
    c.action(NODE2, "remove", TAG).ok();
    c.action(NODE1, "restore", TAG).ok();
    assert_eq!(c.record(), format!("{ADDR1} 10"));
}

#[test]
fn a_record_with_an_extra_address_is_a_mismatch() {
    let (_moto, c) = ready();
    c.action(NODE1, "restore", TAG).ok();
    c.r53(&["set", &c.zone, HOST, "A", "10", ADDR1, ADDR2]);
    c.action(NODE1, "quickCheck", TAG).status(1);
    c.action(NODE1, "recover", TAG).ok();
    assert_eq!(c.record(), format!("{ADDR1} 10"));
}

#[test]
fn deleted_record_is_missing_even_beside_a_txt_record_and_a_deeper_name() {
    let (_moto, c) = ready();
    c.action(NODE1, "restore", TAG).ok();
    c.r53(&["set", &c.zone, HOST, "TXT", "60", "\"keep me\""]);
    c.r53(&[
        "set",
        &c.zone,
        &format!("deeper.{HOST}"),
        "A",
        "60",
        "192.0.2.7",
    ]);
    c.r53(&["delete", &c.zone, HOST, "A"]);

    c.action(NODE1, "quickCheck", TAG)
        .status(1)
        .says("no A record");
    c.action(NODE1, "recover", TAG).ok();
    assert_eq!(c.record(), format!("{ADDR1} 10"));
    // The neighbours are untouched.
    assert_eq!(c.r53(&["get", &c.zone, HOST, "TXT"]), "\"keep me\" 60");
    assert_eq!(
        c.r53(&["get", &c.zone, &format!("deeper.{HOST}"), "A"]),
        "192.0.2.7 60"
    );
}

#[test]
fn the_kit_touches_no_other_record() {
    let (_moto, c) = ready();
    c.r53(&["set", &c.zone, "other.example.com", "A", "60", "192.0.2.1"]);
    c.r53(&["set", &c.zone, HOST, "AAAA", "60", "2001:db8::1"]);
    let before: Vec<String> = c
        .r53(&["names", &c.zone])
        .lines()
        .filter(|l| !l.starts_with(&format!("{HOST}. A ")))
        .map(str::to_string)
        .collect();
    c.action(NODE1, "restore", TAG).ok();
    c.action(NODE2, "restore", TAG).ok();
    let after: Vec<String> = c
        .r53(&["names", &c.zone])
        .lines()
        .filter(|l| !l.starts_with(&format!("{HOST}. A ")))
        .map(str::to_string)
        .collect();
    assert_eq!(before, after);
}

#[test]
fn a_changed_ttl_is_applied_at_the_next_restore() {
    let (_moto, c) = ready();
    c.action(NODE1, "restore", TAG).ok();
    assert_eq!(c.record(), format!("{ADDR1} 10"));
    c.set_defaults("ROUTE53_CHANGEID_INTERVAL=1\nROUTE53_TTL=60\n");
    // Only the TTL differs: quickCheck warns and passes.
    c.action(NODE1, "quickCheck", TAG)
        .ok()
        .says("holds 10.0.1.10 with TTL 10, where ROUTE53_TTL is 60");
    c.action(NODE1, "restore", TAG).ok();
    assert_eq!(c.record(), format!("{ADDR1} 60"));
}

#[test]
fn a_broken_settings_file_costs_warnings_not_the_service() {
    let (_moto, c) = ready();
    c.set_defaults(
        "# LifeKeeper defaults\nROUTE53_TTL=ten\nROUTE53_RECORD_TRY_COUNT 3\nROUTE53_RECORD_TRY_COUNT=0\nexport ROUTE53_CHANGEID_INTERVAL=\"1\"\nROUTE53_CHANGEID_TRY_COUNT=-4\n",
    );
    let defaults = c.defaults.display().to_string();
    c.action(NODE1, "restore", TAG)
        .ok()
        .says(&format!(
            "{defaults}:2: ROUTE53_TTL=\"ten\" is not a whole number; using the default 10 s"
        ))
        .says(&format!("{defaults}:3: line ignored"))
        .says(&format!(
            "{defaults}:4: ROUTE53_RECORD_TRY_COUNT=\"0\" must be at least 1"
        ))
        .says(&format!(
            "{defaults}:6: ROUTE53_CHANGEID_TRY_COUNT=\"-4\" is negative"
        ));
    assert_eq!(c.record(), format!("{ADDR1} 10"));
    c.action(NODE1, "quickCheck", TAG).ok();
}

#[test]
fn a_missing_settings_file_means_defaults() {
    let (_moto, c) = ready();
    c.action(NODE1, "restore", TAG).ok();
    std::fs::remove_file(&c.defaults).expect("remove defaults");
    c.action(NODE1, "quickCheck", TAG)
        .ok()
        .says("cannot open")
        .says("using the default of every ROUTE53_* setting");
}

#[test]
fn unreachable_api_fails_restore_but_never_quickcheck() {
    let (_moto, mut c) = ready();
    c.action(NODE1, "restore", TAG).ok();
    // Nothing listens on this port.
    c.endpoint = format!("http://127.0.0.1:{}", free_port());
    c.set_defaults("ROUTE53_CHANGEID_INTERVAL=1\nROUTE53_RECORDCHECK_TRY_COUNT=2\nROUTE53_RECORDCHECK_INTERVAL=0\nROUTE53_RECORD_TRY_COUNT=2\nROUTE53_RECORD_INTERVAL=0\nROUTE53_CONNECT_TIMEOUT=1\nROUTE53_READ_TIMEOUT=1\n");
    let q = c.action(NODE1, "quickCheck", TAG);
    row("connection refused (2 reads)", &q, &c);
    q.ok().says("could not read the A record").says("passing");
    let r = c.action(NODE1, "restore", TAG);
    row("connection refused (2 tries)", &r, &c);
    r.status(4).says(&c.endpoint.clone());
    assert_eq!(c.record(), format!("{ADDR1} 10"));
}

#[test]
fn a_missing_ip_dependency_fails_restore_and_is_reported_by_quickcheck() {
    let (_moto, c) = ready();
    c.lcd(NODE1, "dep_remove", &["-p", TAG, "-c", &ip_tag(ADDR1)])
        .ok();
    c.action(NODE1, "restore", TAG)
        .status(3)
        .says("depends on no IP resource");
    c.action(NODE1, "quickCheck", TAG)
        .ok()
        .says("ERROR:route53:quickCheck:r53-app:053091:cannot check");
    assert_eq!(c.record(), "none");
}

#[test]
fn an_ip_resource_without_an_address_is_named() {
    let (_moto, c) = ready();
    c.lcd(
        NODE1,
        "ins_setinfo",
        &["-t", &ip_tag(ADDR1), "-v", "node1 eth0"],
    )
    .ok();
    c.action(NODE1, "restore", TAG)
        .status(3)
        .says("IP resource \"ip-10.0.1.10\" holds no IPv4 address");
    c.lcd(
        NODE1,
        "ins_setinfo",
        &["-t", &ip_tag(ADDR1), "-v", "node1 eth0 fd00::10 64 none"],
    )
    .ok();
    c.action(NODE1, "restore", TAG).status(3).says("IPv6");
}

#[test]
fn hostile_tags_are_refused_and_reach_no_shell() {
    let (_moto, c) = ready();
    let canary = c.dir.join("pwned");
    let hostile = [
        format!("$(touch {})", canary.display()),
        format!("x;touch {}", canary.display()),
        "-t".to_string(),
        "a\nb".to_string(),
        "x".repeat(5000),
    ];
    for tag in &hostile {
        for action in ["restore", "quickCheck", "recover", "remove"] {
            let out = c.action(NODE1, action, tag);
            if action == "quickCheck" && out.status == 0 {
                // quickCheck never fails the service over for its own
                // trouble, but it says what was wrong.
                out.says("ERROR:route53:quickCheck").says("not usable");
            } else if action == "remove" {
                // remove never fails (a failed remove halts the node), but
                // it says what was wrong.
                out.ok().says("ERROR:route53:remove");
            } else {
                // The argument parser (2) or the tag check (3) refuses it.
                assert!(
                    matches!(out.status, 2 | 3),
                    "{action} accepted a hostile tag{out}"
                );
            }
        }
    }
    // A tag the LCD allows but that does not exist.
    c.action(NODE1, "restore", TAG.to_owned().as_str()).ok();
    let weird = format!("$(touch {})", canary.display());
    let zone = c.zone.clone();
    c.lkroute53(
        NODE1,
        &[
            "create",
            "--tag",
            &weird,
            "--zone-id",
            &zone,
            "--hostname",
            HOST,
            "--ip-tag",
            &ip_tag(ADDR1),
        ],
    )
    .status(3);
    assert!(!canary.exists(), "a tag reached a shell");
}

#[test]
fn a_resource_in_a_private_zone_leaves_the_public_zone_of_the_same_name_alone() {
    let moto = Moto::shared();
    let c = Cluster::new(&moto.url());
    let private = c.r53(&["create-zone", "example.com", "--private"]);
    c.r53(&["set", &c.zone, HOST, "A", "300", "198.51.100.1"]);
    c.lkroute53(
        NODE1,
        &[
            "create",
            "--tag",
            TAG,
            "--zone-id",
            &private,
            "--hostname",
            HOST,
            "--ip-tag",
            &ip_tag(ADDR1),
        ],
    )
    .ok()
    .says("private");
    c.action(NODE1, "restore", TAG).ok();
    assert_eq!(c.r53(&["get", &private, HOST, "A"]), format!("{ADDR1} 10"));
    assert_eq!(
        c.record(),
        "198.51.100.1 300",
        "the public zone's record changed"
    );
}

#[test]
fn remove_makes_no_api_call() {
    let (_moto, proxy, c) = ready_behind(Rules::default());
    c.action(NODE1, "restore", TAG).ok();
    let before = proxy.seen().len();
    assert!(before > 0, "the proxy saw the restore");
    c.action(NODE1, "remove", TAG).ok().says("left as it is");
    assert_eq!(proxy.seen().len(), before);
    assert_eq!(c.record(), format!("{ADDR1} 10"));
}

/// A weighted and an alias record at the resource's host name (the
/// `r53` helper's arguments to make each), and how the kit names each.
fn unmanaged_records(zone: &str) -> [(Vec<&str>, &'static str); 2] {
    [
        (
            vec!["set-weighted", zone, HOST, "60", "192.0.2.5", "blue", "10"],
            "is a weighted routing-policy record (set identifier \"blue\", 192.0.2.5), which the kit does not manage",
        ),
        (
            vec!["set-alias", zone, HOST, zone, "lb.example.com."],
            "is an alias record (target lb.example.com.), which the kit does not manage",
        ),
    ]
}

/// The decided cases of the verdict table, against the installed kit: a
/// record the kit does not manage is named; quickCheck never fails the
/// service over for it; restore, recover and create refuse it with exit 4
/// and leave it as it is.
#[test]
fn a_weighted_or_alias_record_is_named_never_failed_over_and_left_alone() {
    let (_moto, c) = ready();
    for (set, named) in unmanaged_records(&c.zone) {
        c.r53(&["delete", &c.zone, HOST, "A"]);
        c.r53(&set);
        let before = c.r53(&["names", &c.zone]);
        c.action(NODE1, "quickCheck", TAG)
            .ok()
            .says(&format!("ERROR:route53:quickCheck:{TAG}:053025:"))
            .says(named)
            .says("delete that record in Route 53 or give the resource a host name of its own")
            .says("passing, as no failover can mend it");
        for action in ["restore", "recover"] {
            c.action(NODE1, action, TAG)
                .status(4)
                .says(&format!("ERROR:route53:{action}:{TAG}:053025:"))
                .says(named)
                .not_says(", not ");
        }
        c.lkroute53(NODE1, &["status", TAG]).status(1).prints(named);
        let zone = c.zone.clone();
        c.lkroute53(
            NODE1,
            &[
                "create",
                "--tag",
                "r53-two",
                "--zone-id",
                &zone,
                "--hostname",
                HOST,
                "--ip-tag",
                &ip_tag(ADDR1),
            ],
        )
        .status(4)
        .says(named);
        assert_eq!(c.r53(&["names", &c.zone]), before, "a record changed");
    }
}

/// A restore whose first read Route 53 throttles sends its UPSERT without
/// the read (the node is then in a storm): where a weighted or alias record
/// stands at the name, Route 53 (the front, as Route 53 does) refuses the
/// plain A UPSERT, and the kit reads the record to name it, exits 4 and
/// leaves it as it is. Where the name holds another node's plain record,
/// the same path writes and verifies it.
#[test]
fn a_storm_s_upsert_without_a_read_never_replaces_a_weighted_or_alias_record() {
    let (_moto, proxy, c) = ready_behind(Rules::default());
    for (set, named) in unmanaged_records(&c.zone) {
        c.r53(&["delete", &c.zone, HOST, "A"]);
        c.r53(&set);
        let before = c.r53(&["names", &c.zone]);
        proxy.set(|r| r.throttle_reads = 1);
        c.action(NODE1, "restore", TAG)
            .status(4)
            .says(&format!(":{TAG}:053033:"))
            .says(&format!("ERROR:route53:restore:{TAG}:053025:"))
            .says(named)
            .says("Route 53 refused the UPSERT")
            .says("InvalidChangeBatch");
        assert_eq!(c.r53(&["names", &c.zone]), before, "a record changed");
    }
    c.r53(&["delete", &c.zone, HOST, "A"]);
    c.r53(&["set", &c.zone, HOST, "A", "10", ADDR2]);
    proxy.set(|r| r.throttle_reads = 1);
    c.action(NODE1, "restore", TAG)
        .ok()
        .says(":053033:")
        .says("(not read) -> 10.0.1.10 TTL 10")
        .says(":053015:");
    assert_eq!(c.record(), format!("{ADDR1} 10"));
}

/// Only the TTL differs and Route 53 refuses the write: the address is
/// right, so restore succeeds with a warning.
#[test]
fn only_the_ttl_differing_and_a_refused_write_warns_and_succeeds() {
    let (_moto, proxy, c) = ready_behind(Rules::default());
    c.action(NODE1, "restore", TAG).ok();
    c.set_defaults("ROUTE53_CHANGEID_INTERVAL=1\nROUTE53_TTL=60\n");
    proxy.set(|r| r.refuse_changes = Some("AccessDenied"));
    c.action(NODE1, "restore", TAG)
        .ok()
        .says(":053023:the A record app.example.com already holds 10.0.1.10")
        .says("AccessDenied")
        .says("the TTL is applied at the next restore");
    proxy.set(|r| {
        r.refuse_changes = None;
        r.throttle_changes = usize::MAX;
    });
    c.set_defaults("ROUTE53_CHANGEID_INTERVAL=1\nROUTE53_TTL=60\nROUTE53_RECORD_TRY_COUNT=2\nROUTE53_RECORD_INTERVAL=0\n");
    c.action(NODE1, "recover", TAG)
        .ok()
        .says("record update try 1 of 2 failed")
        .says(":053023:");
    assert_eq!(c.record(), format!("{ADDR1} 10"));
}

#[test]
fn actions_need_a_tag_and_explain_themselves() {
    // No Route 53 is needed to explain.
    let c = Cluster::without_route53();
    c.raw(NODE1, "actions/restore", &[]).status(2).says("--tag");
    c.raw(NODE1, "actions/quickCheck", &["--help"])
        .ok()
        .prints("Usage: quickCheck")
        .prints("Example");
    c.raw(NODE1, "bin/lkroute53", &["create", "--help"])
        .ok()
        .prints("--zone-id");
}

/// quickCheck reads the record while it asks the LCD, with the zone and
/// host name of LifeKeeper's `-i` ID; where the LCD says otherwise, that
/// read is not used and the record of the LCD's resource is read.
#[test]
fn quickcheck_reads_the_id_record_at_once_and_trusts_only_the_lcd() {
    let (_moto, proxy, c) = ready_behind(Rules::default());
    c.action(NODE1, "restore", TAG).ok();
    let reads = || proxy.count("GET", "/rrset");

    let before = reads();
    c.action(NODE1, "quickCheck", TAG).ok();
    assert_eq!(
        reads() - before,
        1,
        "one read: the ID's record is the resource's"
    );

    // An ID that names another record (held elsewhere): read, not trusted.
    c.r53(&["set", &c.zone, "other.example.com", "A", "10", "192.0.2.99"]);
    let before = reads();
    let wrong = format!("route53:{}:other.example.com", c.zone);
    c.raw(NODE1, "actions/quickCheck", &["-t", TAG, "-i", &wrong])
        .ok();
    assert_eq!(reads() - before, 2, "the ID's record, then the LCD's");

    // And where the record is wrong, the ID's read says so all the same.
    c.r53(&["set", &c.zone, HOST, "A", "10", "192.0.2.99"]);
    c.action(NODE1, "quickCheck", TAG).status(1);
}
