//! A scripted fault endpoint: an HTTP proxy on 127.0.0.1 in front of moto
//! that does what moto cannot: answer GetChange with PENDING, throttle,
//! refuse, fail with a non-XML 5xx, or accept and never answer. Every
//! request is forwarded unless a rule answers it first; each is counted.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What the proxy does; change it while the test runs.
#[derive(Debug, Default, Clone)]
pub struct Rules {
    /// Answer this many GetChange requests with PENDING before forwarding.
    /// While it is above zero, the answers to ChangeResourceRecordSets say
    /// PENDING too (moto's say INSYNC at once; Route 53's say PENDING).
    pub pending: usize,
    /// Answer this many ChangeResourceRecordSets requests with 400 Throttling.
    pub throttle_changes: usize,
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
    /// Answer every request with a 301 redirect.
    pub redirect: bool,
    /// Answer every request with 403 and this error code (an STS that
    /// refuses to let the role be assumed).
    pub refuse_all: Option<&'static str>,
    /// Answer every request with 400 Throttling until then (an STS or a
    /// Route 53 out of quota for a while).
    pub throttle_until: Option<std::time::Instant>,
    /// Answer every request with 200 and an AssumeRole answer cut off inside
    /// `<AccessKeyId>`.
    pub truncated: bool,
    /// Answer every request with 200 and a body that never ends.
    pub endless_all: bool,
}

/// One request seen: method and path.
pub type Seen = (String, String);

/// One request as signed: the access key and region of its SigV4
/// credential scope (empty where unsigned), and its body's first 4 KiB.
#[derive(Debug, Clone, Default)]
pub struct Signed {
    pub method: String,
    pub path: String,
    pub access_key: String,
    pub region: String,
    pub service: String,
    pub body: String,
}

pub struct FaultProxy {
    pub port: u16,
    pub rules: Arc<Mutex<Rules>>,
    pub seen: Arc<Mutex<Vec<Seen>>>,
    pub signed: Arc<Mutex<Vec<Signed>>>,
    stop: Arc<AtomicBool>,
}

