//! The operator's tools: status, doctor, delete, list, --dry-run, the
//! manual pages and the log lines in syslog.

use std::os::unix::net::UnixDatagram;
use std::time::Duration;

use crate::util::*;

#[test]
fn status_shows_record_address_settings_and_their_sources() {
    let (_moto, c) = ready();
    c.set_defaults("ROUTE53_CHANGEID_INTERVAL=1\n# comment\nROUTE53_TTL=30\n");
    c.action(NODE1, "restore", TAG).ok();
    let out = c.lkroute53(NODE1, &["status", TAG]);
    out.ok()
        .prints("host name    app.example.com")
        .prints(&format!("IP resource  ip-10.0.1.10: {ADDR1}"))
        .prints(&format!("record       {ADDR1} TTL 30"))
        .prints("in sync      yes")
        .prints("equivalency  none");
    let defaults = c.defaults.display().to_string();
    assert!(
        out.stdout.contains(&format!(
            "ROUTE53_TTL                          30 s       {defaults}:3"
        )),
        "{out}"
    );
    assert!(
        out.stdout
            .contains("ROUTE53_RECORD_TRY_COUNT              3 tries   default"),
        "{out}"
    );

    c.r53(&["set", &c.zone, HOST, "A", "30", "192.0.2.99"]);
    let out = c.lkroute53(NODE1, &["status", TAG, "--json"]);
    out.status(1);
    let v: serde_json::Value =
        serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("not JSON: {e}{out}"));
    assert_eq!(v["tag"], TAG);
    assert_eq!(v["zone_id"], c.zone.as_str());
    assert_eq!(v["hostname"], HOST);
    assert_eq!(v["address"], ADDR1);
    assert_eq!(v["ip_tag"], ip_tag(ADDR1).as_str());
    assert_eq!(v["in_sync"], false);
    assert_eq!(v["record"]["values"][0], "192.0.2.99");
    assert_eq!(v["record"]["ttl"], 30);
    assert!(
        v["reason"]
            .as_str()
            .is_some_and(|r| r.contains("192.0.2.99")),
        "{out}"
    );
    let ttl = v["settings"]
        .as_array()
        .and_then(|a| a.iter().find(|s| s["key"] == "ROUTE53_TTL"))
        .unwrap_or_else(|| panic!("no ROUTE53_TTL{out}"));
    assert_eq!(ttl["value"], 30);
    assert_eq!(ttl["source"], format!("{defaults}:3"));

    c.lkroute53(NODE1, &["status", "nosuch"])
        .status(3)
        .says("no resource with tag");
}

#[test]
fn doctor_passes_a_healthy_resource() {
    let (_moto, c) = ready();
    c.action(NODE1, "restore", TAG).ok();
    c.lkroute53(NODE1, &["doctor", TAG])
        .ok()
        .prints("[ ok ] settings")
        .prints("[ ok ] LCD")
        .prints("[ ok ] resource")
        .prints("[ ok ] credentials: found: environment variables")
        .prints("[ ok ] endpoint")
        .prints("[ ok ] clock")
        .prints("route53:GetChange allowed")
        .prints("route53:ListResourceRecordSets allowed")
        .prints("ChangeResourceRecordSets cannot be probed")
        .prints("[ ok ] zone")
        .prints("[ ok ] record")
        .prints("all checks passed");
}

