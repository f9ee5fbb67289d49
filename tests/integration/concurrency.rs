//! Two actions on one resource on one node never interleave their changes;
//! two nodes restoring at once (split brain) end with one address, and each
//! says what it saw. Every step waits on observable state (the fault
//! proxy's request count), never on a sleep.

use std::thread;

use crate::util::front::{Front, Rules};
use crate::util::*;

/// The kit behind a proxy that holds every change PENDING until released.
fn held() -> (&'static Moto, Front, Cluster) {
    let (m, p, c) = ready_behind(Rules {
        pending: usize::MAX,
        ..Rules::default()
    });
    // A budget far longer than any step of these tests.
    c.set_defaults("ROUTE53_CHANGEID_INTERVAL=5\n");
    (m, p, c)
}

fn release(proxy: &Front) {
    proxy.set(|r| r.pending = 0);
}

#[test]
fn a_second_action_on_the_same_resource_waits_for_the_first() {
    let (_m, proxy, c) = held();
    let (first, second) = thread::scope(|s| {
        let a = s.spawn(|| c.action(NODE1, "restore", TAG));
        // The first restore has written and holds the lock while it waits.
        wait_for("the first UPSERT", || proxy.count("POST", "/rrset") == 1);
        let second = c.start_action(NODE1, "recover", TAG);
        second.wait_says("waiting up to 300 s");
        assert_eq!(
            proxy.count("GET", "/rrset"),
            1,
            "the waiting action read the record"
        );
        release(&proxy);
        (a.join().expect("first"), second.finish())
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
    let (_m, proxy, c) = held();
    let (restore, check) = thread::scope(|s| {
        let a = s.spawn(|| c.action(NODE1, "restore", TAG));
        wait_for("the UPSERT", || proxy.count("POST", "/rrset") == 1);
        let reads = proxy.count("GET", "/rrset");
        let q = c.action(NODE1, "quickCheck", TAG);
        assert_eq!(proxy.count("GET", "/rrset"), reads, "quickCheck looked");
        release(&proxy);
        (a.join().expect("restore"), q)
    });
    restore.ok();
    check
        .ok()
        .says("another action on this resource is running");
}

#[test]
fn a_lock_held_past_the_wait_fails_saying_so() {
    let (_m, proxy, c) = held();
    c.set_defaults("ROUTE53_CHANGEID_INTERVAL=5\nROUTE53_LOCK_WAIT=1\n");
    let (first, second) = thread::scope(|s| {
        let a = s.spawn(|| c.action(NODE1, "restore", TAG));
        wait_for("the UPSERT", || proxy.count("POST", "/rrset") == 1);
        let b = c.action(NODE1, "restore", TAG);
        b.says("waiting up to 1 s");
        release(&proxy);
        (a.join().expect("first"), b)
    });
    first.ok();
    second
        .status(6)
        .says("another action on r53-app still holds");
    assert_eq!(proxy.count("POST", "/rrset"), 1);
}

/// Split brain, in a fixed order: node1 writes, then node2 writes while
/// node1 still waits for INSYNC. The last writer wins and says so; node1
/// finds node2's address when it verifies and fails naming it.
#[test]
fn split_brain_ends_with_the_last_writer_and_the_other_node_says_what_it_found() {
    let (_m, proxy, c) = held();
    let (one, two) = thread::scope(|s| {
        let a = s.spawn(|| c.action(NODE1, "restore", TAG));
        wait_for("node1's UPSERT", || proxy.count("POST", "/rrset") == 1);
        let b = s.spawn(|| c.action(NODE2, "restore", TAG));
        wait_for("node2's UPSERT", || proxy.count("POST", "/rrset") == 2);
        release(&proxy);
        (a.join().expect("node1"), b.join().expect("node2"))
    });
    assert_eq!(c.record(), format!("{ADDR2} 10"));
    two.ok().says(&format!("holds {ADDR2} with TTL 10"));
    one.status(1)
        .says(&format!(
            "after the change, the A record {HOST} in zone {} holds {ADDR2}; IP resource {} holds {ADDR1}: something else wrote it",
            c.zone,
            ip_tag(ADDR1)
        ));
}
