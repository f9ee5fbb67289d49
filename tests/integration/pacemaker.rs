//! The kit as Pacemaker's resource agent (`ocf:lkroute53:route53`): the
//! agent as installed (`usr/lib/ocf/resource.d/lkroute53/route53`, a link
//! to the one program), run against moto as Pacemaker's executor runs it
//! (action as the one argument, parameters in `OCF_RESKEY_*`), and Debian's
//! `ocf-tester` from the resource-agents package (unpacked by
//! `scripts/ensure-tools.sh --ocf`).

use std::path::{Path, PathBuf};

use crate::util::*;

/// Where `scripts/ensure-tools.sh --ocf` unpacked Debian's resource-agents.
fn resource_agents() -> PathBuf {
    let dir = std::env::var_os("LKROUTE53_RESOURCE_AGENTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var_os("HOME").expect("HOME"))
                .join(".cache/lkroute53/resource-agents")
        });
    assert!(
        dir.join("usr/sbin/ocf-tester").exists(),
        "no ocf-tester under {} (bash scripts/ensure-tools.sh --ocf unpacks it)",
        dir.display()
    );
    dir
}

/// The kit laid out by install-tree.sh in a folder every user can reach
/// (ocf-tester runs meta-data as nobody), removed at the end.
struct Tree(PathBuf);

