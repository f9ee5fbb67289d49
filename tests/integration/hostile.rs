//! The kit on a node that is going wrong: stderr that cannot be written, a
//! syslog daemon that does not read, a local user who should have no say,
//! endless answers, hangs, causes that must be named, signals, addresses no
//! client can use, and settings written the many ways a shell allows. Each
//! case against the installed kit, a local Route 53 and the test front;
//! each prints a row for the README's reliability table (see
//! scripts/fault-table.sh).

use std::fs::File;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixDatagram;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::util::front::Rules;
use crate::util::*;

/// A panic shows as exit 101 (test builds) or a signal (release builds).
#[track_caller]
fn no_crash(out: &Out) {
    assert!(out.status != 101 && out.status >= 0, "the kit crashed{out}");
}

// ---- stderr and syslog ---------------------------------------------------

#[test]
fn stderr_on_a_full_disk_changes_no_verdict() {
    let (_moto, c) = ready();
    let full = || Stdio::from(File::create("/dev/full").expect("/dev/full"));
    // restore still writes the record.
    let out = c.action_stderr(NODE1, "restore", TAG, full());
    row("stderr is /dev/full (disk full)", &out, &c);
    no_crash(&out);
    out.ok();
    assert_eq!(c.record(), format!("{ADDR1} 10"));
    // A quickCheck that has something to log (the TTL differs) passes.
    c.set_defaults("ROUTE53_CHANGEID_INTERVAL=1\nROUTE53_TTL=60\n");
    let out = c.action_stderr(NODE1, "quickCheck", TAG, full());
    row("stderr is /dev/full, quickCheck with a warning", &out, &c);
    out.ok();
    // remove always exits 0.
    c.action_stderr(NODE1, "remove", TAG, full()).ok();
}

#[test]
fn stderr_whose_reader_has_gone_changes_no_verdict() {
    let (_moto, c) = ready();
    c.r53(&["set", &c.zone, HOST, "A", "300", "192.0.2.99"]);
    // A pipe whose reading end is closed before the kit writes.
    let (reader, writer) = std::io::pipe().expect("pipe");
    drop(reader);
    let out = c.action_stderr(NODE1, "restore", TAG, Stdio::from(writer));
    row("stderr is a pipe whose reader has gone", &out, &c);
    no_crash(&out);
    out.ok();
    assert_eq!(c.record(), format!("{ADDR1} 10"));
}

#[test]
fn a_syslog_daemon_that_does_not_read_never_stalls_an_action() {
    let (_moto, proxy, c) = ready_behind(Rules {
        pending: 2,
        ..Rules::default()
    });
    let sock = c.dir.join("stuck.sock");
    let server = UnixDatagram::bind(&sock).expect("bind");
    // Fill the daemon's queue, as a daemon that stopped reading would have.
    let filler = UnixDatagram::unbound().expect("socket");
    filler.set_nonblocking(true).expect("nonblocking");
    let mut queued = 0;
    while filler.send_to(&[b'x'; 512], &sock).is_ok() {
        queued += 1;
        assert!(queued < 1_000_000, "the queue never filled");
    }
    let out = c.action_env(
        NODE1,
        "restore",
        TAG,
        &[("LKROUTE53_SYSLOG_SOCKET", sock.to_str().expect("path"))],
    );
    row("syslog socket full, nobody reading", &out, &c);
    out.ok()
        .says("INSYNC")
        .says("log line(s) could not be sent to syslog");
    assert!(out.took < Duration::from_secs(30), "{out}");
    assert_eq!(proxy.count("POST", "/rrset"), 1);
    drop(server);
}

// ---- only root decides -----------------------------------------------------

/// A local user who is not root: `nobody`, or one the test makes; its user
/// and group IDs.
fn non_root_user() -> (String, String) {
    let user = non_root_name();
    let id = |flag: &str| {
        let out = Command::new("id")
            .arg(flag)
            .arg(&user)
            .output()
            .expect("id");
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    };
    (id("-u"), id("-g"))
}

fn non_root_name() -> String {
    let has = |u: &str| {
        Command::new("id")
            .arg("-u")
            .arg(u)
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if has("nobody") {
        return "nobody".into();
    }
    let made = Command::new("useradd")
        .args(["--system", "--no-create-home", "lkr53test"])
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        made || has("lkr53test"),
        "no non-root user, and useradd failed"
    );
    "lkr53test".into()
}

fn lock_dir(c: &Cluster, node: &str) -> std::path::PathBuf {
    c.root(node).join("locks")
}