#[test]
fn doctor_names_a_broken_settings_file_and_an_unreachable_endpoint() {
    let (_moto, mut c) = ready();
    c.endpoint = format!("http://127.0.0.1:{}", free_port());
    c.set_defaults(
        "ROUTE53_TTL=abc\nROUTE53_TTL 30\nROUTE53_CONNECT_TIMEOUT=1\nROUTE53_READ_TIMEOUT=1\n",
    );
    let defaults = c.defaults.display().to_string();
    let out = c.lkroute53(NODE1, &["doctor", TAG]);
    out.status(1)
        .prints(&format!(
            "[FAIL] settings: {defaults}:1: ROUTE53_TTL=\"abc\""
        ))
        .prints(&format!("[FAIL] settings: {defaults}:2: line ignored"))
        .prints(&format!(
            "[FAIL] endpoint: Route 53 GetChange for zone - failed without an answer from {}",
            c.endpoint
        ))
        .prints("remedy: nothing accepts connections at the endpoint")
        .prints("[FAIL] clock: not measured");
    assert!(out.took < Duration::from_secs(60), "{out}");
}

#[test]
fn doctor_without_lcd_commands_says_where_it_looked() {
    let (_moto, c) = ready();
    std::fs::remove_file(c.root(NODE1).join("bin/dep_list")).expect("remove dep_list");
    c.lkroute53(NODE1, &["doctor", TAG])
        .status(1)
        .prints("[FAIL] LCD: missing or not executable")
        .prints("dep_list");
}

#[test]
fn dry_run_says_what_would_change_and_changes_nothing() {
    let (_moto, c) = ready();
    c.action(NODE1, "restore", TAG).ok();
    c.r53(&["set", &c.zone, HOST, "A", "300", "192.0.2.99"]);
    for action in ["restore", "recover"] {
        c.raw(
            NODE1,
            &format!("actions/{action}"),
            &["-t", TAG, "--dry-run"],
        )
        .ok()
        .says("dry run: would set A record app.example.com")
        .says("192.0.2.99 TTL 300 -> 10.0.1.10 TTL 10");
        assert_eq!(c.record(), "192.0.2.99 300");
    }
    // In sync: nothing would change.
    c.action(NODE1, "recover", TAG).ok();
    c.raw(NODE1, "actions/restore", &["-t", TAG, "-n"])
        .ok()
        .says("no change made");

    let before = c.lcd_db(NODE1);
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
            "two.example.com",
            "--ip-tag",
            &ip_tag(ADDR1),
            "--dry-run",
        ],
    )
    .ok()
    .says("dry run: would create r53-two");
    c.lkroute53(NODE1, &["delete", TAG, "--dry-run"])
        .ok()
        .says("dry run: would remove the dependency on ip-10.0.1.10");
    assert_eq!(c.lcd_db(NODE1), before);
}

#[test]
fn delete_removes_the_resource_and_keeps_the_ip_resource_and_the_record() {
    let (_moto, c) = ready();
    c.action(NODE1, "restore", TAG).ok();
    c.lkroute53(NODE1, &["list"]).ok().prints(&format!(
        "{TAG}\tOSU\t{} {HOST}\tover {}",
        c.zone,
        ip_tag(ADDR1)
    ));
    c.lkroute53(NODE1, &["delete", TAG])
        .ok()
        .says("removed the dependency on ip-10.0.1.10");
    c.lkroute53(NODE1, &["list"])
        .ok()
        .prints("no Route 53 resources");
    let db = c.lcd_db(NODE1);
    assert!(db.contains("ip-10.0.1.10") && !db.contains(TAG), "{db}");
    assert_eq!(c.record(), format!("{ADDR1} 10"));
    // The other node's resource is untouched.
    c.lkroute53(NODE2, &["list"]).ok().prints(TAG);
    c.lkroute53(NODE1, &["delete", TAG])
        .status(3)
        .says("no resource with tag");
}

#[test]
fn delete_refuses_a_resource_something_depends_on() {
    let (_moto, c) = ready();
    c.lcd(
        NODE1,
        "ins_create",
        &["-a", "gen", "-r", "app", "-t", "appsvc", "-i", "appsvc"],
    )
    .ok();
    c.lcd(NODE1, "dep_create", &["-p", "appsvc", "-c", TAG])
        .ok();
    let before = c.lcd_db(NODE1);
    c.lkroute53(NODE1, &["delete", TAG])
        .status(3)
        .says("resources depend on \"r53-app\" (appsvc)");
    assert_eq!(c.lcd_db(NODE1), before);
}

