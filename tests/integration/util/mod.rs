//! The integration harness: the kit as installed by
//! `packaging/install-tree.sh`, a real Route 53 endpoint (`moto_server` on
//! 127.0.0.1), and a simulated LifeKeeper cluster whose `$LKROOT/bin`
//! commands (tests/fixtures/lcdsim.py) honour the documented synopses.

#![allow(dead_code)]

pub mod dns;
pub mod front;
pub mod r53;

pub use dns::DnsFront;
pub use front::{Front, Rules};

use std::fmt;
use std::io::Read;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

pub const KIT: &str = "opt/LifeKeeper/subsys/gen/resources/route53";
const LCD_COMMANDS: &[&str] = &[
    "ins_list",
    "ins_create",
    "ins_remove",
    "ins_setinfo",
    "ins_setstate",
    "dep_create",
    "dep_remove",
    "dep_list",
    "eqv_create",
    "eqv_remove",
    "eqv_list",
    "app_create",
    "typ_create",
    "typ_list",
    "lcdsync",
    "sendevent",
];

pub fn unique_dir(prefix: &str) -> PathBuf {
    unique(prefix)
}

pub fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn scratch() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
}

fn unique(prefix: &str) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = scratch().join(format!(
        "{prefix}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

/// The kit laid out by install-tree.sh from the program cargo built for
/// these tests; once per test binary.
pub fn installed() -> &'static Path {
    static TREE: OnceLock<PathBuf> = OnceLock::new();
    TREE.get_or_init(|| {
        let exe = std::env::current_exe().expect("test exe");
        let name = exe.file_stem().and_then(|s| s.to_str()).unwrap_or("t");
        let dest = scratch().join(format!("installed-{name}-{}", std::process::id()));
        // Trees of earlier runs whose process has ended go.
        if let Ok(entries) = std::fs::read_dir(scratch()) {
            for e in entries.flatten() {
                let file = e.file_name();
                let pid = file
                    .to_str()
                    .and_then(|n| n.strip_prefix(&format!("installed-{name}-")))
                    .and_then(|p| p.parse::<u32>().ok());
                if pid.is_some_and(|p| !Path::new(&format!("/proc/{p}")).exists()) {
                    let _ = std::fs::remove_dir_all(e.path());
                }
            }
        }
        let _ = std::fs::remove_dir_all(&dest);
        install_tree(&dest);
        dest
    })
}

/// Lay the kit out under `dest` with install-tree.sh, from the program
/// cargo built for these tests.
pub fn install_tree(dest: &Path) {
    let out = Command::new("bash")
        .arg(repo().join("packaging/install-tree.sh"))
        .arg(dest)
        .arg(env!("CARGO_BIN_EXE_lkroute53"))
        .output()
        .expect("run install-tree.sh");
    assert!(
        out.status.success(),
        "install-tree.sh failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Wait until `cond` holds (at most 30 s), for ordering steps of a test on
/// observable state instead of sleeps.
#[track_caller]
pub fn wait_for(what: &str, cond: impl FnMut() -> bool) {
    wait_within(Duration::from_secs(30), what, cond)
}

/// The one wait of the tests: until `cond` holds, looking every 20 ms, at
/// most `limit`.
#[track_caller]
pub fn wait_within(limit: Duration, what: &str, mut cond: impl FnMut() -> bool) {
    let start = Instant::now();
    while !cond() {
        assert!(
            start.elapsed() < limit,
            "waited {} s for {what}",
            limit.as_secs()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The port a fixture server writes to `file` once it listens.
pub fn port_from_file(file: &Path) -> u16 {
    let mut port = 0;
    wait_for(&format!("a port in {}", file.display()), || {
        port = std::fs::read_to_string(file)
            .ok()
            .and_then(|p| p.trim().parse().ok())
            .unwrap_or(0);
        port != 0
    });
    port
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port()
}

pub fn wait_for_port(port: u16) {
    wait_for(&format!("port {port} to open"), || {
        TcpStream::connect(("127.0.0.1", port)).is_ok()
    });
}

/// The moto_server of this test run, on a free loopback port: started once
/// and shared by every test (each makes zones of its own). It is started
/// under a small keeper that stops it when this process's end closes the
/// keeper's stdin, however the tests end.
pub struct Moto {
    _keeper: Mutex<Child>,
    pub port: u16,
}

impl Moto {
    pub fn shared() -> &'static Moto {
        static MOTO: OnceLock<Moto> = OnceLock::new();
        MOTO.get_or_init(|| {
            let port = free_port();
            let program = std::env::var("MOTO_SERVER").unwrap_or_else(|_| "moto_server".into());
            let keeper = Command::new("python3")
                .args([
                    "-c",
                    "import subprocess, sys\n\
                     p = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n\
                     sys.stdin.read()\n\
                     p.kill()",
                ])
                .args([program.as_str(), "-H", "127.0.0.1", "-p", &port.to_string()])
                .stdin(Stdio::piped())
                .stdout(Stdio::null())
                .spawn()
                .unwrap_or_else(|e| {
                    panic!("cannot start {program} (bash scripts/ensure-tools.sh installs it): {e}")
                });
            wait_for_port(port);
            Moto {
                _keeper: Mutex::new(keeper),
                port,
            }
        })
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

/// What one run of the kit did.
pub struct Out {
    pub command: String,
    pub status: i32,
    pub stdout: String,
    pub stderr: String,
    pub took: Duration,
    /// Peak resident memory of the kit's process, where it was measured
    /// (LKROUTE53_MEASURE_RSS set and GNU time at /usr/bin/time).
    pub peak_kib: Option<u64>,
}

impl Out {
    /// "7.2 MiB", or "-" where not measured.
    pub fn peak(&self) -> String {
        self.peak_kib.map_or_else(
            || "-".to_string(),
            |k| format!("{:.1} MiB", k as f64 / 1024.0),
        )
    }
}

impl fmt::Display for Out {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "\n--- command: {}\n--- exit status: {} after {:.2} s\n--- stdout:\n{}\n--- stderr:\n{}",
            self.command,
            self.status,
            self.took.as_secs_f64(),
            self.stdout,
            self.stderr
        )
    }
}

impl Out {
    #[track_caller]
    pub fn ok(&self) -> &Self {
        assert_eq!(self.status, 0, "expected success{self}");
        self
    }

    #[track_caller]
    pub fn status(&self, want: i32) -> &Self {
        assert_eq!(self.status, want, "expected exit status {want}{self}");
        self
    }

    #[track_caller]
    pub fn says(&self, text: &str) -> &Self {
        assert!(
            self.stderr.contains(text),
            "expected stderr to contain {text:?}{self}"
        );
        self
    }

    #[track_caller]
    pub fn prints(&self, text: &str) -> &Self {
        assert!(
            self.stdout.contains(text),
            "expected stdout to contain {text:?}{self}"
        );
        self
    }

    #[track_caller]
    pub fn not_prints(&self, text: &str) -> &Self {
        assert!(
            !self.stdout.contains(text),
            "expected stdout not to contain {text:?}{self}"
        );
        self
    }

    pub fn not_says(&self, text: &str) -> &Self {
        assert!(
            !self.stderr.contains(text),
            "expected stderr not to contain {text:?}{self}"
        );
        self
    }
}

/// A simulated cluster: one folder per node, each an `$LKROOT` with the
/// simulated LCD commands and a database holding that node's IP resource.
pub struct Cluster {
    pub dir: PathBuf,
    /// Where the kit sends its requests: moto, or the test front before it.
    pub endpoint: String,
    /// moto itself, for looking and tampering from outside.
    pub moto: String,
    /// The installed kit the actions run from (a DESTDIR or an RPM root).
    pub kit: PathBuf,
    pub defaults: PathBuf,
    pub zone: String,
}

/// The simulated LCD's modes of a new cluster: quickCheck's events are
/// recorded, and nothing services them, so that LifeKeeper's own recovery
/// never races the steps a test takes by hand. The tests of the event path
/// (paths.rs), and every test that sets a mode of its own, have events
/// serviced as documented.
pub const QUIET_EVENTS: &str = r#"{"sendevent_runs": "none"}"#;

/// As a value of an extra environment variable: remove it instead.
pub const UNSET: &str = "\u{0}unset";

pub const NODE1: &str = "node1";
pub const NODE2: &str = "node2";
pub const ADDR1: &str = "10.0.1.10";
pub const ADDR2: &str = "10.0.2.20";
pub const HOST: &str = "app.example.com";
pub const TAG: &str = "r53-app";

pub fn ip_tag(addr: &str) -> String {
    format!("ip-{addr}")
}

impl Cluster {
    /// Two nodes, a hosted zone example.com on `endpoint`, default settings
    /// apart from a short status-check interval (moto is INSYNC at once).
    pub fn new(endpoint: &str) -> Cluster {
        let dir = unique("cluster");
        let defaults = dir.join("LifeKeeper");
        let mut c = Cluster {
            dir,
            endpoint: endpoint.to_string(),
            moto: endpoint.to_string(),
            kit: installed().to_path_buf(),
            defaults,
            zone: String::new(),
        };
        c.set_defaults("ROUTE53_CHANGEID_INTERVAL=1\n");
        c.set_lcd_mode(QUIET_EVENTS);
        c.add_node(NODE1, ADDR1);
        c.add_node(NODE2, ADDR2);
        c.zone = c.r53(&["create-zone", "example.com"]);
        c
    }

    /// Two nodes and no Route 53 at all: for what needs none (--help, the
    /// LCD side). Requests would go to a closed port.
    pub fn without_route53() -> Cluster {
        let dir = unique("cluster");
        let defaults = dir.join("LifeKeeper");
        let endpoint = format!("http://127.0.0.1:{}", free_port());
        let c = Cluster {
            dir,
            endpoint: endpoint.clone(),
            moto: endpoint,
            kit: installed().to_path_buf(),
            defaults,
            zone: "ZNOROUTE53".into(),
        };
        c.set_defaults("");
        c.set_lcd_mode(QUIET_EVENTS);
        c.add_node(NODE1, ADDR1);
        c.add_node(NODE2, ADDR2);
        c
    }

    pub fn root(&self, node: &str) -> PathBuf {
        self.dir.join(node)
    }

    pub fn add_node(&self, node: &str, addr: &str) {
        let root = self.root(node);
        std::fs::create_dir_all(root.join("bin")).expect("bin");
        std::fs::create_dir_all(root.join("lcd")).expect("lcd");
        for c in LCD_COMMANDS {
            std::os::unix::fs::symlink(
                repo().join("tests/fixtures/lcdsim.py"),
                root.join("bin").join(c),
            )
            .expect("link LCD command");
        }
        // The kit's resource type folder, where LifeKeeper finds its
        // actions and recovery programs.
        let types = root.join("subsys/gen/resources");
        std::fs::create_dir_all(&types).expect("subsys");
        std::os::unix::fs::symlink(self.kit.join(KIT), types.join("route53")).expect("link kit");
        let db = format!(
            r#"{{"system": "{node}", "deps": [], "instances": [
 {{"app": "comm", "type": "ip", "tag": "ip-{addr}", "id": "IP-{addr}", "info": "{node} eth0 {addr} ffffff00 none", "state": "ISP"}}]}}"#
        );
        std::fs::write(root.join("lcd/db.json"), db).expect("db");
    }

    /// Write the defaults file. No test asks the machine's own DNS
    /// resolver: every run reads `LKROUTE53_RESOLV_CONF=/dev/null` (see
    /// `command`), so `auto`, the default, names no server and
    /// quickCheck's DNS step is skipped unless the text sets
    /// `ROUTE53_CHECK_DNS` (to the test DNS front, see dns.rs).
    pub fn set_defaults(&self, text: &str) {
        std::fs::write(&self.defaults, text).expect("defaults file");
    }

    /// How every node's simulated LCD behaves where LifeKeeper's behaviour
    /// is uncertain (see lcdsim.py): eqv_mirror, nomatch_exit,
    /// dep_list_reversed.
    pub fn set_lcd_mode(&self, json: &str) {
        std::fs::write(self.dir.join("lcdsim.json"), json).expect("lcdsim.json");
    }

    /// Run one of LifeKeeper's hierarchy-extension hooks as installed.
    pub fn hook(&self, node: &str, hook: &str, args: &[&str]) -> Out {
        let program = self
            .kit
            .join("opt/LifeKeeper/lkadm/subsys/gen/route53/bin")
            .join(hook);
        self.exec(node, &program, args, &[])
    }

    /// Take one of the node's LCD commands away.
    pub fn remove_lcd_command(&self, node: &str, command: &str) {
        std::fs::remove_file(self.root(node).join("bin").join(command)).expect("remove command");
    }

    /// The events sendevent was given on the node (JSON lines: argv, the
    /// resource matched, the program run and its exit status).
    pub fn events(&self, node: &str) -> String {
        std::fs::read_to_string(self.root(node).join("lcd/events.log")).unwrap_or_default()
    }

    /// How many times lcdsync ran on the node.
    pub fn syncs(&self, node: &str) -> usize {
        std::fs::read_to_string(self.root(node).join("lcd/synced.log"))
            .map(|t| t.lines().count())
            .unwrap_or(0)
    }

    /// Script misbehaviour of this node's LCD commands (see lcdsim.py).
    pub fn lcd_faults(&self, node: &str, json: &str) {
        std::fs::write(self.root(node).join("lcd/faults.json"), json).expect("faults");
    }

    /// The node's LCD as its commands show it: every instance and every
    /// dependency.
    pub fn lcd_db(&self, node: &str) -> String {
        let ins = self.lcd(node, "ins_list", &["-f", "|"]);
        let deps = self.lcd(node, "dep_list", &["-f", "|"]);
        format!("{}--\n{}", ins.ok().stdout, deps.ok().stdout)
    }

    /// Run a simulated LCD command on a node, as an administrator would.
    pub fn lcd(&self, node: &str, command: &str, args: &[&str]) -> Out {
        self.exec(node, &self.root(node).join("bin").join(command), args, &[])
    }

    fn command(
        &self,
        node: &str,
        program: &Path,
        args: &[&str],
        extra_env: &[(&str, &str)],
    ) -> Command {
        let mut cmd = Command::new(program);
        cmd.args(args)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", &self.dir)
            .env("LKROOT", self.root(node))
            .env("LK_DEFAULTS_FILE", &self.defaults)
            .env("AWS_ENDPOINT_URL_ROUTE_53", &self.endpoint)
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing-secret-never-printed")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_CONFIG_FILE", "/dev/null")
            .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
            .env("LKROUTE53_SYSLOG_SOCKET", "")
            .env("LKROUTE53_LOCK_DIR", self.root(node).join("locks"))
            // Never the machine's own resolver, whatever the settings.
            .env("LKROUTE53_RESOLV_CONF", "/dev/null")
            .stdin(Stdio::null());
        for (k, v) in extra_env {
            if *v == UNSET {
                cmd.env_remove(k);
            } else {
                cmd.env(k, v);
            }
        }
        cmd
    }

    pub fn exec(
        &self,
        node: &str,
        program: &Path,
        args: &[&str],
        extra_env: &[(&str, &str)],
    ) -> Out {
        let measure = std::env::var_os("LKROUTE53_MEASURE_RSS").is_some();
        self.exec_with(node, program, args, extra_env, measure)
    }

    /// As [`Cluster::exec`], with the program's peak resident memory
    /// measured (`Out::peak_kib`).
    pub fn measured(
        &self,
        node: &str,
        program: &Path,
        args: &[&str],
        extra_env: &[(&str, &str)],
    ) -> Out {
        self.exec_with(node, program, args, extra_env, true)
    }

    fn exec_with(
        &self,
        node: &str,
        program: &Path,
        args: &[&str],
        extra_env: &[(&str, &str)],
        measure: bool,
    ) -> Out {
        let rss_file = if measure {
            unique("rss").join("peak")
        } else {
            PathBuf::from("/nonexistent/lkroute53-rss")
        };
        // The peak resident set of the program (its children's largest, as
        // the kernel keeps it), written by a small Python wrapper.
        const PEAK: &str = "import resource, subprocess, sys\nrc = subprocess.call(sys.argv[2:])\nopen(sys.argv[1], 'w').write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))\nsys.exit(rc if rc >= 0 else 128 - rc)\n";
        let mut cmd = if measure {
            let rss = rss_file.to_str().expect("path").to_string();
            let prog = program.to_str().expect("path").to_string();
            let mut wrapped: Vec<&str> = vec!["-c", PEAK, &rss, &prog];
            wrapped.extend_from_slice(args);
            self.command(node, Path::new("python3"), &wrapped, extra_env)
        } else {
            self.command(node, program, args, extra_env)
        };
        let start = Instant::now();
        let out = cmd
            .output()
            .unwrap_or_else(|e| panic!("run {}: {e}", program.display()));
        let peak_kib = std::fs::read_to_string(&rss_file)
            .ok()
            .and_then(|t| t.lines().last()?.trim().parse().ok());
        let o = Out {
            peak_kib,
            command: format!(
                "LKROOT={} {} {}",
                self.root(node).display(),
                program.display(),
                args.join(" ")
            ),
            status: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into(),
            stderr: String::from_utf8_lossy(&out.stderr).into(),
            took: start.elapsed(),
        };
        assert!(
            !o.stderr.contains("testing-secret-never-printed"),
            "a secret was printed{o}"
        );
        assert!(!o.stderr.contains("panicked"), "the kit panicked{o}");
        o
    }

    /// Start an installed action and return while it runs, its output
    /// readable as it comes.
    pub fn start_action(&self, node: &str, action: &str, tag: &str) -> Running {
        self.start_action_on(node, action, tag, HOST)
    }

    /// The same for a resource of the host name `host`, as LifeKeeper's
    /// `-i` names it.
    pub fn start_action_on(&self, node: &str, action: &str, tag: &str, host: &str) -> Running {
        let program = self.kit.join(KIT).join("actions").join(action);
        let id = format!("route53:{}:{host}", self.zone);
        let args = ["-t", tag, "-i", &id];
        let mut cmd = self.command(node, &program, &args, &[]);
        cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("start action");
        let stderr = Arc::new(Mutex::new(String::new()));
        let stdout = Arc::new(Mutex::new(String::new()));
        let readers = vec![
            pump(child.stderr.take().expect("stderr"), stderr.clone()),
            pump(child.stdout.take().expect("stdout"), stdout.clone()),
        ];
        Running {
            child,
            readers,
            stderr,
            stdout,
            command: format!("{} {}", program.display(), args.join(" ")),
            start: Instant::now(),
        }
    }

    /// Run an installed action with its stderr going to `stderr` (a full
    /// disk, a closed pipe): what it printed there is not seen.
    pub fn action_stderr(&self, node: &str, action: &str, tag: &str, stderr: Stdio) -> Out {
        let program = self.kit.join(KIT).join("actions").join(action);
        let id = format!("route53:{}:{HOST}", self.zone);
        let args = ["-t", tag, "-i", &id];
        let mut cmd = self.command(node, &program, &args, &[]);
        cmd.stderr(stderr).stdout(Stdio::piped());
        let start = Instant::now();
        let out = cmd.output().expect("run action");
        Out {
            command: format!(
                "{} {} (stderr redirected)",
                program.display(),
                args.join(" ")
            ),
            status: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into(),
            stderr: String::new(),
            took: start.elapsed(),
            peak_kib: None,
        }
    }

    /// Run an action as LifeKeeper's perform_action does: the action, then
    /// the resource's state set by how it ended (restore and recover: ISP,
    /// or OSF where they failed; remove: OSU).
    pub fn perform(&self, node: &str, action: &str, tag: &str) -> Out {
        let out = self.action(node, action, tag);
        let state = match (action, out.status) {
            ("remove", _) => "OSU",
            (_, 0) => "ISP",
            _ => "OSF",
        };
        self.set_state(node, tag, state);
        out
    }

    /// Set a resource's state in a node's LCD (`ins_setstate`).
    pub fn set_state(&self, node: &str, tag: &str, state: &str) {
        self.lcd(node, "ins_setstate", &["-t", tag, "-S", state])
            .ok();
    }

    /// Run an installed action (restore, remove, quickCheck, recover) as
    /// LifeKeeper does: ACTION -t TAG -i ID.
    pub fn action(&self, node: &str, action: &str, tag: &str) -> Out {
        self.action_env(node, action, tag, &[])
    }

    pub fn action_env(&self, node: &str, action: &str, tag: &str, env: &[(&str, &str)]) -> Out {
        let program = self.kit.join(KIT).join("actions").join(action);
        let id = format!("route53:{}:{HOST}", self.zone);
        self.exec(node, &program, &["-t", tag, "-i", &id], env)
    }

    /// Run a program of the installed kit (relative to the kit folder)
    /// with exactly these arguments.
    pub fn raw(&self, node: &str, program: &str, args: &[&str]) -> Out {
        self.exec(node, &self.kit.join(KIT).join(program), args, &[])
    }

    /// Run the installed operator command.
    pub fn lkroute53(&self, node: &str, args: &[&str]) -> Out {
        self.exec(node, &self.kit.join("usr/sbin/lkroute53"), args, &[])
    }

    /// `lkroute53 create` of the standard resource on a node over its own IP.
    pub fn create(&self, node: &str, addr: &str) -> Out {
        let ip = ip_tag(addr);
        let zone = self.zone.clone();
        self.lkroute53(
            node,
            &[
                "create",
                "--tag",
                TAG,
                "--zone-id",
                &zone,
                "--hostname",
                HOST,
                "--ip-tag",
                &ip,
            ],
        )
    }

    /// Route 53 seen from outside the kit (util/r53.rs).
    pub fn r53(&self, args: &[&str]) -> String {
        r53(&self.moto, args)
    }

    /// The record as "VALUES TTL", or "none".
    pub fn record(&self) -> String {
        self.r53(&["get", &self.zone, HOST, "A"])
    }
}

/// An action that is running; see [`Cluster::start_action`].
pub struct Running {
    child: Child,
    readers: Vec<std::thread::JoinHandle<()>>,
    stderr: Arc<Mutex<String>>,
    stdout: Arc<Mutex<String>>,
    command: String,
    start: Instant,
}

fn pump(
    mut from: impl Read + Send + 'static,
    to: Arc<Mutex<String>>,
) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = from.read(&mut buf) {
            if n == 0 {
                break;
            }
            to.lock()
                .expect("output")
                .push_str(&String::from_utf8_lossy(&buf[..n]));
        }
    })
}