/// The layout an older version left (0755 folder, 0644 lock file), and a
/// local user holding the lock through a read-only descriptor: neither
/// delays restore nor makes quickCheck pass without looking.
#[test]
fn a_local_user_holding_an_old_lock_file_cannot_block_or_delay_an_action() {
    let (_moto, c) = ready();
    c.set_defaults("ROUTE53_CHANGEID_INTERVAL=1\nROUTE53_LOCK_WAIT=30\n");
    // Under /tmp, where another user can reach it as under /run.
    let base = std::env::temp_dir().join(format!("lkr53-hostile-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&base);
    std::fs::create_dir_all(&base).expect("base");
    std::fs::set_permissions(&base, std::fs::Permissions::from_mode(0o755)).expect("0755");
    let dir = base.join("locks");
    std::fs::create_dir_all(&dir).expect("lock dir");
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).expect("0755");
    let file = dir.join(format!("{TAG}.lock"));
    std::fs::write(&file, b"").expect("lock file");
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).expect("0644");
    let (uid, gid) = non_root_user();
    let mut holder = Command::new("setpriv")
        .args(["--reuid", &uid, "--regid", &gid, "--clear-groups"])
        .arg("flock")
        .arg(&file)
        .args(["sleep", "120"])
        .spawn()
        .expect("setpriv flock");
    wait_for("the user to hold the lock", || {
        File::open(&file).is_ok_and(|f| f.try_lock().is_err())
    });
    let locks = [("LKROUTE53_LOCK_DIR", dir.to_str().expect("path"))];

    c.r53(&["set", &c.zone, HOST, "A", "300", "192.0.2.99"]);
    let q = c.action_env(NODE1, "quickCheck", TAG, &locks);
    row(
        "a local user holds the lock file (0644 from an older version)",
        &q,
        &c,
    );
    q.status(1).not_says("passing without a check");
    let out = c.action_env(NODE1, "restore", TAG, &locks);
    row(
        "a local user holds the lock file (0644 from an older version)",
        &out,
        &c,
    );
    out.ok().not_says("waiting up to");
    assert!(out.took < Duration::from_secs(10), "{out}");
    assert_eq!(c.record(), format!("{ADDR1} 10"));
    let mode = |p: &Path| std::fs::metadata(p).expect("meta").permissions().mode() & 0o777;
    assert_eq!(mode(&dir), 0o700);
    assert_eq!(mode(&file), 0o600);
    let _ = holder.kill();
    let _ = holder.wait();
    let _ = std::fs::remove_dir_all(&base);
}

/// A lock folder others may write in, or that is a link, is refused by
/// name; restore moves the record all the same, without the lock.
#[test]
fn an_unsafe_lock_folder_is_refused_and_restore_goes_on_without_it() {
    let (_moto, c) = ready();
    let dir = lock_dir(&c, NODE1);
    std::fs::create_dir_all(&dir).expect("lock dir");
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).expect("0777");
    let out = c.action(NODE1, "restore", TAG);
    row("lock folder writable by others", &out, &c);
    out.ok()
        .says("is not used: others may write in it (mode 0777); going on without the lock");
    assert_eq!(c.record(), format!("{ADDR1} 10"));

    std::fs::remove_dir_all(&dir).expect("rm");
    let elsewhere = c.dir.join("elsewhere");
    std::fs::create_dir_all(&elsewhere).expect("dir");
    std::os::unix::fs::symlink(&elsewhere, &dir).expect("symlink");
    c.r53(&["set", &c.zone, HOST, "A", "300", "192.0.2.99"]);
    let out = c.action(NODE1, "restore", TAG);
    row("lock folder is a symbolic link", &out, &c);
    out.ok()
        .says("it is a symbolic link; going on without the lock");
    assert_eq!(c.record(), format!("{ADDR1} 10"));
    assert_eq!(std::fs::read_dir(&elsewhere).expect("ls").count(), 0);
}

#[test]
fn a_lock_file_that_is_a_link_is_not_followed() {
    let (_moto, c) = ready();
    let dir = lock_dir(&c, NODE1);
    std::fs::create_dir_all(&dir).expect("lock dir");
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).expect("0700");
    let victim = c.dir.join("victim");
    std::fs::write(&victim, b"keep me").expect("victim");
    let lock = dir.join(format!("{TAG}.lock"));
    let _ = std::fs::remove_file(&lock);
    std::os::unix::fs::symlink(&victim, &lock).expect("symlink");
    let out = c.action(NODE1, "restore", TAG);
    row("lock file is a symbolic link", &out, &c);
    out.ok().says("going on without the lock");
    assert_eq!(std::fs::read(&victim).expect("victim"), b"keep me");
    assert_eq!(c.record(), format!("{ADDR1} 10"));
}

#[test]
fn a_lock_that_cannot_be_made_does_not_stop_restore() {
    let (_moto, c) = ready();
    // The lock folder would have to be made inside a regular file.
    let blocker = c.dir.join("not-a-folder");
    std::fs::write(&blocker, b"").expect("file");
    let out = c.action_env(
        NODE1,
        "restore",
        TAG,
        &[(
            "LKROUTE53_LOCK_DIR",
            blocker.join("locks").to_str().expect("path"),
        )],
    );
    row("lock folder cannot be made", &out, &c);
    out.ok().says("going on without the lock");
    assert_eq!(c.record(), format!("{ADDR1} 10"));
}

// ---- everything bounded ----------------------------------------------------

