//! The kit against a LifeKeeper that behaves either way where the
//! documentation leaves it open: eqv_create writing the remote row by
//! itself or not, queries that exit nonzero when nothing matches, dep_list
//! printing the child first, the IP address in another field; the
//! hierarchy-extension hooks LifeKeeper runs; the delete action; switchback;
//! and doctor's field capture. The simulated LCD's modes are documented in
//! tests/fixtures/lcdsim.py.

use crate::util::*;

const MODES: &[&str] = &[
    "{}",
    r#"{"eqv_mirror": true}"#,
    r#"{"nomatch_exit": 1}"#,
    r#"{"eqv_mirror": true, "nomatch_exit": 1, "dep_list_reversed": true}"#,
    r#"{"nomatch_exit": 7, "nomatch_message": true, "require_types": true, "typ_list": "type"}"#,
];

fn eqvs(c: &Cluster, node: &str) -> String {
    let out = c.lcd(node, "eqv_list", &["-f", "|"]);
    // In no-match modes an empty listing exits 1 with nothing printed, or
    // 7 with a message.
    assert!(
        out.status == 0 || out.status == 7 || (out.stdout.is_empty() && out.stderr.is_empty()),
        "{out}"
    );
    out.stdout.trim().to_string()
}

/// Create on node1, extend to node2 with LifeKeeper's own hook, switch over
/// both ways, check, and delete: under every mode of the simulated LCD.
#[test]
fn create_extend_by_hook_switch_over_and_delete_under_every_lcd_mode() {
    for mode in MODES {
        let moto = Moto::shared();
        let c = Cluster::new(&moto.url());
        c.set_lcd_mode(mode);
        c.create(NODE1, ADDR1).ok();
        c.hook(NODE2, "canextend", &[NODE1, TAG])
            .ok()
            .says(&format!("over IP resource {}", ip_tag(ADDR2)));
        c.hook(NODE2, "extend", &[NODE1, TAG])
            .ok()
            .says("SHARED with r53-app on node1");
        assert_eq!(
            eqvs(&c, NODE1),
            "node1|r53-app|node2|r53-app|SHARED|1|10",
            "mode {mode}"
        );
        assert_eq!(
            eqvs(&c, NODE2),
            "node2|r53-app|node1|r53-app|SHARED|10|1",
            "mode {mode}"
        );
        c.action(NODE1, "restore", TAG).ok();
        c.action(NODE1, "quickCheck", TAG).ok();
        c.action(NODE1, "remove", TAG).ok();
        c.action(NODE2, "restore", TAG).ok();
        assert_eq!(c.record(), format!("{ADDR2} 10"), "mode {mode}");
        c.action(NODE2, "quickCheck", TAG).ok();
        c.lkroute53(NODE2, &["status", TAG])
            .ok()
            .prints("equivalency  r53-app on node1 (SHARED; priority 10 here, 1 there)");
        c.lkroute53(NODE2, &["doctor", TAG])
            .ok()
            .prints("the row is on both nodes");
        c.lkroute53(NODE2, &["delete", TAG]).ok();
        assert_eq!(eqvs(&c, NODE1), "", "mode {mode}");
        assert_eq!(eqvs(&c, NODE2), "", "mode {mode}");
        c.lkroute53(NODE1, &["list"]).ok().prints(TAG);
        c.action(NODE1, "restore", TAG).ok();
        assert_eq!(c.record(), format!("{ADDR1} 10"), "mode {mode}");
    }
}

#[test]
fn canextend_names_what_is_missing() {
    let moto = Moto::shared();
    let c = Cluster::new(&moto.url());
    c.add_node("node3", "10.0.3.30");
    c.create(NODE1, ADDR1).ok();
    // node3's only IP resource goes: nothing to extend over.
    c.lcd("node3", "ins_remove", &["-t", &ip_tag("10.0.3.30")])
        .ok();
    c.hook("node3", "canextend", &[NODE1, TAG])
        .status(3)
        .says("no IP resource here to extend over");
    // The template is not a Route 53 resource.
    c.hook(NODE2, "canextend", &[NODE1, &ip_tag(ADDR1)])
        .status(3)
        .says("not gen/route53");
    // No such template; a node that cannot be reached.
    c.hook(NODE2, "canextend", &[NODE1, "nosuch"])
        .status(3)
        .says("nosuch on node1");
    c.hook(NODE2, "canextend", &["node9", TAG])
        .status(3)
        .says("node cannot be reached");
    // Already extended here.
    c.hook(NODE2, "extend", &[NODE1, TAG]).ok();
    c.hook(NODE2, "canextend", &[NODE1, TAG])
        .status(3)
        .says("already exists");
    // Bad arguments.
    c.hook(NODE2, "canextend", &[NODE1]).status(3).says("usage");
}

