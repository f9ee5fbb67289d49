//! The test DNS front (tests/fixtures/dnsfront.py): one hosted zone of the
//! local Route 53 served over UDP and TCP on 127.0.0.1, with switches for
//! wrong answers, and a count of the queries it was asked.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use super::{port_from_file, repo, unique_dir};

pub struct DnsFront {
    child: Child,
    pub port: u16,
    rules: PathBuf,
    stats: PathBuf,
}

impl DnsFront {
    /// Serve `zone` of the Route 53 endpoint `upstream` (moto itself).
    pub fn start(upstream: &str, zone: &str) -> DnsFront {
        let dir = unique_dir("dnsfront");
        let (port_file, rules, stats) = (
            dir.join("port"),
            dir.join("rules.json"),
            dir.join("stats.json"),
        );
        let child = Command::new("python3")
            .arg(repo().join("tests/fixtures/dnsfront.py"))
            .args(["--upstream", upstream, "--zone", zone])
            .arg("--port-file")
            .arg(&port_file)
            .arg("--rules")
            .arg(&rules)
            .arg("--stats")
            .arg(&stats)
            .stdout(Stdio::null())
            .spawn()
            .expect("start dnsfront.py");
        let port = port_from_file(&port_file);
        DnsFront {
            child,
            port,
            rules,
            stats,
        }
    }

    /// The setting that names it: `ROUTE53_CHECK_DNS=127.0.0.1:PORT`.
    pub fn setting(&self) -> String {
        format!("ROUTE53_CHECK_DNS=127.0.0.1:{}\n", self.port)
    }

    /// Answer with this fault from now on (`{}`: truly); see dnsfront.py.
    pub fn set(&self, rules: &str) {
        std::fs::write(&self.rules, rules).expect("rules");
    }

    /// Queries asked so far: (UDP, TCP).
    pub fn queries(&self) -> (u64, u64) {
        let text = std::fs::read_to_string(&self.stats).unwrap_or_default();
        let v: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
        (
            v["udp"].as_u64().unwrap_or(0),
            v["tcp"].as_u64().unwrap_or(0),
        )
    }
}

impl Drop for DnsFront {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
