//! A kit that is never the outage, round 3: no path of the kit's own may
//! point a record at the wrong node, and remove never fails. Each case
//! against the installed kit, a local Route 53 and the simulated LCD; each
//! prints a row for the README's reliability table (scripts/fault-table.sh).

use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::process::Command;
use std::time::Duration;

use crate::util::*;

fn lock_dir(c: &Cluster, node: &str) -> std::path::PathBuf {
    c.root(node).join("locks")
}

fn signal(pid: u32, name: &str) {
    let sent = Command::new("kill")
        .args([format!("-{name}"), pid.to_string()])
        .status()
        .expect("kill");
    assert!(sent.success());
}

/// A change left in a zone's queue by a restore that ended (kill -9), its
/// PID since taken by a living process (PID 1 here): the next restore of
/// another resource of the zone never sends it.
#[test]
fn a_queued_change_of_a_run_that_ended_is_never_sent() {
    let (_moto, c) = ready();
    c.r53(&["set", &c.zone, "old.example.com", "A", "10", ADDR2]);
    let dir = lock_dir(&c, NODE1);
    std::fs::create_dir_all(&dir).expect("locks");
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).expect("chmod");
    let queue = dir.join(format!("batch.{}", c.zone));
    let stale = "1-0badc0de-0";
    std::fs::write(
        &queue,
        format!("{stale}\told.example.com\t{ADDR1}\t10\tLifeKeeper r53-old on node1\n"),
    )
    .expect("queue");
    // The claim file of the ended run, held by nobody.
    std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(dir.join(format!("batch.{}.{stale}.held", c.zone)))
        .expect("claim file");
    std::fs::set_permissions(&queue, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    let out = c.action(NODE1, "restore", TAG);
    row(
        "a queued change of a run that ended, its PID now a living process's",
        &out,
        &c,
    );
    out.ok().not_says("old.example.com").not_says(":053028:");
    assert_eq!(c.record(), format!("{ADDR1} 10"));
    assert_eq!(
        c.r53(&["get", &c.zone, "old.example.com", "A"]),
        format!("{ADDR2} 10"),
        "the other node's record is left alone"
    );
}

/// LifeKeeper's event, queued behind the resource's lock while the
/// resource moved to node2: the recovery program finds the resource out of
/// service on node1 and changes nothing.
#[test]
fn a_late_event_never_pulls_the_record_back() {
    let (_moto, c) = ready();
    c.perform(NODE1, "restore", TAG).ok();
    // An action on node1 holds the resource's lock (another restore, say).
    let dir = lock_dir(&c, NODE1);
    let lock = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(dir.join(format!("{TAG}.lock")))
        .expect("lock file");
    lock.lock().expect("lock");
    let program = c.kit.join(KIT).join("recovery/route53/recordfail");
    let id = format!("route53:{}:{HOST}", c.zone);
    let event = {
        let c = &c;
        let program = program.clone();
        let id = id.clone();
        std::thread::scope(|s| {
            let event = s.spawn(move || {
                c.exec(
                    NODE1,
                    &program,
                    &[
                        "-C",
                        "route53",
                        "-E",
                        "recordfail",
                        "-m",
                        "lkroute53",
                        "-n",
                        &id,
                    ],
                    &[],
                )
            });
            // While it waits for the lock, the resource moves to node2.
            std::thread::sleep(Duration::from_millis(500));
            c.perform(NODE1, "remove", TAG).ok();
            c.perform(NODE2, "restore", TAG).ok();
            drop(lock);
            event.join().expect("the event's program")
        })
    };
    row(
        "a late event, the resource moved to the other node meanwhile",
        &event,
        &c,
    );
    event
        .ok()
        .says(":053027:r53-app is OSU here, not in service: the event came too late");
    assert_eq!(c.record(), format!("{ADDR2} 10"), "still node2's");
}

/// Short of file descriptors: quickCheck and remove pass, restore fails
/// with its documented status; never an abort, always a line.
#[test]
fn short_of_file_descriptors_no_action_aborts() {
    let (_moto, c) = ready();
    for n in [5, 7, 8, 12] {
        for (action, want) in [
            ("quickCheck", 0),
            ("remove", 0),
            ("restore", 7),
            ("recover", 7),
        ] {
            let program = c.kit.join(KIT).join("actions").join(action);
            let script = format!("ulimit -n {n}; exec \"$0\" \"$@\"");
            let out = c.exec(
                NODE1,
                std::path::Path::new("/bin/bash"),
                &["-c", &script, program.to_str().expect("path"), "-t", TAG],
                &[],
            );
            if n == 8 {
                row(
                    &format!("RLIMIT_NOFILE {n} (no room for the runtime)"),
                    &out,
                    &c,
                );
            }
            // With room for the runtime but not the LCD (12), restore
            // fails at the LCD (exit 3); below, it cannot run (exit 7).
            if n == 12 {
                out.status(if want == 7 { 3 } else { 0 })
                    .says("Too many open files");
            } else {
                out.status(want).says("ERROR:route53:");
            }
            assert_ne!(out.status, 134, "aborted{out}");
        }
    }
}