/// With an address-space limit far below what an endless body would take,
/// the read still ends: the body is capped while it is read.
#[test]
fn an_endless_answer_is_cut_off_while_it_is_read() {
    let (_moto, proxy, c) = ready_behind(Rules::default());
    c.action(NODE1, "restore", TAG).ok();
    proxy.set(|r| r.endless_reads = true);
    c.set_defaults("ROUTE53_RECORDCHECK_TRY_COUNT=1\n");
    let q = c.action(NODE1, "quickCheck", TAG);
    row("answer body never ends", &q, &c);
    q.ok().says("larger than 4 MiB");
    let q = c.exec(
        NODE1,
        Path::new("/usr/bin/prlimit"),
        &[
            "--as=1073741824",
            "--",
            c.kit
                .join(KIT)
                .join("actions/quickCheck")
                .to_str()
                .expect("path"),
            "-t",
            TAG,
        ],
        &[],
    );
    q.ok().says("larger than 4 MiB");
}

#[test]
fn an_lcd_command_that_prints_without_end_is_stopped() {
    let (_moto, c) = ready();
    c.lcd_faults(NODE1, r#"{"dep_list": {"endless": true}}"#);
    let out = c.action(NODE1, "restore", TAG);
    row("an LCD command prints without end", &out, &c);
    out.status(3)
        .says("more than 4194304 bytes of output; the command was stopped");
    assert!(out.took < Duration::from_secs(20), "{out}");
}

#[test]
fn a_settings_file_that_is_a_fifo_is_not_waited_for() {
    let (_moto, c) = ready();
    c.action(NODE1, "restore", TAG).ok();
    std::fs::remove_file(&c.defaults).expect("rm");
    let made = Command::new("mkfifo")
        .arg(&c.defaults)
        .status()
        .expect("mkfifo");
    assert!(made.success());
    let q = c.action(NODE1, "quickCheck", TAG);
    row("settings file is a FIFO nobody writes", &q, &c);
    q.ok().says("is not a regular file");
    assert!(q.took < Duration::from_secs(10), "{q}");
}

/// GetChange hangs: the INSYNC wait starts no check after its budget, so
/// restore overruns it by at most one call bound B = 3(C+R) + 10 s.
#[test]
fn a_hanging_status_check_overruns_the_budget_by_at_most_one_call() {
    let (_moto, proxy, c) = ready_behind(Rules::default());
    proxy.set(|r| r.hang_changes = true);
    c.set_defaults(
        "ROUTE53_CHANGEID_INTERVAL=1\nROUTE53_CHANGEID_TRY_COUNT=3\nROUTE53_CONNECT_TIMEOUT=1\nROUTE53_READ_TIMEOUT=1\n",
    );
    let out = c.action(NODE1, "restore", TAG);
    row("GetChange never answers (budget 3 s, B = 16 s)", &out, &c);
    out.status(5).says("was written");
    let budget = Duration::from_secs(3);
    let call_bound = Duration::from_secs(3 * 2 + 10);
    // The read and the UPSERT answer at once; allow 3 s for them and start-up.
    assert!(
        out.took <= budget + call_bound + Duration::from_secs(3),
        "{out}"
    );
    assert_eq!(c.record(), format!("{ADDR1} 10"));
}

/// The README's bound for restore, with every request hanging:
/// 3L + B + RECORD_TRY_COUNT x B + ... ; here the read and one UPSERT try.
#[test]
fn restore_with_every_request_hanging_ends_within_its_bound() {
    let (_moto, proxy, c) = ready_behind(Rules::default());
    proxy.set(|r| r.hang = true);
    c.set_defaults(
        "ROUTE53_CONNECT_TIMEOUT=1\nROUTE53_READ_TIMEOUT=1\nROUTE53_RECORD_TRY_COUNT=1\nROUTE53_LCD_TIMEOUT=2\n",
    );
    let out = c.action(NODE1, "restore", TAG);
    row("every request hangs (C = R = 1 s, one try)", &out, &c);
    out.status(4);
    let b = Duration::from_secs(16);
    let bound = 3 * Duration::from_secs(2) + b + b;
    assert!(
        out.took <= bound,
        "took {:?}, bound {bound:?}{out}",
        out.took
    );
}

#[test]
fn remove_with_a_hanging_lcd_ends_within_one_lcd_limit() {
    let (_moto, c) = ready();
    c.set_defaults("ROUTE53_LCD_TIMEOUT=1\n");
    c.lcd_faults(NODE1, r#"{"ins_list": {"hang": 60}}"#);
    let out = c.action(NODE1, "remove", TAG);
    row("remove, ins_list hangs (ROUTE53_LCD_TIMEOUT=1)", &out, &c);
    out.ok();
    assert!(out.took < Duration::from_secs(4), "{out}");
}

/// A profile whose credential_process never finishes: quickCheck and
/// doctor end in bounded time, naming the cause, and leave no process.
#[test]
fn a_hanging_credential_process_is_bounded_and_leaves_no_process() {
    let (_moto, c) = ready();
    let pids = c.dir.join("pids");
    let script = c.dir.join("creds.sh");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\necho $$ >>{p}\nsleep 300 &\necho $! >>{p}\nwait\n",
            p = pids.display()
        ),
    )
    .expect("script");
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
        ("AWS_ACCESS_KEY_ID", ""),
        ("AWS_SECRET_ACCESS_KEY", ""),
        ("AWS_PROFILE", "hang"),
        ("AWS_CONFIG_FILE", config.to_str().expect("path")),
    ];
    let q = c.action_env(NODE1, "quickCheck", TAG, &env);
    row("credential_process never finishes", &q, &c);
    q.ok()
        .says("credential_process of profile hang: did not finish within 1 s and was stopped")
        .says("passing");
    assert!(q.took < Duration::from_secs(30), "{q}");
    let d = c.exec(
        NODE1,
        &c.kit.join("usr/sbin/lkroute53"),
        &["doctor", TAG],
        &env,
    );
    d.status(1).prints("[FAIL] credentials");
    assert!(d.took < Duration::from_secs(60), "{d}");
    let started = std::fs::read_to_string(&pids).expect("the process ran");
    // SIGKILL is sent when the kit ends; on a busy machine the kernel may
    // take a moment to finish each process off (gone, or a zombie).
    for pid in started.split_whitespace() {
        let stat = format!("/proc/{pid}/stat");
        wait_for(
            &format!("process {pid} of the credential_process to end"),
            || {
                let s = std::fs::read_to_string(&stat).unwrap_or_default();
                s.is_empty() || s.contains(") Z ")
            },
        );
    }
}