impl FaultProxy {
    pub fn start(upstream: u16, rules: Rules) -> FaultProxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind proxy");
        let port = listener.local_addr().expect("addr").port();
        let rules = Arc::new(Mutex::new(rules));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let signed = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (r, s, sg, st) = (rules.clone(), seen.clone(), signed.clone(), stop.clone());
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if st.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                let (r, s, sg, st) = (r.clone(), s.clone(), sg.clone(), st.clone());
                std::thread::spawn(move || serve(conn, upstream, &r, (&s, &sg), &st));
            }
        });
        FaultProxy {
            port,
            rules,
            seen,
            signed,
            stop,
        }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn set(&self, f: impl FnOnce(&mut Rules)) {
        f(&mut self.rules.lock().expect("rules"));
    }

    /// How many requests of a kind (e.g. "GET /change/", "POST /rrset").
    pub fn count(&self, method: &str, path_part: &str) -> usize {
        self.seen
            .lock()
            .expect("seen")
            .iter()
            .filter(|(m, p)| m == method && p.contains(path_part))
            .count()
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

type Records<'a> = (&'a Mutex<Vec<Seen>>, &'a Mutex<Vec<Signed>>);

/// The access key, region and service of a SigV4 Authorization header.
fn scope(head: &[String]) -> (String, String, String) {
    let Some(auth) = head
        .iter()
        .find(|l| l.to_ascii_lowercase().starts_with("authorization:"))
    else {
        return Default::default();
    };
    let Some(cred) = auth.split("Credential=").nth(1) else {
        return Default::default();
    };
    let f: Vec<&str> = cred
        .split([',', ' '])
        .next()
        .unwrap_or("")
        .split('/')
        .collect();
    let get = |i: usize| f.get(i).map(|s| s.to_string()).unwrap_or_default();
    (get(0), get(2), get(3))
}

fn serve(
    conn: TcpStream,
    upstream: u16,
    rules: &Mutex<Rules>,
    (seen, signed): Records<'_>,
    stop: &AtomicBool,
) {
    let _ = conn.set_read_timeout(Some(Duration::from_secs(30)));
    let mut reader = BufReader::new(conn.try_clone().expect("clone"));
    let mut head = Vec::new();
    let mut content_length = 0usize;
    loop {
        let mut line = String::new();
        match reader.read_line(&mut line) {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
            content_length = v.trim().parse().unwrap_or(0);
        }
        let end = line == "\r\n";
        head.push(line);
        if end {
            break;
        }
    }
    let mut body = vec![0u8; content_length];
    if reader.read_exact(&mut body).is_err() {
        return;
    }
    let mut parts = head[0].split_whitespace();
    let method = parts.next().unwrap_or("").to_string();
    let path = parts.next().unwrap_or("").to_string();
    seen.lock()
        .expect("seen")
        .push((method.clone(), path.clone()));
    let (access_key, region, service) = scope(&head);
    signed.lock().expect("signed").push(Signed {
        method: method.clone(),
        path: path.clone(),
        access_key,
        region,
        service,
        body: String::from_utf8_lossy(&body[..body.len().min(4096)]).into_owned(),
    });

    let pending_answer = {
        let r = rules.lock().expect("rules");
        method == "POST" && path.contains("/rrset") && (r.pending > 0 || r.hang_changes)
    };
    let answer = {
        let mut r = rules.lock().expect("rules");
        if r.hang || (r.hang_changes && method == "GET" && path.contains("/change/")) {
            None
        } else if r.endless_all || (r.endless_reads && method == "GET" && path.contains("/rrset")) {
            drop(r);
            endless(conn, stop);
            return;
        } else if r.redirect {
            Some(
                "HTTP/1.1 301 Moved Permanently\r\nLocation: https://elsewhere.example/\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                    .as_bytes()
                    .to_vec(),
            )
        } else if r
            .throttle_until
            .is_some_and(|t| std::time::Instant::now() < t)
        {
            Some(error(400, "Throttling", "Rate exceeded"))
        } else if r.truncated {
            Some(reply(
                200,
                "text/xml",
                r#"<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult><Credentials><AccessKeyId>AK"#,
            ))
        } else if let Some(code) = r.refuse_all {
            Some(error(403, code, &format!("{code} (scripted)")))
        } else if r.bad_credentials {
            Some(error(
                403,
                "InvalidClientTokenId",
                "The security token included in the request is invalid.",
            ))
        } else if method == "GET" && path.contains("/rrset") && r.malformed_reads > 0 {
            r.malformed_reads -= 1;
            Some(reply(
                200,
                "text/xml",
                "<ListResourceRecordSetsResponse><ResourceRecordSets><Resou",
            ))
        } else if method == "POST" && path.contains("/rrset") && r.prior_request > 0 {
            r.prior_request -= 1;
            Some(error(
                400,
                "PriorRequestNotComplete",
                "The request was rejected because Route 53 was still processing a prior request.",
            ))
        } else if r.html_503 > 0 {
            r.html_503 -= 1;
            Some(reply(
                503,
                "text/html",
                "<html><body><h1>503 Service Unavailable</h1></body></html>",
            ))
        } else if method == "GET" && path.contains("/change/") && r.pending > 0 {
            r.pending -= 1;
            let id = path.rsplit('/').next().unwrap_or("C1");
            Some(reply(
                200,
                "text/xml",
                &format!(
                    r#"<?xml version="1.0" encoding="UTF-8"?><GetChangeResponse xmlns="https://route53.amazonaws.com/doc/2013-04-01/"><ChangeInfo><Id>/change/{id}</Id><Status>PENDING</Status><SubmittedAt>2026-01-01T00:00:00.000Z</SubmittedAt></ChangeInfo></GetChangeResponse>"#
                ),
            ))
        } else if method == "POST" && path.contains("/rrset") && r.throttle_changes > 0 {
            r.throttle_changes -= 1;
            Some(error(400, "Throttling", "Rate exceeded"))
        } else if method == "POST" && path.contains("/rrset") && r.refuse_changes.is_some() {
            let code = r.refuse_changes.unwrap_or("AccessDenied");
            let status = if code == "AccessDenied" { 403 } else { 400 };
            Some(error(status, code, &format!("{code} (scripted)")))
        } else {
            Some(Vec::new())
        }
    };
    let mut conn = conn;
    match answer {
        None => {
            while !stop.load(Ordering::SeqCst) {
                std::thread::sleep(Duration::from_millis(100));
            }
        }
        Some(a) if !a.is_empty() => {
            let _ = conn.write_all(&a);
        }
        Some(_) => {
            if let Some(resp) = forward(upstream, &head, &body) {
                let resp = if pending_answer {
                    as_pending(&resp)
                } else {
                    resp
                };
                let _ = conn.write_all(&resp);
            }
        }
    }
}

/// The answer with its change's status PENDING instead of INSYNC, and its
/// Content-Length made right.
fn as_pending(resp: &[u8]) -> Vec<u8> {
    let Some(split) = resp.windows(4).position(|w| w == b"\r\n\r\n") else {
        return resp.to_vec();
    };
    let body = String::from_utf8_lossy(&resp[split + 4..])
        .replace("<Status>INSYNC</Status>", "<Status>PENDING</Status>");
    let head = String::from_utf8_lossy(&resp[..split]);
    let mut out = String::new();
    for line in head.split("\r\n") {
        if line.to_ascii_lowercase().starts_with("content-length:") {
            out.push_str(&format!("Content-Length: {}\r\n", body.len()));
        } else {
            out.push_str(line);
            out.push_str("\r\n");
        }
    }
    out.push_str("\r\n");
    out.push_str(&body);
    out.into_bytes()
}

/// 200 and a body that goes on until the client stops reading.
fn endless(mut conn: TcpStream, stop: &AtomicBool) {
    let _ = conn.write_all(b"HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nConnection: close\r\n\r\n<ListResourceRecordSetsResponse>");
    let chunk = vec![b'A'; 64 << 10];
    while !stop.load(Ordering::SeqCst) && conn.write_all(&chunk).is_ok() {}
}

fn reply(status: u16, ctype: &str, body: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 {status} X\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nx-amzn-RequestId: fault\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

fn error(status: u16, code: &str, message: &str) -> Vec<u8> {
    reply(
        status,
        "text/xml",
        &format!(
            r#"<?xml version="1.0"?><ErrorResponse xmlns="https://route53.amazonaws.com/doc/2013-04-01/"><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error><RequestId>fault</RequestId></ErrorResponse>"#
        ),
    )
}

/// Send the request to moto on a fresh connection and return its answer
/// with `Connection: close`.
fn forward(upstream: u16, head: &[String], body: &[u8]) -> Option<Vec<u8>> {
    let mut up = TcpStream::connect(("127.0.0.1", upstream)).ok()?;
    let mut req = String::new();
    for line in head {
        let l = line.to_ascii_lowercase();
        if l.starts_with("connection:") || l == "\r\n" {
            continue;
        }
        req.push_str(line);
    }
    req.push_str("Connection: close\r\n\r\n");
    up.write_all(req.as_bytes()).ok()?;
    up.write_all(body).ok()?;
    let mut resp = Vec::new();
    up.read_to_end(&mut resp).ok()?;
    // Replace the header block's Connection header.
    let split = resp.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = String::from_utf8_lossy(&resp[..split]).to_string();
    let mut out = String::new();
    for line in head.split("\r\n") {
        if !line.to_ascii_lowercase().starts_with("connection:") {
            out.push_str(line);
            out.push_str("\r\n");
        }
    }
    out.push_str("Connection: close\r\n\r\n");
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(&resp[split + 4..]);
    Some(bytes)
}
