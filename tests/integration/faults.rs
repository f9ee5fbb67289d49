//! What moto cannot do, through a scripted fault endpoint in front of it:
//! PENDING, throttling, refusals, HTML 5xx, a server that never answers.
//! For each: the exit status, a bounded duration, and a record that holds
//! the old or the new address, never nothing.

use std::time::Duration;

use crate::util::front::Rules;
use crate::util::*;

#[test]
fn pending_then_insync_succeeds_and_reports_each_check() {
    let (_m, proxy, c) = ready_behind(Rules {
        pending: 2,
        ..Rules::default()
    });
    let out = c.action(NODE1, "restore", TAG);
    row("INSYNC after 2 PENDING checks", &out, &c);
    out.ok()
        .says("still PENDING (check 1 of 5")
        .says("still PENDING (check 2 of 5")
        .says("INSYNC after");
    assert_eq!(proxy.count("GET", "/change/"), 3);
    assert_eq!(c.record(), format!("{ADDR1} 10"));
}

#[test]
fn a_change_stuck_pending_fails_in_budget_saying_the_record_was_written() {
    let (_m, proxy, c) = ready_behind(Rules {
        pending: usize::MAX,
        ..Rules::default()
    });
    c.set_defaults("ROUTE53_CHANGEID_INTERVAL=1\nROUTE53_CHANGEID_TRY_COUNT=3\n");
    let out = c.action(NODE1, "restore", TAG);
    row("change stuck PENDING (3 checks, 1 s apart)", &out, &c);
    out.status(5)
        .says("was written")
        .says("did not report it INSYNC within 3 s")
        .says("ROUTE53_CHANGEID_TRY_COUNT");
    // Bounded: the budget plus at most one call.
    assert!(out.took < Duration::from_secs(15), "{out}");
    assert_eq!(proxy.count("GET", "/change/"), 3);
    assert_eq!(c.record(), format!("{ADDR1} 10"));
    // Run again by hand: the record already holds the address.
    c.action(NODE1, "restore", TAG).ok().says("no change made");
}

#[test]
fn throttling_is_retried_until_it_passes() {
    let (_m, proxy, c) = ready_behind(Rules {
        throttle_changes: 2,
        ..Rules::default()
    });
    let out = c.action(NODE1, "restore", TAG);
    row("UPSERT throttled twice", &out, &c);
    out.ok();
    assert_eq!(proxy.count("POST", "/rrset"), 3);
    assert_eq!(c.record(), format!("{ADDR1} 10"));
}

#[test]
fn throttling_that_never_ends_fails_after_the_record_tries_and_keeps_the_old_record() {
    let (_m, proxy, c) = ready_behind(Rules::default());
    c.action(NODE1, "restore", TAG).ok();
    proxy.set(|r| r.throttle_changes = usize::MAX);
    c.set_defaults(
        "ROUTE53_CHANGEID_INTERVAL=1\nROUTE53_RECORD_TRY_COUNT=2\nROUTE53_RECORD_INTERVAL=1\nROUTE53_CONNECT_TIMEOUT=1\nROUTE53_READ_TIMEOUT=1\n",
    );
    let before = proxy.count("POST", "/rrset");
    let out = c.action(NODE2, "restore", TAG);
    row(
        "UPSERT always throttled (2 tries, 1 s apart; C = R = 1 s)",
        &out,
        &c,
    );
    out.status(4)
        .says("record update try 1 of 2 failed")
        .says("Throttling")
        .says(":053018:Route 53 throttled ChangeResourceRecordSets");
    // Throttling is no failed attempt: each try's call is tried again
    // after a pause of the storm window until its bound (B = 3 x 2 + 10 s),
    // so more than one request a try, and the restore ends within its
    // bound.
    let sent = proxy.count("POST", "/rrset") - before;
    assert!(sent > 2, "{sent} UPSERTs");
    assert!(
        out.took < std::time::Duration::from_secs(2 * 16 + 5),
        "{out}"
    );
    assert_eq!(c.record(), format!("{ADDR1} 10"));
}

#[test]
fn access_denied_fails_at_once_naming_the_permissions() {
    let (_m, proxy, c) = ready_behind(Rules {
        refuse_changes: Some("AccessDenied"),
        ..Rules::default()
    });
    let out = c.action(NODE1, "restore", TAG);
    row("AccessDenied on UPSERT", &out, &c);
    out.status(4)
        .says("AccessDenied")
        .says("route53:ChangeResourceRecordSets");
    assert_eq!(proxy.count("POST", "/rrset"), 1, "AccessDenied was retried");
    assert_eq!(c.record(), "none");
}

#[test]
fn an_invalid_change_batch_is_not_retried() {
    let (_m, proxy, c) = ready_behind(Rules {
        refuse_changes: Some("InvalidChangeBatch"),
        ..Rules::default()
    });
    let out = c.action(NODE1, "restore", TAG);
    row("InvalidChangeBatch on UPSERT", &out, &c);
    out.status(4).says("InvalidChangeBatch");
    assert_eq!(proxy.count("POST", "/rrset"), 1);
}

#[test]
fn html_503_pages_are_retried() {
    let (_m, _proxy, c) = ready_behind(Rules::default());
    _proxy.set(|r| r.html_503 = 2);
    let out = c.action(NODE1, "restore", TAG);
    row("HTML 503 page, twice", &out, &c);
    out.ok();
    assert_eq!(c.record(), format!("{ADDR1} 10"));
}