// ---- the true cause, in words ---------------------------------------------

#[test]
fn each_cause_is_named_in_words() {
    let (_moto, proxy, mut c) = ready_behind(Rules::default());
    c.action(NODE1, "restore", TAG).ok();
    c.set_defaults("ROUTE53_CONNECT_TIMEOUT=1\nROUTE53_READ_TIMEOUT=1\nROUTE53_RECORD_INTERVAL=0\nROUTE53_RECORDCHECK_INTERVAL=0\n");

    // No credentials at all: named, not retried, no write attempted.
    let posts = proxy.count("POST", "/rrset");
    let none = [("AWS_ACCESS_KEY_ID", ""), ("AWS_SECRET_ACCESS_KEY", "")];
    let out = c.action_env(NODE2, "restore", TAG, &none);
    row("no credentials anywhere", &out, &c);
    out.status(4)
        .says("no AWS credentials were found")
        .not_says("without an answer");
    assert_eq!(proxy.count("POST", "/rrset"), posts);
    c.action_env(NODE1, "quickCheck", TAG, &none)
        .ok()
        .says("no AWS credentials were found");

    // A redirect.
    proxy.set(|r| r.redirect = true);
    let out = c.action(NODE2, "restore", TAG);
    row("the endpoint redirects", &out, &c);
    out.status(4)
        .says("answered with a redirect (HTTP 301) to https://elsewhere.example/");
    c.lkroute53(NODE1, &["doctor", TAG]).status(1).prints(
        "remedy: point AWS_ENDPOINT_URL_ROUTE_53 (or the proxy) at the Route 53 API itself",
    );
    proxy.set(|r| r.redirect = false);

    // An HTTP error page from something in between.
    proxy.set(|r| r.html_503 = usize::MAX);
    c.action(NODE2, "restore", TAG)
        .status(4)
        .says("answered HTTP 503 without a Route 53 error in it");
    proxy.set(|r| r.html_503 = 0);

    // A bad endpoint URL: named, and no SDK dump in the log.
    let bad = [("AWS_ENDPOINT_URL_ROUTE_53", "not a url")];
    let out = c.action_env(NODE2, "restore", TAG, &bad);
    out.status(4)
        .says("AWS_ENDPOINT_URL_ROUTE_53=\"not a url\" is not usable as the Route 53 endpoint: it has no scheme")
        .not_says("SdkBody")
        .not_says("Request {");

    // Connection refused: doctor's remedy is about the path, not IAM.
    c.endpoint = format!("http://127.0.0.1:{}", free_port());
    let out = c.action(NODE2, "restore", TAG);
    row("connection refused", &out, &c);
    out.status(4).says("the connection was refused");
    c.lkroute53(NODE1, &["doctor", TAG])
        .status(1)
        .prints("[FAIL] endpoint")
        .prints("the connection was refused")
        .prints("remedy: nothing accepts connections at the endpoint");
    assert_eq!(c.record(), format!("{ADDR1} 10"));
}

/// SIGTERM while restore waits for INSYNC: one line says where it stopped
/// and what the record holds as far as known, and the exit is nonzero.
#[test]
fn a_terminated_restore_says_where_it_stopped() {
    let (_moto, proxy, c) = ready_behind(Rules {
        pending: usize::MAX,
        ..Rules::default()
    });
    c.set_defaults("ROUTE53_CHANGEID_INTERVAL=5\n");
    let running = c.start_action(NODE1, "restore", TAG);
    running.wait_says("Route 53 accepted the change");
    wait_for("a status check", || proxy.count("GET", "/change/") >= 1);
    let killed = Command::new("kill")
        .args(["-TERM", &running.pid().to_string()])
        .status()
        .expect("kill");
    assert!(killed.success());
    let out = running.finish();
    row("SIGTERM while waiting for INSYNC", &out, &c);
    out.status(143)
        .says("053095:stopped by SIGTERM while waiting for change")
        .says("to be INSYNC; the record, as far as known: written: 10.0.1.10 TTL 10");
}

// ---- usable addresses ------------------------------------------------------