impl Drop for Running {
    /// An action a test did not wait for (it failed first) is ended by its
    /// PID, so that no kit process outlives its test.
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

impl Running {
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Wait (at most 30 s) until the action has said `text` on stderr.
    #[track_caller]
    pub fn wait_says(&self, text: &str) {
        wait_for(&format!("{text:?} from {}", self.command), || {
            self.stderr.lock().expect("stderr").contains(text)
        });
    }

    pub fn finish(mut self) -> Out {
        let status = self.child.wait().expect("wait for action");
        for r in std::mem::take(&mut self.readers) {
            let _ = r.join();
        }
        let stderr = self.stderr.lock().expect("stderr").clone();
        let stdout = self.stdout.lock().expect("stdout").clone();
        Out {
            command: std::mem::take(&mut self.command),
            status: status.code().unwrap_or(-1),
            stdout,
            stderr,
            took: self.start.elapsed(),
            peak_kib: None,
        }
    }
}

/// One row of the README's reliability table, printed for
/// scripts/fault-table.sh (seen with --nocapture): the fault, the action's
/// exit status, its duration and peak memory, and the record afterwards.
pub fn row(fault: &str, out: &Out, c: &Cluster) {
    let action = out
        .command
        .split(' ')
        .find(|w| w.contains("/actions/") || w.contains("/sbin/"))
        .and_then(|p| p.rsplit('/').next())
        .unwrap_or("");
    println!(
        "| {fault} | {action} exits {} | {:.1} s | {} | {} |",
        out.status,
        out.took.as_secs_f64(),
        out.peak(),
        c.record()
    );
}

/// moto and the two-node cluster with the resource created on both nodes.
pub fn ready() -> (&'static Moto, Cluster) {
    let moto = Moto::shared();
    let c = Cluster::new(&moto.url());
    c.create(NODE1, ADDR1).ok();
    c.create(NODE2, ADDR2).ok();
    (moto, c)
}

/// The same, with the kit talking to moto through the front with these
/// scripted faults.
pub fn ready_behind(rules: Rules) -> (&'static Moto, Front, Cluster) {
    let (moto, mut c) = ready();
    let proxy = Front::faults(moto.port, rules);
    c.endpoint = proxy.url();
    (moto, proxy, c)
}

impl Drop for Cluster {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// Route 53 from outside the kit, as tests/fixtures/r53.py offers it to
/// the demo (the same commands and answers), spoken to moto directly.
pub fn r53(endpoint: &str, args: &[&str]) -> String {
    r53::run(endpoint, args)
}