impl Tree {
    fn new() -> Tree {
        static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let dir = std::env::temp_dir().join(format!("lkroute53-ocf-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("tree");
        install_tree(&dir);
        Tree(dir)
    }

    fn agent(&self) -> PathBuf {
        self.0.join("usr/lib/ocf/resource.d/lkroute53/route53")
    }
}

impl Drop for Tree {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// One resource of the agent on node1's environment: its parameters, its
/// state folder.
struct Agent<'a> {
    c: &'a Cluster,
    program: PathBuf,
    rsctmp: PathBuf,
    params: Vec<(String, String)>,
}

impl<'a> Agent<'a> {
    fn new(c: &'a Cluster, tree: &Tree) -> Agent<'a> {
        Agent {
            c,
            program: tree.agent(),
            rsctmp: unique_dir("rsctmp"),
            params: vec![
                ("hostedzoneid".into(), c.zone.clone()),
                ("fullname".into(), HOST.into()),
                ("ip".into(), ADDR1.into()),
            ],
        }
    }

    fn env(&self, extra: &[(&str, &str)]) -> Vec<(String, String)> {
        let mut env = vec![
            (
                "OCF_ROOT".to_string(),
                resource_agents().join("usr/lib/ocf").display().to_string(),
            ),
            ("OCF_RESOURCE_INSTANCE".into(), "dns-app".into()),
            ("HA_RSCTMP".into(), self.rsctmp.display().to_string()),
            ("OCF_RESKEY_CRM_meta_interval".into(), "30000".into()),
        ];
        for (k, v) in &self.params {
            env.push((format!("OCF_RESKEY_{k}"), v.clone()));
        }
        for (k, v) in extra {
            env.retain(|(key, _)| key != k);
            env.push((k.to_string(), v.to_string()));
        }
        env
    }

    /// Run `action` as Pacemaker's executor does, with these variables
    /// added or replaced (`UNSET` removes one).
    fn run(&self, action: &str, extra: &[(&str, &str)]) -> Out {
        let env = self.env(extra);
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        self.c.exec(NODE1, &self.program, &[action], &env)
    }

    fn state_file(&self) -> PathBuf {
        self.rsctmp.join("route53-dns-app.state")
    }
}

/// ocf-tester as the package ships it, but reading the meta-data's DTD
/// from the unpacked package instead of /usr/share.
fn ocf_tester(dir: &Path) -> PathBuf {
    let agents = resource_agents();
    let text = std::fs::read_to_string(agents.join("usr/sbin/ocf-tester")).expect("ocf-tester");
    assert!(
        text.contains("\nDATADIR=/usr/share\n"),
        "ocf-tester names its DATADIR"
    );
    let text = text.replace(
        "\nDATADIR=/usr/share\n",
        &format!("\nDATADIR={}\n", agents.join("usr/share").display()),
    );
    let path = dir.join("ocf-tester");
    std::fs::write(&path, text).expect("write ocf-tester");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    path
}

#[test]
fn ocf_tester_passes_every_test() {
    let (_moto, c) = ready();
    let tree = Tree::new();
    let agent = Agent::new(&c, &tree);
    c.r53(&["set", &c.zone, HOST, "A", "300", "192.0.2.99"]);
    let tester = ocf_tester(&unique_dir("ocf-tester"));
    let rsctmp = agent.rsctmp.display().to_string();
    let root = resource_agents().join("usr/lib/ocf").display().to_string();
    let (zone, host, ip) = (
        format!("hostedzoneid={}", c.zone),
        format!("fullname={HOST}"),
        format!("ip={ADDR1}"),
    );
    let out = c.exec(
        NODE1,
        &tester,
        &["-v", "-n", "dns-app", "-o", &zone, "-o", &host, "-o", &ip]
            .into_iter()
            .chain([agent.program.to_str().expect("path")])
            .collect::<Vec<_>>(),
        &[("OCF_ROOT", &root), ("HA_RSCTMP", &rsctmp)],
    );
    println!("{}\n{}", out.stdout, out.stderr);
    out.ok().prints("passed all tests");
    assert!(!out.stdout.contains("* rc="), "{}", out.stdout);
    // It started the resource (the record now holds the address) and
    // stopped it again.
    assert_eq!(c.record(), format!("{ADDR1} 10"));
    assert!(!agent.state_file().exists());
}

#[test]
fn probes_and_monitors_never_change_the_record() {
    let (_moto, c) = ready();
    let tree = Tree::new();
    let agent = Agent::new(&c, &tree);
    c.r53(&["set", &c.zone, HOST, "A", "300", "192.0.2.99"]);
    let probe = [("OCF_RESKEY_CRM_meta_interval", "0")];
    // Not started here: the probe says so and asks nobody.
    agent.run("monitor", &probe).status(7);
    agent.run("monitor", &[]).status(7);
    // Started elsewhere and the record moved: a probe here still says 7.
    assert_eq!(c.record(), "192.0.2.99 300");
    // Started here, then the record changed behind the agent's back: the
    // monitor (and a probe) fail, and neither writes.
    agent.run("start", &[]).ok().says("053015");
    assert!(agent.state_file().exists());
    agent.run("monitor", &[]).ok();
    c.r53(&["set", &c.zone, HOST, "A", "300", "192.0.2.99"]);
    agent
        .run("monitor", &[])
        .status(1)
        .says("ERROR: 053022: the A record app.example.com")
        .says("holds 192.0.2.99; parameter ip holds 10.0.1.10; Pacemaker recovers");
    agent.run("monitor", &probe).status(1);
    assert_eq!(c.record(), "192.0.2.99 300");
    // Pacemaker recovers: stop, start.
    agent.run("stop", &[]).ok().says("INFO: 053030:");
    agent.run("monitor", &[]).status(7);
    agent.run("start", &[]).ok();
    assert_eq!(c.record(), format!("{ADDR1} 10"));
    // A second start of a started resource succeeds and changes nothing.
    agent.run("start", &[]).ok().says("053010");
}

#[test]
fn an_api_outage_fails_no_monitor_and_stop_never_fails() {
    let (_moto, c) = ready();
    let tree = Tree::new();
    let agent = Agent::new(&c, &tree);
    agent.run("start", &[]).ok();
    let closed = format!("http://127.0.0.1:{}", free_port());
    let down = [("AWS_ENDPOINT_URL_ROUTE_53", closed.as_str())];
    c.set_defaults("ROUTE53_RECORDCHECK_INTERVAL=0\n");
    agent
        .run("monitor", &down)
        .ok()
        .says("WARNING: 053021: could not read the A record")
        .says("passing (an API outage does not fail the service over)");
    // stop needs no API, and never fails: not with bad parameters, not with
    // a state folder it cannot write.
    agent.run("stop", &down).ok();
    agent.run("stop", &[("OCF_RESKEY_ip", "bogus")]).ok();
    agent
        .run("stop", &[("OCF_RESOURCE_INSTANCE", "../x")])
        .ok()
        .says("ERROR: 053032: OCF_RESOURCE_INSTANCE=\"../x\" is not a resource name");
    // start with Route 53 unreachable fails, named, in bounded time.
    agent.run("start", &down).status(1).says("ERROR: 053093:");
}

#[test]
fn validate_all_refuses_each_bad_parameter_by_name() {
    let (_moto, c) = ready();
    let tree = Tree::new();
    let agent = Agent::new(&c, &tree);
    agent.run("validate-all", &[]).ok();
    let bad: &[(&str, &str, &str)] = &[
        (
            "OCF_RESKEY_hostedzoneid",
            UNSET,
            "parameter hostedzoneid is required and not set",
        ),
        (
            "OCF_RESKEY_fullname",
            "",
            "parameter fullname is required and not set",
        ),
        (
            "OCF_RESKEY_ip",
            UNSET,
            "parameter ip is required and not set",
        ),
        (
            "OCF_RESKEY_hostedzoneid",
            "Z1/../x",
            "parameter hostedzoneid: \"Z1/../x\" is not a hosted zone ID",
        ),
        (
            "OCF_RESKEY_fullname",
            "bad name.example.com",
            "parameter fullname: ",
        ),
        (
            "OCF_RESKEY_ip",
            "10.0.1",
            "parameter ip=\"10.0.1\" is not an IPv4 address",
        ),
        (
            "OCF_RESKEY_ip",
            "169.254.1.1",
            "parameter ip=169.254.1.1 is a link-local address",
        ),
        (
            "OCF_RESKEY_ttl",
            "86401",
            "parameter ttl=\"86401\" is larger than the limit 86400",
        ),
        (
            "OCF_RESKEY_role_arn",
            "arn:aws:iam::1:role/x",
            "parameter role_arn=\"arn:aws:iam::1:role/x\" is not an IAM role ARN",
        ),
        (
            "OCF_RESKEY_region",
            "mars",
            "parameter region=\"mars\" is not a region name",
        ),
    ];
    let before = c.record();
    for (key, value, says) in bad {
        agent
            .run("validate-all", &[(key, value)])
            .status(6)
            .says(&format!("ERROR: 053032: {says}"));
        // start refuses the same, before any request; monitor of a started
        // resource likewise.
        agent.run("start", &[(key, value)]).status(6).says(says);
        assert!(!agent.state_file().exists(), "{key}={value}");
    }
    assert_eq!(c.record(), before);
    // Unknown actions are unimplemented; usage and meta-data always work.
    agent.run("promote", &[]).status(3);
    agent.run("usage", &[]).ok().prints("usage: route53");
    agent
        .run("meta-data", &[("OCF_RESKEY_ip", "bogus")])
        .ok()
        .prints("<resource-agent name=\"route53\"");
}

#[test]
fn a_started_resource_s_monitor_asks_dns_first() {
    let (moto, mut c) = ready();
    let front = Front::faults(moto.port, Rules::default());
    c.endpoint = front.url();
    let dns = DnsFront::start(&moto.url(), &c.zone);
    c.set_defaults(&dns.setting());
    let tree = Tree::new();
    let agent = Agent::new(&c, &tree);
    agent.run("start", &[]).ok();
    let before = front.stats().0;
    agent.run("monitor", &[]).ok();
    assert_eq!(front.stats().0, before, "DNS agreed: no API request");
    assert!(dns.queries().0 >= 1);
    // DNS disagrees: the API decides.
    c.r53(&["set", &c.zone, HOST, "A", "300", "192.0.2.99"]);
    agent.run("monitor", &[]).status(1);
    assert_eq!(front.stats().0, before + 1, "one API read");
}

#[test]
fn the_agent_logs_to_syslog_daemon_with_its_instance() {
    let (_moto, c) = ready();
    let tree = Tree::new();
    let agent = Agent::new(&c, &tree);
    let dir = unique_dir("syslog");
    let socket = dir.join("log");
    let sock = std::os::unix::net::UnixDatagram::bind(&socket).expect("bind");
    sock.set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .expect("timeout");
    let path = socket.display().to_string();
    agent
        .run(
            "validate-all",
            &[("OCF_RESKEY_ip", "x"), ("LKROUTE53_SYSLOG_SOCKET", &path)],
        )
        .status(6);
    let mut buf = [0u8; 4096];
    let n = sock.recv(&mut buf).expect("a datagram");
    let line = String::from_utf8_lossy(&buf[..n]).to_string();
    // daemon (3) x 8 + err (3) = 27
    assert!(line.starts_with("<27>route53(dns-app)["), "{line}");
    assert!(
        line.contains("]: ERROR: 053032: parameter ip=\"x\""),
        "{line}"
    );
}