#[test]
fn an_address_no_client_can_use_is_never_published() {
    let (_moto, c) = ready();
    for (addr, why) in [
        ("127.0.0.1", "loopback"),
        ("0.0.0.0", "unspecified"),
        ("169.254.10.1", "link-local"),
        ("224.0.0.5", "multicast"),
        ("255.255.255.255", "broadcast"),
    ] {
        c.lcd(
            NODE1,
            "ins_setinfo",
            &[
                "-t",
                &ip_tag(ADDR1),
                "-v",
                &format!("node1 eth0 {addr} ffffff00 none"),
            ],
        )
        .ok();
        for action in ["restore", "recover"] {
            let out = c.action(NODE1, action, TAG);
            out.status(3)
                .says(&format!("IP resource \"{}\" holds {addr}", ip_tag(ADDR1)))
                .says(why);
        }
        c.action(NODE1, "quickCheck", TAG)
            .ok()
            .says("ERROR:route53:quickCheck")
            .says(why);
        assert_eq!(c.record(), "none");
    }
    // create and extend refuse it too.
    c.lcd(
        NODE2,
        "ins_setinfo",
        &[
            "-t",
            &ip_tag(ADDR2),
            "-v",
            "node2 eth0 127.0.0.2 ff000000 none",
        ],
    )
    .ok();
    c.lkroute53(NODE2, &["delete", TAG]).ok();
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
    .status(3)
    .says("loopback");
    c.create(NODE2, ADDR2).status(3).says("loopback");
}

// ---- settings read as the shell would --------------------------------------

#[test]
fn settings_lines_are_read_as_the_shell_reads_them() {
    let (_moto, c) = ready();
    c.set_defaults(
        "ROUTE53_CHANGEID_INTERVAL=1\nROUTE53_TTL=30; export ROUTE53_TTL\nexport PATH\nreadonly ROUTE53_RECORD_INTERVAL=1\ndeclare -x ROUTE53_RECORD_TRY_COUNT=2\n",
    );
    let out = c.action(NODE1, "restore", TAG);
    out.ok().not_says(":053001:");
    assert_eq!(c.record(), format!("{ADDR1} 30"));

    // 600,000 lines of garbage: at most 20 warnings and one count.
    let mut text = String::from("ROUTE53_CHANGEID_INTERVAL=1\n");
    for _ in 0..600_000 {
        text.push_str("ROUTE53_X\n");
    }
    c.set_defaults(&text);
    let q = c.action(NODE1, "quickCheck", TAG);
    q.ok();
    let warnings = q.stderr.matches(":053001:").count();
    assert!(warnings <= 21, "{warnings} warnings");
    q.says("more warning(s) not shown");

    // A 1 MB value is shortened in the message.
    c.set_defaults(&format!("ROUTE53_TTL={}\n", "9".repeat(500_000)));
    let q = c.action(NODE1, "quickCheck", TAG);
    q.ok().says("ROUTE53_TTL=\"999");
    assert!(
        q.stderr.len() < 10_000,
        "{} bytes of stderr",
        q.stderr.len()
    );
}

// ---- files and answers read because of a setting, STS, the capture -------

/// The kit's program, for exec.
fn kit_program(c: &Cluster, action: &str) -> std::path::PathBuf {
    match action {
        "lkroute53" => c.kit.join("usr/sbin/lkroute53"),
        a => c.kit.join(KIT).join("actions").join(a),
    }
}

fn mkfifo(path: &Path) {
    let ok = Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("mkfifo")
        .success();
    assert!(ok, "mkfifo {}", path.display());
}

/// A trust store path that names a FIFO, a device or a huge file is named
/// and skipped: the action keeps its time bound and its memory.
#[test]
fn trust_store_files_are_read_bounded() {
    let (moto, mut c) = ready();
    let (front, ca) = Front::tls(moto.port);
    c.endpoint = front.url();
    c.set_defaults("ROUTE53_CHANGEID_INTERVAL=1\nROUTE53_RECORDCHECK_TRY_COUNT=1\n");
    let fifo = c.dir.join("certs.fifo");
    mkfifo(&fifo);
    let fifo = fifo.to_str().expect("path").to_string();
    for (name, value) in [
        ("SSL_CERT_FILE names a FIFO, https endpoint", fifo.as_str()),
        ("SSL_CERT_FILE=/dev/zero, https endpoint", "/dev/zero"),
    ] {
        let q = c.measured(
            NODE1,
            &kit_program(&c, "quickCheck"),
            &["-t", TAG],
            &[("SSL_CERT_FILE", value)],
        );
        row(name, &q, &c);
        // Skipped, the system bundle used instead: the test CA is in
        // neither, so the check cannot look, and passes at once.
        q.ok().says("not trusted");
        assert!(q.took < Duration::from_secs(10), "{q}");
        assert!(q.peak_kib.is_some_and(|k| k < 64 << 10), "{q}");
        c.exec(
            NODE1,
            &kit_program(&c, "lkroute53"),
            &["doctor", TAG],
            &[("SSL_CERT_FILE", value)],
        )
        .status(1)
        .prints(&format!("[FAIL] trust: {value}: is not a regular file"))
        .prints("gave no usable certificate; the system bundle is used instead");
    }
    // The kit's own reading still trusts what the files hold: the test CA
    // as SSL_CERT_FILE, and in an SSL_CERT_DIR (with a FIFO beside it).
    let cap = ca.to_str().expect("path");
    c.action_env(NODE1, "restore", TAG, &[("SSL_CERT_FILE", cap)])
        .ok()
        .not_says("WARN");
    let dir = c.dir.join("certdir");
    std::fs::create_dir_all(&dir).expect("dir");
    std::fs::copy(&ca, dir.join("ca.pem")).expect("copy");
    mkfifo(&dir.join("zz.fifo"));
    let d = dir.to_str().expect("path");
    let q = c.action_env(NODE1, "quickCheck", TAG, &[("SSL_CERT_DIR", d)]);
    q.ok().not_says("WARN");
    assert!(q.took < Duration::from_secs(10), "{q}");
    drop(front);
}