#[test]
fn log_lines_reach_syslog_in_lifekeepers_form() {
    let (_moto, c) = ready();
    let sock = c.dir.join("log.sock");
    let server = UnixDatagram::bind(&sock).expect("bind syslog socket");
    server
        .set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    c.set_defaults("ROUTE53_CHANGEID_INTERVAL=1\nLKSYSLOGSELECTOR=local5.info\n");
    c.action_env(
        NODE1,
        "restore",
        TAG,
        &[("LKROUTE53_SYSLOG_SOCKET", sock.to_str().expect("path"))],
    )
    .ok();
    let mut lines = Vec::new();
    let mut buf = [0u8; 4096];
    while let Ok(n) = server.recv(&mut buf) {
        lines.push(String::from_utf8_lossy(&buf[..n]).to_string());
        if lines.last().is_some_and(|l| l.contains(":053015:")) {
            break;
        }
    }
    // local5 = 21: INFO is <174>, NOTIFY <173>.
    assert!(
        lines.iter().any(|l| l.starts_with("<174>restore[")
            && l.contains("]: INFO:route53:restore:r53-app:053011:setting A record")),
        "{lines:#?}"
    );
    assert!(
        lines.iter().any(|l| l.starts_with("<173>restore[")
            && l.contains("NOTIFY:route53:restore:r53-app:053015:")),
        "{lines:#?}"
    );
}

#[test]
fn manual_pages_are_installed_for_every_command() {
    let man = installed().join("usr/share/man/man8");
    for page in [
        "lkroute53",
        "lkroute53-create",
        "lkroute53-extend",
        "lkroute53-status",
        "lkroute53-doctor",
        "lkroute53-delete",
        "lkroute53-restore",
    ] {
        let file = man.join(format!("{page}.8.gz"));
        let out = std::process::Command::new("gzip")
            .arg("-dc")
            .arg(&file)
            .output()
            .unwrap_or_else(|e| panic!("gzip -dc {}: {e}", file.display()));
        assert!(out.status.success(), "{page}.8.gz: {out:?}");
        let text = String::from_utf8(out.stdout).expect("a manual page is text");
        assert!(
            text.contains(&format!(".TH {page} 8")),
            "{page}.8 is not a manual page"
        );
    }
}

/// A LifeKeeper command that fails is shown as failed, with its message:
/// never as "no equivalency" or "over nothing".
#[test]
fn status_and_list_show_a_failed_lcd_command_as_failed() {
    let (_moto, c) = ready();
    c.action(NODE1, "restore", TAG).ok();
    c.lcd_faults(
        NODE1,
        r#"{"eqv_list": {"exit": 1, "stderr": "eqv_list: LCD is locked\n"}}"#,
    );
    let out = c.lkroute53(NODE1, &["status", TAG]);
    out.ok()
        .prints("equivalency  unread:")
        .prints("eqv_list -t r53-app failed with exit status 1: eqv_list: LCD is locked");
    assert!(!out.stdout.contains("equivalency  none"), "{out}");
    let out = c.lkroute53(NODE1, &["status", TAG, "--json"]);
    let v: serde_json::Value =
        serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("not JSON: {e}{out}"));
    assert!(
        v["equivalencies_error"]
            .as_str()
            .is_some_and(|e| e.contains("LCD is locked")),
        "{out}"
    );

    // dep_list fails only when asked about the resource's children.
    c.lcd_faults(
        NODE1,
        r#"{"dep_list": {"exit": 1, "stderr": "dep_list: LCD is locked\n"}}"#,
    );
    let out = c.lkroute53(NODE1, &["list"]);
    out.ok()
        .prints("over (dep_list failed:")
        .prints("LCD is locked");
    assert!(!out.stdout.contains("over nothing"), "{out}");
}
