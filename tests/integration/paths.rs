//! LifeKeeper's own paths, each the way the documentation describes it and
//! either way where it leaves the form open (tests/fixtures/lcdsim.py
//! modes): quickCheck's event through sendevent and the kit's recovery
//! program, the resource type registered before an instance is made,
//! lcdsync after the LCD was changed, the proxy settings of the defaults
//! file, and a remove that never fails.

use crate::util::front::{Front, Rules};
use crate::util::*;
use std::time::Duration;

/// The events sendevent was given on the node, once every program it
/// started has finished (each line then holds an exit status or names no
/// resource).
fn finished_events(c: &Cluster, node: &str, count: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let what = format!("{count} event(s) on {node} to finish");
    wait_within(Duration::from_secs(60), &what, || {
        lines = c.events(node).lines().map(str::to_string).collect();
        let done = lines
            .iter()
            .filter(|l| {
                l.contains("\"exit\": ") && !l.contains("\"exit\": null")
                    || l.contains("\"matched\": null")
            })
            .count();
        done >= count
    });
    lines
}

/// A record changed behind LifeKeeper's back: quickCheck exits 1 and tells
/// sendevent; LifeKeeper's event runs the kit's recovery program (or the
/// recover action), which puts the record right. Under each way the
/// simulated LCD may find the resource and service the event.
#[test]
fn a_changed_record_is_put_right_through_sendevent_and_the_recovery_program() {
    let cases: &[(&str, &str, &str)] = &[
        ("{}", "", "recovery/route53/recordfail"),
        (
            r#"{"sendevent_match": "tag"}"#,
            "ROUTE53_SENDEVENT=tag\n",
            "recovery/route53/recordfail",
        ),
        (
            r#"{"sendevent_match": "either", "sendevent_wait": true}"#,
            "",
            "recovery/route53/recordfail",
        ),
        (r#"{"sendevent_runs": "recover"}"#, "", "actions/recover"),
    ];
    for (mode, setting, program) in cases {
        let moto = Moto::shared();
        let c = Cluster::new(&moto.url());
        c.set_lcd_mode(mode);
        c.set_defaults(&format!("ROUTE53_CHANGEID_INTERVAL=1\n{setting}"));
        c.create(NODE1, ADDR1).ok();
        c.perform(NODE1, "restore", TAG).ok();
        c.r53(&["set", &c.zone, HOST, "A", "300", "192.0.2.99"]);
        let name = if setting.is_empty() {
            format!("route53:{}:{HOST}", c.zone)
        } else {
            TAG.to_string()
        };
        c.action(NODE1, "quickCheck", TAG)
            .status(1)
            .says(&format!(
                ":053026:told LifeKeeper: {}/bin/sendevent -C route53 -E recordfail -m lkroute53 -n {name}",
                c.root(NODE1).display()
            ))
            .says(":053022:the A record app.example.com");
        let events = finished_events(&c, NODE1, 1);
        assert_eq!(events.len(), 1, "{mode}: {events:?}");
        let e = &events[0];
        assert!(
            e.contains(&format!(
                r#""argv": ["-C", "route53", "-E", "recordfail", "-m", "lkroute53", "-n", "{name}"]"#
            )),
            "{mode}: {e}"
        );
        assert!(e.contains(r#""matched": "r53-app""#), "{mode}: {e}");
        assert!(
            e.contains(program) && e.contains(r#""exit": 0"#),
            "{mode}: {e}"
        );
        assert_eq!(c.record(), format!("{ADDR1} 10"), "{mode}");
        c.action(NODE1, "quickCheck", TAG).ok();
    }
}

/// The kit names the resource one way, LifeKeeper finds it another: no
/// resource answers the event, and quickCheck's exit status is all that
/// is left (the README's ROUTE53_SENDEVENT).
#[test]
fn an_event_that_names_the_resource_another_way_is_dropped_and_quickcheck_still_fails() {
    let moto = Moto::shared();
    let c = Cluster::new(&moto.url());
    c.set_lcd_mode(r#"{"sendevent_match": "tag"}"#);
    c.create(NODE1, ADDR1).ok();
    c.action(NODE1, "restore", TAG).ok();
    c.r53(&["set", &c.zone, HOST, "A", "300", "192.0.2.99"]);
    c.action(NODE1, "quickCheck", TAG).status(1);
    let events = finished_events(&c, NODE1, 1);
    assert!(events[0].contains(r#""matched": null"#), "{events:?}");
    assert_eq!(c.record(), "192.0.2.99 300");
}

/// No event where nothing is definitely wrong: in sync, the TTL alone
/// differing, Route 53 not answering.
#[test]
fn no_event_without_a_definite_mismatch() {
    let (_moto, mut c) = ready();
    c.action(NODE1, "restore", TAG).ok();
    c.action(NODE1, "quickCheck", TAG).ok();
    c.r53(&["set", &c.zone, HOST, "A", "300", ADDR1]);
    c.action(NODE1, "quickCheck", TAG).ok().says(":053023:");
    c.endpoint = format!("http://127.0.0.1:{}", free_port());
    c.set_defaults("ROUTE53_RECORDCHECK_TRY_COUNT=1\nROUTE53_QUICKCHECK_TIMEOUT=5\n");
    c.action(NODE1, "quickCheck", TAG).ok().not_says(":053026:");
    assert_eq!(c.events(NODE1), "");
}

/// sendevent missing, failing or hanging: quickCheck exits 1 all the same,
/// says so once, and ends in bounded time.
#[test]
fn quickcheck_fails_the_same_without_a_working_sendevent() {
    let (_moto, c) = ready();
    c.action(NODE1, "restore", TAG).ok();
    c.r53(&["set", &c.zone, HOST, "A", "300", "192.0.2.99"]);
    c.lcd_faults(
        NODE1,
        r#"{"sendevent": {"exit": 1, "stderr": "sendevent: lcm is not running\n"}}"#,
    );
    let out = c.action(NODE1, "quickCheck", TAG);
    out.status(1)
        .says("WARN:route53:quickCheck:r53-app:053026:")
        .says("sendevent: lcm is not running; LifeKeeper recovers from quickCheck's exit status");
    assert_eq!(out.stderr.matches(":053026:").count(), 1, "{out}");
    c.lcd_faults(NODE1, r#"{"sendevent": {"hang": 60}}"#);
    let out = c.action(NODE1, "quickCheck", TAG);
    out.status(1)
        .says("did not finish within 10.0 s (at most 10 s, within ROUTE53_QUICKCHECK_TIMEOUT) and was stopped");
    assert!(out.took < Duration::from_secs(20), "{out}");
    c.lcd_faults(NODE1, "{}");
    c.remove_lcd_command(NODE1, "sendevent");
    c.action(NODE1, "quickCheck", TAG)
        .status(1)
        .says(":053026:there is no ");
    assert_eq!(
        c.record(),
        "192.0.2.99 300",
        "nothing but LifeKeeper repairs it"
    );
}

/// The recovery program run by hand with a name nothing answers to fails
/// naming it; run with the tag, it restores.
#[test]
fn the_recovery_program_names_what_it_cannot_find() {
    let (_moto, c) = ready();
    c.raw(
        NODE1,
        "recovery/route53/recordfail",
        &["-C", "route53", "-E", "recordfail", "-n", "nosuch"],
    )
    .status(3)
    .says("nosuch");
    let event = || {
        c.raw(
            NODE1,
            "recovery/route53/recordfail",
            &["-C", "route53", "-E", "recordfail", "-n", TAG],
        )
    };
    // Out of service here (as made): nothing to recover.
    event()
        .ok()
        .says(":053027:r53-app is OSU here, not in service");
    assert_eq!(c.record(), "none");
    c.set_state(NODE1, TAG, "ISP");
    event().ok().says(":053027:LifeKeeper's event recordfail");
    assert_eq!(c.record(), format!("{ADDR1} 10"));
}

/// create and extend register gen/route53 where the LCD wants it, and
/// every command that writes the LCD syncs it after.
#[test]
fn the_type_is_registered_and_the_lcd_synced_after_each_change() {
    let moto = Moto::shared();
    let c = Cluster::new(&moto.url());
    c.set_lcd_mode(r#"{"require_types": true, "typ_list": "type"}"#);
    c.lcd(NODE1, "typ_list", &["-a", "gen"]).status(7);
    c.create(NODE1, ADDR1).ok();
    assert_eq!(
        c.lcd(NODE1, "typ_list", &["-a", "gen"]).ok().stdout,
        "route53\n"
    );
    assert_eq!(c.syncs(NODE1), 1);
    c.lkroute53(NODE2, &["extend", "--tag", TAG, "--from", NODE1])
        .ok();
    assert_eq!(
        c.lcd(NODE2, "typ_list", &["-a", "gen"]).ok().stdout,
        "route53\n"
    );
    assert_eq!(c.syncs(NODE2), 1);
    c.lkroute53(NODE1, &["doctor", TAG])
        .ok()
        .prints("[ ok ] LCD type: resource type gen/route53 is registered");
    c.lkroute53(NODE2, &["delete", TAG]).ok();
    assert_eq!(c.syncs(NODE2), 2);
    // A second resource: "exists" is success.
    c.lkroute53(NODE2, &["extend", "--tag", TAG, "--from", NODE1])
        .ok();
    assert_eq!(c.syncs(NODE2), 3);
}

/// Registration or lcdsync failing: said, the resource made all the same
/// where the LCD takes it; where the LCD refuses the unregistered type,
/// ins_create's own error names it, and nothing is left.
#[test]
fn registration_and_sync_failures_are_said_and_never_undo_the_change() {
    let moto = Moto::shared();
    let c = Cluster::new(&moto.url());
    c.lcd_faults(
        NODE1,
        r#"{"typ_create": {"exit": 1, "stderr": "typ_create: LCD busy\n"}, "lcdsync": {"exit": 1, "stderr": "lcdsync: disk full\n"}}"#,
    );
    c.create(NODE1, ADDR1)
        .ok()
        .says("WARN:route53:create:r53-app:053042:could not register resource type gen/route53")
        .says("typ_create: LCD busy")
        .says("WARN:route53:create:r53-app:053043:the changes are made, but lcdsync failed")
        .says("lcdsync: disk full");
    c.lkroute53(NODE1, &["list"]).ok().prints(TAG);

    c.set_lcd_mode(r#"{"require_types": true}"#);
    c.remove_lcd_command(NODE2, "typ_create");
    c.lkroute53(NODE2, &["extend", "--tag", TAG, "--from", NODE1])
        .status(3)
        .says(":053042:cannot register resource type gen/route53: no typ_create in")
        .says("resource type gen/route53 does not exist");
    assert!(!c.lcd_db(NODE2).contains(TAG), "{}", c.lcd_db(NODE2));
    assert_eq!(c.syncs(NODE2), 1, "synced after the undo");
}

/// doctor says whether the type is registered, in whichever form typ_list
/// prints it.
#[test]
fn doctor_says_whether_the_type_is_registered() {
    let (_moto, c) = ready();
    c.lkroute53(NODE1, &["doctor", TAG])
        .ok()
        .prints("resource type gen/route53 is registered");
    c.lcd_faults(
        NODE1,
        "{\"typ_list\": {\"stdout\": \"gen\\u0001other\\n\"}}",
    );
    c.lkroute53(NODE1, &["doctor", TAG])
        .status(1)
        .prints("[FAIL] LCD type: resource type gen/route53 is not registered (typ_list -a gen lists other)")
        .prints("typ_create -a gen -r route53");
    c.lcd_faults(NODE1, "{}");
    c.remove_lcd_command(NODE1, "typ_list");
    c.lkroute53(NODE1, &["doctor", TAG])
        .ok()
        .prints("[info] LCD type: no typ_list in");
}

/// doctor passes on a healthy node whichever of the three documented forms
/// a query that matches nothing takes.
#[test]
fn doctor_passes_under_each_no_match_form() {
    let (_moto, c) = ready();
    c.action(NODE1, "restore", TAG).ok();
    for (mode, says) in [
        ("{}", "a query that matches nothing exits 0 with no output"),
        (
            r#"{"nomatch_exit": 1}"#,
            "exits 1 with no output; the kit reads that as no match",
        ),
        (
            r#"{"nomatch_exit": 7, "nomatch_message": true}"#,
            "a query that matches nothing exits 7, \"no such object\"",
        ),
    ] {
        c.set_lcd_mode(mode);
        c.lkroute53(NODE1, &["doctor", TAG])
            .ok()
            .prints(says)
            .prints("all checks passed");
        c.lkroute53(NODE1, &["status", TAG]).ok();
        c.action(NODE1, "quickCheck", TAG).ok();
    }
}

/// remove exits 0 whatever went wrong, and says what.
#[test]
fn remove_never_fails() {
    let (_moto, c) = ready();
    c.lcd_faults(
        NODE1,
        r#"{"ins_list": {"exit": 9, "stderr": "ins_list: lcm is not running\n"}}"#,
    );
    c.action(NODE1, "remove", TAG)
        .ok()
        .says("the LCD could not name the record")
        .says("lcm is not running");
    c.lcd_faults(NODE1, "{}");
    c.action(NODE1, "remove", "nosuch")
        .ok()
        .says("no resource \"nosuch\" in the LCD");
    c.raw(NODE1, "actions/remove", &["-t", "-bad"]).ok();
    c.raw(NODE1, "actions/remove", &[]).ok();
}

fn seen(proxy: &Front) -> usize {
    proxy.count("GET", "/") + proxy.count("POST", "/")
}

/// The proxy settings of /etc/default/LifeKeeper, as other kits read them:
/// used where the environment sets none, the environment winning; status
/// and doctor say which and from where.
#[test]
fn proxies_set_in_the_defaults_file_are_used_and_shown() {
    let (moto, mut c) = ready();
    let proxy = Front::faults(moto.port, Rules::default());
    c.endpoint = moto.url();
    let file = c.defaults.display().to_string();
    c.set_defaults(&format!(
        "ROUTE53_CHANGEID_INTERVAL=1\nexport HTTP_PROXY={}\nHTTPS_PROXY=user:secret-in-the-file@127.0.0.1:9\n",
        proxy.url()
    ));
    c.action(NODE1, "restore", TAG).ok();
    assert!(
        proxy.count("POST", "/rrset") >= 1,
        "Route 53 did not go through the file's proxy"
    );
    c.lkroute53(NODE1, &["doctor", TAG])
        .ok()
        .prints(&format!(
            "route 53: {} via proxy {}",
            c.endpoint,
            proxy.url()
        ))
        .prints(&format!("HTTP {} (from HTTP_PROXY, {file}:2)", proxy.url()))
        .prints(&format!(
            "HTTPS ***@127.0.0.1:9 (from HTTPS_PROXY, {file}:3)"
        ))
        .not_prints("secret-in-the-file");
    c.lkroute53(NODE1, &["status", TAG])
        .ok()
        .prints("(from HTTP_PROXY, ")
        .not_prints("secret-in-the-file");
    // The environment wins; NO_PROXY from the file bypasses.
    let before = seen(&proxy);
    let out = c.exec(
        NODE1,
        &c.kit.join("usr/sbin/lkroute53"),
        &["doctor", TAG],
        &[("HTTP_PROXY", "http://127.0.0.1:9")],
    );
    out.prints("HTTP http://127.0.0.1:9 (from the environment, HTTP_PROXY)");
    assert_eq!(seen(&proxy), before);
    c.set_defaults(&format!(
        "ROUTE53_CHANGEID_INTERVAL=1\nHTTP_PROXY={}\nno_proxy=127.0.0.1\n",
        proxy.url()
    ));
    c.action(NODE1, "restore", TAG).ok();
    c.lkroute53(NODE1, &["doctor", TAG])
        .ok()
        .prints(&format!("route 53: {} (direct)", c.endpoint))
        .prints(&format!("no proxy 127.0.0.1 (from no_proxy, {file}:3)"));
    assert_eq!(seen(&proxy), before);
}