/// A certificate the trust store does not trust fails at once, naming the
/// store: a configuration error, not a network one.
#[test]
fn an_untrusted_certificate_fails_at_once_naming_the_trust_store() {
    let (moto, mut c) = ready();
    let (front, _ca) = Front::tls(moto.port);
    c.endpoint = front.url();
    let q = c.action(NODE1, "quickCheck", TAG);
    row("an untrusted server certificate (UnknownIssuer)", &q, &c);
    q.ok()
        .says("the server's certificate was not trusted (invalid peer certificate: UnknownIssuer) by the system bundle")
        .not_says("try 2 of");
    assert!(q.took < Duration::from_secs(3), "{q}");
    let r = c.action(NODE1, "restore", TAG);
    row("an untrusted server certificate (UnknownIssuer)", &r, &c);
    r.status(4).says("UnknownIssuer").not_says("053012");
    assert!(r.took < Duration::from_secs(3), "{r}");
    drop(front);
}

/// The role is assumed through a scripted STS: STS's hiccups are retried
/// as Route 53's are; an endless or cut answer is bounded and named.
fn with_sts_role(rules: Rules) -> (Cluster, Front, Front, String) {
    let (moto, r53, c) = ready_behind(Rules::default());
    let sts = Front::faults(moto.port, rules);
    c.set_defaults(
        "ROUTE53_CHANGEID_INTERVAL=1\nROUTE53_ROLE_ARN=arn:aws:iam::123456789012:role/lk-route53\nROUTE53_CONNECT_TIMEOUT=1\nROUTE53_READ_TIMEOUT=2\n",
    );
    let url = sts.url();
    (c, r53, sts, url)
}

#[test]
fn sts_hiccups_are_retried_like_route53s() {
    let (c, _r53, sts, url) = with_sts_role(Rules::default());
    let env = [("AWS_ENDPOINT_URL_STS", url.as_str())];
    c.r53(&["set", &c.zone, HOST, "A", "300", "192.0.2.99"]);
    sts.set(|r| r.throttle_until = Some(std::time::Instant::now() + Duration::from_secs(3)));
    let out = c.action_env(NODE1, "restore", TAG, &env);
    row(
        "STS answers Throttling for 3 s (role set), then restore",
        &out,
        &c,
    );
    out.ok();
    assert_eq!(c.record(), format!("{ADDR1} 10"));
    c.r53(&["set", &c.zone, HOST, "A", "300", "192.0.2.99"]);
    sts.set(|r| r.html_503 = 2);
    let out = c.action_env(NODE1, "restore", TAG, &env);
    row("STS answers 503 twice (role set)", &out, &c);
    out.ok();
    assert_eq!(c.record(), format!("{ADDR1} 10"));
    sts.set(|r| r.hang = true);
    let out = c.action_env(NODE1, "restore", TAG, &env);
    row("STS never answers (role set)", &out, &c);
    out.status(4).says("was not sent");
    // Three record tries, each a call bound of 3 attempts of 3 s and a
    // pause: far below ROUTE53_LOCK_WAIT and LifeKeeper's patience.
    assert!(out.took < Duration::from_secs(60), "{out}");
}

#[test]
fn an_endless_or_cut_sts_answer_is_bounded_and_named() {
    let (c, r53, sts, url) = with_sts_role(Rules::default());
    let env = [("AWS_ENDPOINT_URL_STS", url.as_str())];
    sts.set(|r| r.endless_all = true);
    for action in ["restore", "quickCheck"] {
        let out = c.measured(NODE1, &kit_program(&c, action), &["-t", TAG], &env);
        row(
            "STS streams an endless AssumeRole answer (role set)",
            &out,
            &c,
        );
        no_crash(&out);
        assert!(out.peak_kib.is_some_and(|k| k < 64 << 10), "{out}");
        out.says("larger than 4 MiB");
    }
    let out = c.measured(NODE1, &kit_program(&c, "lkroute53"), &["status", TAG], &env);
    assert!(out.peak_kib.is_some_and(|k| k < 64 << 10), "{out}");
    sts.set(|r| {
        r.endless_all = false;
        r.truncated = true;
    });
    let signed_with_ak = || r53.seen().iter().filter(|r| r.access_key == "AK").count();
    let out = c.action_env(NODE1, "restore", TAG, &env);
    row("a truncated AssumeRole answer", &out, &c);
    out.status(4)
        .says("STS AssumeRole of arn:aws:iam::123456789012:role/lk-route53")
        .says("gave credentials that are not whole");
    assert_eq!(signed_with_ak(), 0, "a request was signed with the cut key");
}