/// LifeKeeper extends the IP child first; the hook finds this node's IP
/// resource through its equivalency with the template's, among several.
#[test]
fn the_extend_hook_finds_the_ip_resource_tied_to_the_templates() {
    let moto = Moto::shared();
    let c = Cluster::new(&moto.url());
    c.create(NODE1, ADDR1).ok();
    // A second IP resource on node2, and the equivalency LifeKeeper made
    // when it extended the template's IP resource to node2.
    c.lcd(
        NODE2,
        "ins_create",
        &[
            "-a",
            "comm",
            "-r",
            "ip",
            "-t",
            "ip-10.0.2.99",
            "-i",
            "IP-10.0.2.99",
            "-v",
            "node2 eth0 10.0.2.99 ffffff00 none",
        ],
    )
    .ok();
    c.lcd(
        NODE2,
        "eqv_create",
        &[
            "-t",
            &ip_tag(ADDR2),
            "-S",
            NODE1,
            "-o",
            &ip_tag(ADDR1),
            "-e",
            "SHARED",
        ],
    )
    .ok();
    c.hook(NODE2, "canextend", &[NODE1, TAG])
        .ok()
        .says(&format!("over IP resource {}", ip_tag(ADDR2)))
        .says("tied to ip-10.0.1.10 on node1 by a SHARED equivalency");
    // Without the equivalency, two candidates: the operator must choose.
    c.lcd(
        NODE2,
        "eqv_remove",
        &[
            "-t",
            &ip_tag(ADDR2),
            "-S",
            NODE1,
            "-o",
            &ip_tag(ADDR1),
            "-e",
            "SHARED",
        ],
    )
    .ok();
    c.hook(NODE2, "canextend", &[NODE1, TAG])
        .status(3)
        .says("several IP resources here could serve");
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
        ],
    )
    .ok();
}

#[test]
fn the_address_is_taken_from_whichever_field_holds_it() {
    let moto = Moto::shared();
    let c = Cluster::new(&moto.url());
    c.create(NODE1, ADDR1).ok();
    // The address first, and a dotted netmask too.
    c.lcd(
        NODE1,
        "ins_setinfo",
        &["-t", &ip_tag(ADDR1), "-v", "10.0.1.10 255.255.255.0 eth0"],
    )
    .ok();
    c.action(NODE1, "restore", TAG).ok();
    assert_eq!(c.record(), format!("{ADDR1} 10"));
    c.lkroute53(NODE1, &["doctor", TAG])
        .prints("field 1 of its info, the first of several addresses");
    // No address in the info: the ID.
    c.lcd(
        NODE1,
        "ins_setinfo",
        &["-t", &ip_tag(ADDR1), "-v", "node1 eth0"],
    )
    .ok();
    c.action(NODE1, "restore", TAG).status(3).says(
        "IP resource \"ip-10.0.1.10\" holds no IPv4 address in its info field \"node1 eth0\"",
    );
}

#[test]
fn the_delete_action_removes_the_lock_file_and_leaves_the_record() {
    let (_moto, c) = ready();
    c.action(NODE1, "restore", TAG).ok();
    let lock = c.root(NODE1).join("locks").join(format!("{TAG}.lock"));
    assert!(lock.exists());
    c.action(NODE1, "delete", TAG)
        .ok()
        .says("the A record is left as it is")
        .says("removed its lock file");
    assert!(!lock.exists());
    assert_eq!(c.record(), format!("{ADDR1} 10"));
}

