//! The one test front (tests/fixtures/front.py) in front of moto, in the
//! modes a test needs: scripted faults (what moto cannot do: PENDING,
//! throttling, refusals, HTML 5xx pages, answers that never come or never
//! end), an account's quotas, changes that take a while, HTTPS with a test
//! CA. Its rules are set while the test runs; every request it saw is
//! there to count.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::Instant;

use super::{port_from_file, repo, unique_dir};

/// The scripted faults (see front.py); change them while the test runs
/// with [`Front::set`].
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct Rules {
    /// Answer this many GetChange requests with PENDING before forwarding.
    /// While it is above zero, the answers to ChangeResourceRecordSets say
    /// PENDING too (moto's say INSYNC at once; Route 53's say PENDING).
    pub pending: usize,
    /// Answer this many ChangeResourceRecordSets requests with 400 Throttling.
    pub throttle_changes: usize,
    /// Answer this many ListResourceRecordSets requests with 400 Throttling.
    pub throttle_reads: usize,
    /// Answer this many requests of any kind with an HTML 503 page.
    pub html_503: usize,
    /// Answer ChangeResourceRecordSets with this error code (403/400).
    pub refuse_changes: Option<&'static str>,
    /// Read requests and never answer.
    pub hang: bool,
    /// Answer this many ChangeResourceRecordSets requests with 400
    /// PriorRequestNotComplete.
    pub prior_request: usize,
    /// Answer this many ListResourceRecordSets requests with 200 and a body
    /// that is not XML.
    pub malformed_reads: usize,
    /// Answer every request with 403 InvalidClientTokenId (bad credentials).
    pub bad_credentials: bool,
    /// Answer ListResourceRecordSets with 200 and a body that never ends.
    pub endless_reads: bool,
    /// Read GetChange requests and never answer them (the answers to
    /// ChangeResourceRecordSets say PENDING, so that they are made).
    pub hang_changes: bool,
    /// Hold ChangeResourceRecordSets requests unanswered while set (60 s
    /// at most); once cleared, they go on as usual.
    pub hold_changes: bool,
    /// Answer every request with a 301 redirect.
    pub redirect: bool,
    /// Answer every request with 403 and this error code (an STS that
    /// refuses to let the role be assumed).
    pub refuse_all: Option<&'static str>,
    /// Answer every request with 400 Throttling until then (an STS or a
    /// Route 53 out of quota for a while).
    #[serde(skip)]
    pub throttle_until: Option<Instant>,
    /// Answer every request with 200 and an AssumeRole answer cut off inside
    /// `<AccessKeyId>`.
    pub truncated: bool,
    /// Answer every request with 200 and a body that never ends.
    pub endless_all: bool,
}

/// One request the front saw: method and path, the access key, region and
/// service of its SigV4 credential scope (empty where unsigned), and its
/// body's first 4 KiB.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct Signed {
    pub method: String,
    pub path: String,
    pub access_key: String,
    pub region: String,
    pub service: String,
    pub body: String,
}

pub struct Front {
    child: Child,
    pub port: u16,
    scheme: &'static str,
    rules: Mutex<Rules>,
}

impl Front {
    /// front.py before moto on `upstream`, with these options.
    pub fn start(upstream: u16, options: &[&str]) -> Front {
        let port_file = unique_dir("front").join("port");
        let child = Command::new("python3")
            .arg(repo().join("tests/fixtures/front.py"))
            .args(["--upstream", &upstream.to_string()])
            .args(options)
            .arg("--port-file")
            .arg(&port_file)
            .stdout(Stdio::null())
            .spawn()
            .expect("start front.py");
        let port = port_from_file(&port_file);
        let scheme = if options.contains(&"--tls") {
            "https"
        } else {
            "http"
        };
        Front {
            child,
            port,
            scheme,
            rules: Mutex::new(Rules::default()),
        }
    }

    /// Scripted faults before moto, these rules from the start.
    pub fn faults(upstream: u16, rules: Rules) -> Front {
        let f = Front::start(upstream, &[]);
        f.set(|r| *r = rules);
        f
    }

    /// An account's quotas before moto (`--rate`, `--burst`,
    /// `--insync-after`, ... of front.py).
    pub fn account(upstream: u16, options: &[&str]) -> Front {
        let mut all = vec!["--account"];
        all.extend_from_slice(options);
        Front::start(upstream, &all)
    }

    /// HTTPS before moto, with a certificate of a test CA: the front, and
    /// the CA's file to trust.
    pub fn tls(upstream: u16) -> (Front, PathBuf) {
        let dir = unique_dir("tls");
        let front = Front::start(upstream, &["--tls", dir.to_str().expect("path")]);
        (front, dir.join("ca.pem"))
    }

    pub fn url(&self) -> String {
        format!("{}://127.0.0.1:{}", self.scheme, self.port)
    }

    fn control(&self, method: &str, path: &str, body: &str) -> String {
        let url = format!("http://127.0.0.1:{}", self.port);
        let (status, text) = super::r53::http(&url, method, path, body);
        assert_eq!(status, 200, "{method} {path}: {text}");
        text
    }

    /// Change the rules.
    pub fn set(&self, f: impl FnOnce(&mut Rules)) {
        let mut r = self.rules.lock().expect("rules");
        f(&mut r);
        let mut json = serde_json::to_value(&*r).expect("rules as JSON");
        if let Some(until) = r.throttle_until {
            let left = until.saturating_duration_since(Instant::now());
            json["throttle_for_ms"] = (left.as_millis() as u64).into();
        }
        self.control("POST", "/__rules", &json.to_string());
    }

    /// Every request seen so far.
    pub fn seen(&self) -> Vec<Signed> {
        serde_json::from_str(&self.control("GET", "/__seen", "")).expect("requests as JSON")
    }

    /// How many requests of a kind (e.g. "GET /change/", "POST /rrset").
    pub fn count(&self, method: &str, path_part: &str) -> usize {
        self.seen()
            .iter()
            .filter(|s| s.method == method && s.path.contains(path_part))
            .count()
    }

    /// What it counted so far (see front.py, GET /__stats).
    pub fn counts(&self) -> serde_json::Value {
        serde_json::from_str(&self.control("GET", "/__stats", "")).expect("stats are JSON")
    }

    /// (requests, throttled) of the kit so far.
    pub fn stats(&self) -> (u64, u64) {
        let c = self.counts();
        let n = |k: &str| c[k].as_u64().expect("a count");
        (n("requests"), n("throttled"))
    }
}

impl Drop for Front {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