/// An endless credential_process: read up to its cap, stopped, named.
#[test]
fn an_endless_credential_process_is_capped() {
    let (_moto, c) = ready();
    let script = c.dir.join("creds.sh");
    std::fs::write(&script, "#!/bin/sh\nexec yes '{\"Version\": 1,'\n").expect("script");
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let config = c.dir.join("aws-config");
    std::fs::write(
        &config,
        format!(
            "[profile endless]\ncredential_process = {} --with 'an argument'\n",
            script.display()
        ),
    )
    .expect("config");
    c.set_defaults("ROUTE53_CONNECT_TIMEOUT=1\nROUTE53_READ_TIMEOUT=2\n");
    let env = [
        ("AWS_ACCESS_KEY_ID", ""),
        ("AWS_SECRET_ACCESS_KEY", ""),
        ("AWS_PROFILE", "endless"),
        ("AWS_CONFIG_FILE", config.to_str().expect("path")),
    ];
    let out = c.measured(NODE1, &kit_program(&c, "restore"), &["-t", TAG], &env);
    row("credential_process prints without end", &out, &c);
    out.status(4)
        .says("credential_process of profile endless: printed more than 64 KiB");
    assert!(out.peak_kib.is_some_and(|k| k < 64 << 10), "{out}");
    assert!(out.took < Duration::from_secs(10), "not retried: {out}");
    // Shell syntax is refused by name, never run through a shell.
    std::fs::write(
        &config,
        format!(
            "[profile endless]\ncredential_process = {} | tee {}\n",
            script.display(),
            c.dir.join("pwned").display()
        ),
    )
    .expect("config");
    c.action_env(NODE1, "restore", TAG, &env)
        .status(4)
        .says("cannot be run without a shell: it uses '|' (shell syntax)");
    assert!(!c.dir.join("pwned").exists());
}

/// The capture is written into a new file only: never through a link,
/// never into another's file, never into a FIFO.
#[test]
fn the_capture_never_writes_where_it_must_not() {
    let (_moto, c) = ready();
    let target = c.dir.join("root-only");
    std::fs::write(&target, "keep me\n").expect("target");
    let link = c.dir.join("capture-link");
    std::os::unix::fs::symlink(&target, &link).expect("link");
    let existing = c.dir.join("capture-existing");
    std::fs::write(&existing, "another user's file\n").expect("existing");
    std::fs::set_permissions(&existing, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let fifo = c.dir.join("capture-fifo");
    mkfifo(&fifo);
    for (name, path) in [
        ("doctor --capture FILE, FILE a planted symlink", &link),
        ("doctor --capture FILE, FILE exists (0644)", &existing),
        ("doctor --capture FILE, FILE a FIFO", &fifo),
    ] {
        let out = c.lkroute53(
            NODE1,
            &["doctor", TAG, "--capture", path.to_str().expect("path")],
        );
        row(name, &out, &c);
        out.status(1)
            .prints("[FAIL] capture: cannot write")
            .prints("exists already");
        assert!(out.took < Duration::from_secs(20), "{out}");
    }
    assert_eq!(
        std::fs::read_to_string(&target).expect("target"),
        "keep me\n"
    );
    assert_eq!(
        std::fs::read_to_string(&existing).expect("existing"),
        "another user's file\n"
    );
    let fresh = c.dir.join("capture-new");
    c.lkroute53(
        NODE1,
        &["doctor", TAG, "--capture", fresh.to_str().expect("path")],
    )
    .ok();
    let mode = std::fs::metadata(&fresh)
        .expect("made")
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o600);
}

/// A proxy setting without a scheme keeps its password out of every output.
#[test]
fn proxy_credentials_without_a_scheme_are_hidden_everywhere() {
    let (_moto, c) = ready();
    let env = [
        ("HTTPS_PROXY", "user:hunter2-never-shown@127.0.0.1:9"),
        ("HTTP_PROXY", "user:hunter2-never-shown@127.0.0.1:9"),
    ];
    let file = c.dir.join("capture.txt");
    for args in [
        vec!["status", TAG],
        vec!["doctor", TAG],
        vec!["doctor", TAG, "--capture", file.to_str().expect("path")],
    ] {
        let out = c.exec(NODE1, &kit_program(&c, "lkroute53"), &args, &env);
        assert!(
            !out.stdout.contains("hunter2") && !out.stderr.contains("hunter2"),
            "{out}"
        );
    }
    let q = c.action_env(NODE1, "quickCheck", TAG, &env);
    assert!(!q.stderr.contains("hunter2"), "{q}");
    let text = std::fs::read_to_string(&file).expect("capture");
    assert!(text.contains("HTTPS_PROXY=***@127.0.0.1:9"), "{text}");
    assert!(!text.contains("hunter2"), "{text}");
}