#[test]
fn a_server_that_never_answers_ends_each_action_in_bounded_time() {
    let (_m, proxy, c) = ready_behind(Rules::default());
    c.action(NODE1, "restore", TAG).ok();
    proxy.set(|r| r.hang = true);
    c.set_defaults(
        "ROUTE53_CONNECT_TIMEOUT=1\nROUTE53_READ_TIMEOUT=1\nROUTE53_RECORD_TRY_COUNT=1\nROUTE53_RECORDCHECK_TRY_COUNT=1\n",
    );
    // One read: three attempts of at most 2 s, with backoff between.
    let q = c.action(NODE1, "quickCheck", TAG);
    row("server accepts, never answers (1 s timeouts)", &q, &c);
    q.ok().says("could not read the A record");
    assert!(q.took < Duration::from_secs(20), "{q}");
    let r = c.action(NODE2, "restore", TAG);
    row("server accepts, never answers (1 s timeouts)", &r, &c);
    r.status(4);
    assert!(r.took < Duration::from_secs(40), "{r}");
    assert_eq!(c.record(), format!("{ADDR1} 10"));
}

#[test]
fn quickcheck_passes_when_its_own_time_limit_runs_out() {
    let (_m, proxy, c) = ready_behind(Rules::default());
    c.action(NODE1, "restore", TAG).ok();
    proxy.set(|r| r.hang = true);
    c.set_defaults("ROUTE53_QUICKCHECK_TIMEOUT=2\n");
    let q = c.action(NODE1, "quickCheck", TAG);
    row("never answers, ROUTE53_QUICKCHECK_TIMEOUT=2", &q, &c);
    q.ok()
        .says("did not finish within ROUTE53_QUICKCHECK_TIMEOUT=2 s");
    assert!(q.took < Duration::from_secs(5), "{q}");
}

#[test]
fn adaptive_checks_come_soon_after_the_change_and_fixed_ones_keep_the_cadence() {
    let (_m, proxy, c) = ready_behind(Rules {
        pending: 2,
        ..Rules::default()
    });
    // Default interval (20 s) and try count (5): the adaptive schedule has
    // 53 checks in the same budget (its timing is unit-tested on paused
    // time in src/poll.rs); the third finds the change INSYNC.
    c.set_defaults("");
    c.action(NODE1, "restore", TAG)
        .ok()
        .says("still PENDING (check 1 of 53,")
        .says("still PENDING (check 2 of 53,")
        .says("INSYNC after");
    assert_eq!(proxy.count("GET", "/change/"), 3);

    // Fixed: the documented cadence, 5 checks.
    proxy.set(|r| r.pending = 1);
    c.set_defaults("ROUTE53_CHANGEID_POLL=fixed\nROUTE53_CHANGEID_INTERVAL=2\n");
    c.action(NODE2, "restore", TAG)
        .ok()
        .says("still PENDING (check 1 of 5,")
        .says("(2 status checks)");
    assert_eq!(proxy.count("GET", "/change/"), 5);
}

#[test]
fn prior_request_not_complete_is_retried() {
    let (_m, proxy, c) = ready_behind(Rules {
        prior_request: 2,
        ..Rules::default()
    });
    let out = c.action(NODE1, "restore", TAG);
    row("PriorRequestNotComplete twice", &out, &c);
    out.ok();
    assert_eq!(proxy.count("POST", "/rrset"), 3);
    assert_eq!(c.record(), format!("{ADDR1} 10"));
}

#[test]
fn bad_credentials_fail_at_once_saying_so() {
    let (_m, proxy, c) = ready_behind(Rules::default());
    c.action(NODE1, "restore", TAG).ok();
    proxy.set(|r| r.bad_credentials = true);
    let before = proxy.count("POST", "/rrset");
    let out = c.action(NODE2, "restore", TAG);
    row("bad credentials (InvalidClientTokenId)", &out, &c);
    out.status(4)
        .says("InvalidClientTokenId")
        .says("credentials are wrong or expired");
    assert_eq!(
        proxy.count("POST", "/rrset"),
        before,
        "a refused read must not lead to a write"
    );
    let q = c.action(NODE1, "quickCheck", TAG);
    row("bad credentials (InvalidClientTokenId)", &q, &c);
    q.ok().says("could not read the A record");
    assert_eq!(c.record(), format!("{ADDR1} 10"));
}

#[test]
fn malformed_answers_are_survived() {
    let (_m, _proxy, c) = ready_behind(Rules::default());
    c.action(NODE1, "restore", TAG).ok();
    _proxy.set(|r| r.malformed_reads = 1);
    // The first read of quickCheck gets garbage; the next try reads it.
    let q = c.action(NODE1, "quickCheck", TAG);
    row("malformed XML once", &q, &c);
    q.ok();
    _proxy.set(|r| r.malformed_reads = usize::MAX);
    c.set_defaults("ROUTE53_CHANGEID_INTERVAL=1\nROUTE53_RECORDCHECK_INTERVAL=0\n");
    let q = c.action(NODE1, "quickCheck", TAG);
    row("malformed XML always", &q, &c);
    q.ok().says("could not read the A record");
    // restore cannot verify what it wrote: it fails, saying why.
    let r = c.action(NODE2, "restore", TAG);
    row("malformed XML always", &r, &c);
    r.status(4);
    assert_eq!(c.record(), format!("{ADDR2} 10"));
}