/// remove stopped by a signal still exits 0, and says what state it left.
#[test]
fn remove_exits_0_on_every_signal() {
    let (_moto, c) = ready();
    for sig in ["TERM", "INT", "HUP"] {
        c.lcd_faults(NODE1, r#"{"ins_list": {"hang": 30}}"#);
        let running = c.start_action(NODE1, "remove", TAG);
        wait_for("remove to start its LCD command", || {
            std::fs::read_dir("/proc").is_ok_and(|d| {
                d.flatten().any(|e| {
                    std::fs::read_to_string(e.path().join("stat")).is_ok_and(|s| {
                        s.split_whitespace().nth(3) == Some(&running.pid().to_string())
                    })
                })
            })
        });
        signal(running.pid(), sig);
        let out = running.finish();
        c.lcd_faults(NODE1, "{}");
        row(&format!("remove stopped by SIG{sig}"), &out, &c);
        out.ok()
            .says(&format!(
                ":053095:stopped by SIG{sig} while reading the resource from the LCD"
            ))
            .says("remove changes nothing and exits 0");
    }
}

/// A credential_process that writes more than a pipe holds to stderr is
/// read to its end: it never blocks, and its credentials are used.
#[test]
fn a_credential_process_that_writes_much_to_stderr_never_blocks() {
    let (_moto, c) = ready();
    let script = c.dir.join("creds.sh");
    std::fs::write(
        &script,
        "#!/bin/sh\nhead -c 300000 /dev/zero | tr '\\0' x >&2\necho '{\"Version\": 1, \"AccessKeyId\": \"AKIDEXAMPLE\", \"SecretAccessKey\": \"secret\"}'\n",
    )
    .expect("script");
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let config = c.dir.join("aws-config");
    std::fs::write(
        &config,
        format!(
            "[profile noisy]\ncredential_process = {}\n",
            script.display()
        ),
    )
    .expect("config");
    let env = [
        ("AWS_ACCESS_KEY_ID", UNSET),
        ("AWS_SECRET_ACCESS_KEY", UNSET),
        ("AWS_PROFILE", "noisy"),
        ("AWS_CONFIG_FILE", config.to_str().expect("path")),
    ];
    let out = c.action_env(NODE1, "restore", TAG, &env);
    row("credential_process writes 300 KB to stderr", &out, &c);
    out.ok();
    assert!(out.took < Duration::from_secs(5), "{out}");
    let d = c.exec(
        NODE1,
        &c.kit.join("usr/sbin/lkroute53"),
        &["doctor", TAG],
        &env,
    );
    d.prints("[ ok ] credentials");
    assert!(d.took < Duration::from_secs(10), "{d}");
}

/// A proxy password holding '/', '#' or '?' unencoded is shown nowhere,
/// and the setting is refused by name.
#[test]
fn a_proxy_password_with_url_delimiters_is_shown_nowhere() {
    let (_moto, c) = ready();
    let secret = "hun/ter#2?x";
    let url = format!("http://user:{secret}@127.0.0.1:9");
    let file = c.dir.join("capture.txt");
    for (env, defaults) in [
        (
            vec![("HTTPS_PROXY", url.as_str()), ("HTTP_PROXY", url.as_str())],
            String::new(),
        ),
        (vec![], format!("HTTP_PROXY='{url}'\nHTTPS_PROXY='{url}'\n")),
    ] {
        c.set_defaults(&format!("ROUTE53_CHANGEID_INTERVAL=1\n{defaults}"));
        let _ = std::fs::remove_file(&file);
        for args in [
            vec!["status", TAG],
            vec!["status", TAG, "--json"],
            vec!["doctor", TAG],
            vec!["doctor", TAG, "--capture", file.to_str().expect("path")],
        ] {
            let out = c.exec(NODE1, &c.kit.join("usr/sbin/lkroute53"), &args, &env);
            for part in ["hun/ter", "ter#2", "#2?x", "hunter"] {
                assert!(
                    !out.stdout.contains(part) && !out.stderr.contains(part),
                    "{part}{out}"
                );
            }
            if args[0] == "doctor" {
                out.prints("is no usable proxy URL (its user or password holds '/', '?' or '#'");
            }
        }
        let text = std::fs::read_to_string(&file).expect("capture");
        assert!(
            !text.contains("hun/ter") && !text.contains("ter#2"),
            "{text}"
        );
        let r = c.action_env(NODE1, "restore", TAG, &env);
        row("a proxy password holding '/', '#', '?' unencoded", &r, &c);
        r.ok()
            .says("is no usable proxy URL")
            .not_says("hun/ter")
            .not_says("DNS");
    }
}

/// quickCheck's documented bound holds with every part slow: an LCD
/// command taking most of it, a wrong record, a sendevent that hangs.
#[test]
fn quickcheck_keeps_its_bound_with_a_slow_lcd_and_a_hanging_sendevent() {
    let (_moto, c) = ready();
    c.action(NODE1, "restore", TAG).ok();
    c.r53(&["set", &c.zone, HOST, "A", "10", "192.0.2.99"]);
    c.set_defaults("ROUTE53_QUICKCHECK_TIMEOUT=6\n");
    c.lcd_faults(
        NODE1,
        r#"{"ins_list": {"hang_after": 4}, "sendevent": {"hang": 60}}"#,
    );
    let out = c.action(NODE1, "quickCheck", TAG);
    row(
        "quickCheck: ins_list 4 s, a wrong record, sendevent hangs (timeout 6 s)",
        &out,
        &c,
    );
    out.status(1).says(":053026:");
    assert!(out.took < Duration::from_secs(7), "past 6 s + 1 s{out}");
}

/// A sendevent that exits at once but leaves a child holding its output:
/// quickCheck waits for sendevent's exit, not for the child, and stops
/// the child, naming it.
#[test]
fn a_child_left_holding_sendevents_output_is_stopped_and_named() {
    let (_moto, c) = ready();
    c.action(NODE1, "restore", TAG).ok();
    c.r53(&["set", &c.zone, HOST, "A", "10", "192.0.2.99"]);
    c.lcd_faults(NODE1, r#"{"sendevent": {"linger": 30}}"#);
    let out = c.action(NODE1, "quickCheck", TAG);
    row(
        "sendevent exits at once, a child of it holds its output",
        &out,
        &c,
    );
    out.status(1)
        .says(":053026:told LifeKeeper")
        .says(":053096:stopped ")
        .says("which still held the output of sendevent after it had ended")
        .not_says("credential_process");
    assert!(out.took < Duration::from_secs(5), "{out}");
}

/// create whose ins_create writes the instance and then times out leaves
/// nothing behind.
#[test]
fn a_create_whose_ins_create_times_out_after_writing_leaves_nothing() {
    let moto = Moto::shared();
    let c = Cluster::new(&moto.url());
    c.set_defaults("ROUTE53_LCD_TIMEOUT=2\n");
    let before = c.lcd_db(NODE1);
    c.lcd_faults(NODE1, r#"{"ins_create": {"hang_after": 60}}"#);
    let out = c.create(NODE1, ADDR1);
    c.lcd_faults(NODE1, "{}");
    row(
        "create: ins_create writes the instance, then times out",
        &out,
        &c,
    );
    out.status(3)
        .says("ins_create failed (")
        .says("removed what it had made of r53-app again");
    assert_eq!(c.lcd_db(NODE1), before);
}

/// doctor and status with credentials that never come end within their
/// documented bounds, and say why.
#[test]
fn doctor_and_status_are_bounded_when_credentials_never_come() {
    let (_moto, c) = ready();
    let script = c.dir.join("creds.sh");
    std::fs::write(&script, "#!/bin/sh\nexec sleep 300\n").expect("script");
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let config = c.dir.join("aws-config");
    std::fs::write(
        &config,
        format!(
            "[profile hang]\ncredential_process = {}\n",
            script.display()
        ),
    )
    .expect("config");
    c.set_defaults("ROUTE53_CONNECT_TIMEOUT=1\nROUTE53_READ_TIMEOUT=1\n");
    let env = [
        ("AWS_ACCESS_KEY_ID", UNSET),
        ("AWS_SECRET_ACCESS_KEY", UNSET),
        ("AWS_PROFILE", "hang"),
        ("AWS_CONFIG_FILE", config.to_str().expect("path")),
    ];
    let operator = c.kit.join("usr/sbin/lkroute53");
    let d = c.exec(NODE1, &operator, &["doctor", TAG], &env);
    row(
        "doctor, credential_process never finishes (C = R = 1 s)",
        &d,
        &c,
    );
    d.status(1)
        .prints("[FAIL] credentials")
        .prints("not checked: no credentials to sign a request with");
    assert!(d.took < Duration::from_secs(10), "{d}");
    let s = c.exec(NODE1, &operator, &["status", TAG], &env);
    row(
        "status, credential_process never finishes (C = R = 1 s)",
        &s,
        &c,
    );
    s.status(1).prints("no credentials");
    assert!(s.took < Duration::from_secs(10), "{s}");
}
