//! Two actions on one resource on one node never interleave their changes;
//! two nodes restoring at once (split brain) end with one address, and each
//! says what it saw.

mod common;

use std::thread;
use std::time::Duration;

use common::fault::{FaultProxy, Rules};
use common::*;

fn ready(pending: usize) -> (Moto, FaultProxy, Cluster) {
    ready_behind(Rules {
        pending,
        ..Rules::default()
    })
}

#[test]
fn a_second_action_on_the_same_resource_waits_for_the_first() {
    // The first restore holds the resource for about 3 s (two PENDING checks).
    let (_m, proxy, c) = ready(2);
    let (first, second) = thread::scope(|s| {
        let a = s.spawn(|| c.action(NODE1, "restore", TAG));
        thread::sleep(Duration::from_millis(700));
        let b = s.spawn(|| c.action(NODE1, "recover", TAG));
        (a.join().expect("first"), b.join().expect("second"))
    });
    first.ok().says("INSYNC");
    // The second ran after the first: it found the record right.
    second.ok().says("no change made");
    assert_eq!(
        proxy.count("POST", "/rrset"),
        1,
        "the two actions interleaved"
    );
    assert_eq!(c.record(), format!("{ADDR1} 10"));
}

#[test]
fn quickcheck_during_a_restore_passes_without_looking() {
    let (_m, _proxy, c) = ready(2);
    let (restore, check) = thread::scope(|s| {
        let a = s.spawn(|| c.action(NODE1, "restore", TAG));
        thread::sleep(Duration::from_millis(700));
        let q = c.action(NODE1, "quickCheck", TAG);
        (a.join().expect("restore"), q)
    });
    restore.ok();
    check
        .ok()
        .says("another action on this resource is running");
}

#[test]
fn a_lock_held_past_the_wait_fails_saying_so() {
    let (_m, _proxy, c) = ready(3);
    c.set_defaults("ROUTE53_CHANGEID_INTERVAL=1\nROUTE53_LOCK_WAIT=1\n");
    let (first, second) = thread::scope(|s| {
        let a = s.spawn(|| c.action(NODE1, "restore", TAG));
        thread::sleep(Duration::from_millis(700));
        let b = c.action(NODE1, "restore", TAG);
        (a.join().expect("first"), b)
    });
    first.ok();
    second
        .status(6)
        .says("another action on r53-app still holds");
}

#[test]
fn split_brain_ends_with_one_address_and_both_say_what_they_saw() {
    // Both nodes wait on PENDING checks, so their writes overlap.
    let (_m, _proxy, c) = ready(4);
    let (one, two) = thread::scope(|s| {
        let a = s.spawn(|| c.action(NODE1, "restore", TAG));
        let b = s.spawn(|| c.action(NODE2, "restore", TAG));
        (a.join().expect("node1"), b.join().expect("node2"))
    });
    let record = c.record();
    let winner = if record == format!("{ADDR1} 10") {
        ADDR1
    } else {
        assert_eq!(
            record,
            format!("{ADDR2} 10"),
            "the record holds neither address"
        );
        ADDR2
    };
    for (out, addr) in [(&one, ADDR1), (&two, ADDR2)] {
        out.says("setting A record app.example.com");
        if addr == winner {
            out.ok().says(&format!("holds {addr}"));
        } else if out.status != 0 {
            // It saw the other node's write when it verified.
            out.status(1)
                .says(&format!("holds {winner} TTL 10 instead of {addr}"));
        } else {
            // It verified before the other node wrote.
            out.says(&format!("holds {addr} (TTL 10)"));
        }
    }
}