/// A budget time further ahead than the budget can explain is a clock
/// set back: reset, said once, nothing slowed.
#[test]
fn a_clock_set_back_slows_nothing() {
    let (_moto, c) = ready();
    c.action(NODE1, "restore", TAG).ok();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("time")
        .as_nanos() as u64;
    let ahead = now + 30_000_000_000;
    std::fs::write(
        c.root(NODE1).join("locks/budget"),
        format!("v2 {ahead} 0 0\n"),
    )
    .expect("budget");
    let r = c.action(NODE1, "restore", TAG);
    row("a budget time 30 s in the future (clock set back)", &r, &c);
    r.ok();
    assert_eq!(r.stderr.matches(":053019:").count(), 1, "{r}");
    assert!(r.took < Duration::from_secs(5), "{r}");
    let q = c.action(NODE1, "quickCheck", TAG);
    q.ok().not_says(":053019:");
    assert!(q.took < Duration::from_secs(3), "{q}");
}

/// Pending files are counted by a strictly read PID; the rest go.
#[test]
fn pending_files_with_loose_pids_are_removed_and_slow_nothing() {
    let (_moto, proxy, c) = ready_behind(Rules::default());
    c.action(NODE1, "restore", TAG).ok();
    // The change is PENDING at first: the restore waits, and counts the
    // node's pending changes.
    proxy.set(|r| r.pending = 2);
    let locks = c.root(NODE1).join("locks");
    let mut planted = Vec::new();
    for i in 0..400 {
        let name = match i % 4 {
            0 => format!("pending.{}", "0".repeat(i % 7 + 1) + "1"),
            1 => format!("pending.+{}", 1 + i),
            2 => format!("pending. {}", 1),
            _ => format!("pending.1x{i}"),
        };
        let p = locks.join(&name);
        std::fs::write(&p, "C1 PENDING 0\n").expect("pending");
        planted.push(p);
    }
    c.r53(&["set", &c.zone, HOST, "A", "300", "192.0.2.99"]);
    let r = c.action(NODE1, "restore", TAG);
    row(
        "400 pending files naming PID 1 loosely (0001, +1, ...)",
        &r,
        &c,
    );
    r.ok();
    assert!(r.took < Duration::from_secs(6), "{r}");
    let left: Vec<_> = planted.iter().filter(|p| p.exists()).collect();
    assert!(
        left.is_empty(),
        "{} loose pending files left, e.g. {:?}",
        left.len(),
        left.first()
    );
}

/// policy never writes a trust policy that lets anyone in.
#[test]
fn policy_refuses_wildcard_principals() {
    let (_moto, c) = ready();
    for bad in ["*", "", "arn:aws:iam::123456789012:role/*"] {
        let out = c.lkroute53(NODE1, &["policy", TAG, "--role", "--node-role", bad]);
        row(
            "policy --role --node-role with a wildcard or empty principal",
            &out,
            &c,
        );
        out.status(3).says("--node-role").not_prints("\"AWS\"");
    }
    c.set_defaults("ROUTE53_ROLE_ARN=arn:aws:iam::123456789012:role/*\n");
    c.lkroute53(NODE1, &["policy", TAG, "--role"])
        .status(3)
        .says("ROUTE53_ROLE_ARN");
}

/// New tags that would forge a log field or reorder a terminal are
/// refused; log lines escape such characters wherever they come from.
#[test]
fn tags_that_forge_log_fields_are_refused_and_escaped() {
    let (_moto, c) = ready();
    let zone = c.zone.clone();
    for tag in ["r53:053015:forged", "r53\u{202e}ppa"] {
        let out = c.lkroute53(
            NODE1,
            &[
                "create",
                "--tag",
                tag,
                "--zone-id",
                &zone,
                "--hostname",
                "other.example.com",
                "--ip-tag",
                &ip_tag(ADDR1),
            ],
        );
        row("create with a tag holding ':' or U+202E", &out, &c);
        out.status(3).says("a new tag may not hold");
        assert!(!out.stderr.contains('\u{202e}'), "{out}");
        for line in out.stderr.lines().filter(|l| l.starts_with("ERROR:")) {
            assert_eq!(
                line.split(':').nth(4),
                Some("053092"),
                "a forged field: {line}"
            );
        }
    }
    // A tag from LifeKeeper that holds them: the log line escapes them.
    let q = c.action(NODE1, "quickCheck", "x\u{202e}:053015:y");
    assert!(!q.stderr.contains('\u{202e}'), "{q}");
    q.says("x\\u{202e}\\x3a053015\\x3ay");
}

/// A failed extend leaves no lock file of the tag it did not make.
#[test]
fn a_failed_extend_leaves_no_lock_files() {
    let (_moto, c) = ready();
    let locks = c.root(NODE2).join("locks");
    let before: Vec<_> = std::fs::read_dir(&locks)
        .map(|d| d.flatten().map(|e| e.file_name()).collect())
        .unwrap_or_default();
    // No such template on node1: the extend fails after taking its lock.
    let out = c.lkroute53(NODE2, &["extend", "--tag", "never-made", "--from", NODE1]);
    row("a failed extend", &out, &c);
    assert_ne!(out.status, 0, "{out}");
    let after: Vec<_> = std::fs::read_dir(&locks)
        .map(|d| d.flatten().map(|e| e.file_name()).collect())
        .unwrap_or_default();
    assert_eq!(before, after, "lock files left behind");
    assert!(!locks.join("never-made.lock").exists());
}