#[test]
fn switchback_is_set_at_create_and_copied_by_extend() {
    let moto = Moto::shared();
    let c = Cluster::new(&moto.url());
    let zone = c.zone.clone();
    c.lkroute53(
        NODE1,
        &[
            "create",
            "--tag",
            TAG,
            "--zone-id",
            &zone,
            "--hostname",
            HOST,
            "--ip-tag",
            &ip_tag(ADDR1),
            "--switchback",
            "automatic",
        ],
    )
    .ok();
    let line = c
        .lcd(NODE1, "ins_list", &["-t", TAG, "-f", "|"])
        .ok()
        .stdout
        .clone();
    assert!(line.contains("|AUTOMATIC|"), "{line}");
    c.hook(NODE2, "extend", &[NODE1, TAG])
        .ok()
        .says("switchback automatic");
    let line = c
        .lcd(NODE2, "ins_list", &["-t", TAG, "-f", "|"])
        .ok()
        .stdout
        .clone();
    assert!(line.contains("|AUTOMATIC|"), "{line}");
    c.lkroute53(
        NODE1,
        &[
            "create",
            "--tag",
            "x",
            "--zone-id",
            &zone,
            "--hostname",
            HOST,
            "--ip-tag",
            &ip_tag(ADDR1),
            "--switchback",
            "sometimes",
        ],
    )
    .status(2);
}

/// The capture holds every LCD command with its raw output and the kit's
/// reading, the settings, the version and the OS release, and no secret.
#[test]
fn the_field_capture_holds_what_support_needs_and_no_secret() {
    let (_moto, c) = ready();
    c.set_lcd_mode(r#"{"dep_list_reversed": true}"#);
    c.action(NODE1, "restore", TAG).ok();
    // Another kit, as SIOS's kits are laid out: a quickCheck script that
    // calls sendevent, and a recovery program.
    let ip = c.root(NODE1).join("subsys/comm/resources/ip");
    std::fs::create_dir_all(ip.join("actions")).expect("ip kit");
    std::fs::create_dir_all(ip.join("recovery")).expect("ip kit");
    std::fs::write(
        ip.join("actions/quickCheck"),
        "#!/bin/sh\n# checks the address\n$LKROOT/bin/sendevent -C TTY -E ipfail -m ipmon -n \"$ID\"\n",
    )
    .expect("quickCheck");
    std::fs::write(ip.join("recovery/ipfail"), "#!/bin/sh\n").expect("recovery");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(
        ip.join("recovery/ipfail"),
        std::fs::Permissions::from_mode(0o755),
    )
    .expect("chmod");
    let file = c.dir.join("capture.txt");
    let out = c.exec(
        NODE1,
        &c.kit.join("usr/sbin/lkroute53"),
        &["doctor", TAG, "--capture", file.to_str().expect("path")],
        &[
            ("AWS_SESSION_TOKEN", "session-token-never-recorded"),
            (
                "HTTPS_PROXY",
                "http://user:proxy-password-never-recorded@127.0.0.1:9",
            ),
            ("NO_PROXY", "127.0.0.1"),
            ("http_proxy", "user:scheme-less-password@127.0.0.1:9"),
        ],
    );
    out.ok()
        .prints("capture written to")
        .prints("dep_list prints the child first");
    let text = std::fs::read_to_string(&file).expect("capture");
    for needed in [
        "version: lkroute53 ",
        "== OS release",
        "ROUTE53_TTL = 10 s (default)",
        "/bin/ins_list -t lkroute53-probe-no-such-tag-",
        "/bin/dep_list -c r53-app",
        "exit status: 0",
        "reading: r53-app (gen/route53)",
        "layout Some(ChildFirst)",
        "AWS_SECRET_ACCESS_KEY: set (value not recorded)",
        "HTTPS_PROXY=http://***@127.0.0.1:9",
        "[ok] resource",
        "http_proxy=***@127.0.0.1:9",
        "== LifeKeeper's event and type paths under",
        "/bin/sendevent: present",
        "/bin/lcdsync: present",
        "/bin/lcdremexec: missing or not executable",
        "/bin/typ_list -a gen",
        "reading: -",
        "/events: cannot list",
        "subsys/gen/resources/route53/recovery/route53/recordfail: link 777 -> ../../bin/lkroute53",
        "subsys/comm/resources/ip/recovery/ipfail: file 755",
        "subsys/comm/resources/ip/actions/quickCheck:3: $LKROOT/bin/sendevent -C TTY -E ipfail -m ipmon -n \"$ID\"",
        "subsys/gen/resources/route53/actions/quickCheck: a compiled program, not a script; not read",
    ] {
        assert!(
            text.contains(needed),
            "{needed:?} missing from the capture:\n{text}"
        );
    }
    for secret in [
        "testing-secret-never-printed",
        "session-token-never-recorded",
        "proxy-password-never-recorded",
        "scheme-less-password",
    ] {
        assert!(!text.contains(secret), "{secret} is in the capture");
    }
    let mode = std::fs::metadata(&file).expect("meta").permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
}
