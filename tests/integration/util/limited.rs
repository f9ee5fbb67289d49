//! tests/fixtures/ratelimit.py in front of moto: an endpoint with an
//! account's quotas (account, per-action and change-token buckets, a
//! background tenant, each change PENDING for a while), which the
//! benchmark uses too.

use std::process::{Child, Command, Stdio};

use super::{port_from_file, repo, unique_dir};

pub struct Limited {
    child: Child,
    pub port: u16,
}

impl Limited {
    /// The endpoint before moto on `upstream`, with these options of
    /// ratelimit.py (`--rate`, `--burst`, `--insync-after`, ...).
    pub fn start(upstream: u16, options: &[&str]) -> Limited {
        let port_file = unique_dir("ratelimit").join("port");
        let child = Command::new("python3")
            .arg(repo().join("tests/fixtures/ratelimit.py"))
            .args(["--upstream", &upstream.to_string()])
            .args(options)
            .arg("--port-file")
            .arg(&port_file)
            .stdout(Stdio::null())
            .spawn()
            .expect("start ratelimit.py");
        let port = port_from_file(&port_file);
        Limited { child, port }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// What it counted so far (see ratelimit.py).
    pub fn counts(&self) -> serde_json::Value {
        let (status, body) = super::r53::http(&self.url(), "GET", "/__stats", "");
        assert_eq!(status, 200, "{body}");
        serde_json::from_str(&body).expect("stats are JSON")
    }

    /// (requests, throttled) of the kit so far.
    pub fn stats(&self) -> (u64, u64) {
        let c = self.counts();
        let n = |k: &str| c[k].as_u64().expect("a count");
        (n("requests"), n("throttled"))
    }
}

impl Drop for Limited {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
