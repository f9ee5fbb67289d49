//! quickCheck's DNS-first check: ask DNS, as the service's clients do,
//! for the resource's A record, before spending a Route 53 API request.
//!
//! One query for the name's A record goes to each server in turn (UDP; TCP
//! where the answer comes truncated), within one time limit for all of
//! them; the first reply that answers the query decides. Only an answer
//! that is the record as the node wants it is trusted: NOERROR, no CNAME,
//! every answer record owned by the name, exactly one A value, and that
//! value the node's address. Anything else (another value, several, a
//! CNAME, NXDOMAIN, SERVFAIL, a reply that is no DNS message or answers
//! another question or carries another ID, no reply in time) leaves the
//! verdict to the API, so a tampered record is caught on the first check
//! and a DNS outage never fails anything over. The C library's resolver
//! and `/etc/hosts` are never used: the servers are named by the setting,
//! or read from `/etc/resolv.conf`.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use hickory_proto::op::{Message, MessageType, OpCode, Query, ResponseCode};
use hickory_proto::rr::{DNSClass, Name, RData, RecordType};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpStream, UdpSocket};
use tokio::time::Instant;

/// Where the standard resolver's servers are listed.
const RESOLV_CONF: &str = "/etc/resolv.conf";
/// Names another resolv.conf for `auto`, for trials and tests (an empty
/// file: no servers, the API decides).
const RESOLV_CONF_ENV: &str = "LKROUTE53_RESOLV_CONF";

/// The resolv.conf `auto` reads.
pub(crate) fn resolv_conf() -> std::path::PathBuf {
    std::env::var_os(RESOLV_CONF_ENV)
        .filter(|v| !v.is_empty())
        .map_or_else(|| RESOLV_CONF.into(), Into::into)
}
/// The DNS port.
const PORT: u16 = 53;
/// The largest reply read over UDP (no EDNS is asked for: 512 bytes come,
/// more is truncated) and over TCP (its length prefix's most).
const UDP_MAX: usize = 4096;
/// resolv.conf's servers the C library uses (MAXNS).
const MAX_SERVERS: usize = 3;

/// `ROUTE53_CHECK_DNS`: which servers quickCheck asks first.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) enum CheckDns {
    /// The servers of `/etc/resolv.conf` (in a VPC, the Amazon-provided
    /// resolver, which answers private hosted zones as clients see them).
    #[default]
    Auto,
    /// No DNS: the API decides every check.
    Off,
    /// These servers.
    Servers(Vec<SocketAddr>),
}

impl CheckDns {
    /// The setting's value: `auto`, `off`, or a comma-separated list of
    /// `host[:port]`, each host an IPv4 or IPv6 literal (IPv6 with a port
    /// in brackets).
    pub(crate) fn parse(v: &str) -> Result<CheckDns, String> {
        match v.trim() {
            "auto" => return Ok(CheckDns::Auto),
            "off" => return Ok(CheckDns::Off),
            _ => {}
        }
        let mut servers = Vec::new();
        for part in v.split(',').map(str::trim) {
            servers.push(server(part).ok_or_else(|| {
                format!("{part:?} is no server: write auto, off, or IP[:PORT] separated by commas ([IPv6]:PORT)")
            })?);
        }
        Ok(CheckDns::Servers(servers))
    }

    /// The servers to ask on this node, reading `resolv_conf` for `auto`:
    /// none where DNS is off or resolv.conf names none.
    pub(crate) fn servers(&self, resolv_conf: &std::path::Path) -> Vec<SocketAddr> {
        match self {
            CheckDns::Off => Vec::new(),
            CheckDns::Servers(s) => s.clone(),
            CheckDns::Auto => {
                let text = crate::bounded::read_regular(resolv_conf, 64 << 10)
                    .map(|b| String::from_utf8_lossy(&b).into_owned())
                    .unwrap_or_default();
                nameservers(&text)
            }
        }
    }
}

impl fmt::Display for CheckDns {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CheckDns::Auto => f.write_str("auto"),
            CheckDns::Off => f.write_str("off"),
            CheckDns::Servers(s) => {
                let list: Vec<String> = s.iter().map(ToString::to_string).collect();
                f.write_str(&list.join(","))
            }
        }
    }
}

/// One `host[:port]` of the setting.
fn server(part: &str) -> Option<SocketAddr> {
    if let Ok(a) = part.parse::<SocketAddr>() {
        return Some(a);
    }
    let ip: IpAddr = part.parse().ok()?;
    Some(SocketAddr::new(ip, PORT))
}

/// The `nameserver` lines of a resolv.conf, as the C library reads them
/// (the first three; a scoped IPv6 address, which needs an interface, is
/// left out).
pub(crate) fn nameservers(text: &str) -> Vec<SocketAddr> {
    text.lines()
        .filter_map(|l| {
            let mut words = l.split_whitespace();
            (words.next() == Some("nameserver")).then(|| words.next())?
        })
        .filter_map(|w| w.parse::<IpAddr>().ok())
        .map(|ip| SocketAddr::new(ip, PORT))
        .take(MAX_SERVERS)
        .collect()
}

/// What DNS said of the name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Seen {
    /// These A values (none: no A record, NOERROR).
    Values(Vec<Ipv4Addr>),
    /// A CNAME where the A record should be.
    Alias(String),
    /// An answer record owned by another name.
    OtherOwner(String),
    /// The name does not exist (NXDOMAIN).
    NoName,
    /// Another response code (SERVFAIL, REFUSED, ...).
    Code(String),
}

impl fmt::Display for Seen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Seen::Values(v) if v.is_empty() => f.write_str("no A record"),
            Seen::Values(v) => {
                let list: Vec<String> = v.iter().map(ToString::to_string).collect();
                f.write_str(&list.join(", "))
            }
            Seen::Alias(t) => write!(f, "a CNAME to {t}"),
            Seen::OtherOwner(n) => write!(f, "an answer for another name ({n})"),
            Seen::NoName => f.write_str("no such name (NXDOMAIN)"),
            Seen::Code(c) => write!(f, "{c}"),
        }
    }
}

/// The DNS step's outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Asked {
    /// `server` answered `seen`.
    Answered { server: SocketAddr, seen: Seen },
    /// No server gave a reply that answers the query, and why (of the
    /// last one asked).
    Silent(String),
}

impl Asked {
    /// Whether the answer is the record as the node wants it: exactly one
    /// A value, `address`.
    pub(crate) fn agrees(&self, address: Ipv4Addr) -> bool {
        matches!(self, Asked::Answered { seen: Seen::Values(v), .. } if v[..] == [address])
    }
}

impl fmt::Display for Asked {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Asked::Answered { server, seen } => write!(f, "{server} answers {seen}"),
            Asked::Silent(why) => f.write_str(why),
        }
    }
}

/// Ask `servers` in turn for `name`'s A record, all within `limit`.
pub(crate) async fn ask(servers: &[SocketAddr], name: &str, limit: Duration) -> Asked {
    let deadline = Instant::now() + limit;
    let Ok(query) = query_for(name) else {
        return Asked::Silent(format!("{name:?} is no DNS name"));
    };
    let mut why = String::from("no DNS server to ask");
    for (i, server) in servers.iter().enumerate() {
        // Each server its share of what is left.
        let left = deadline.saturating_duration_since(Instant::now());
        let share = left / (servers.len() - i) as u32;
        let skipped = std::cell::Cell::new(None);
        match tokio::time::timeout(share, ask_one(*server, &query, &skipped)).await {
            Ok(Ok(seen)) => {
                return Asked::Answered {
                    server: *server,
                    seen,
                }
            }
            Ok(Err(e)) => why = format!("{server}: {e}"),
            Err(_) => {
                why = match skipped.get() {
                    Some(s) => format!(
                        "{server}: {s}, and no answer to the query within {} ms",
                        share.as_millis()
                    ),
                    None => format!("{server}: no answer within {} ms", share.as_millis()),
                }
            }
        }
    }
    Asked::Silent(why)
}

/// The query: a random ID, recursion desired, `name` A IN.
fn query_for(name: &str) -> Result<Message, String> {
    let mut fqdn = Name::from_ascii(name).map_err(|e| e.to_string())?;
    fqdn.set_fqdn(true);
    let mut m = Message::query();
    m.metadata.recursion_desired = true;
    let mut q = Query::query(fqdn, RecordType::A);
    q.set_query_class(DNSClass::IN);
    m.add_query(q);
    Ok(m)
}

/// Why one server gave no usable reply.
#[derive(Debug)]
enum AskError {
    Io(std::io::Error),
    /// The reply cannot be used, and why.
    Unusable(&'static str),
}

impl fmt::Display for AskError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AskError::Io(e) => write!(f, "{e}"),
            AskError::Unusable(why) => f.write_str(why),
        }
    }
}

/// One server: UDP first, TCP where the reply is truncated. Replies that
/// do not answer the query (another ID, another question, no DNS message)
/// are skipped: the wait goes on for one that does, within the caller's
/// limit.
async fn ask_one(
    server: SocketAddr,
    query: &Message,
    skipped: &std::cell::Cell<Option<&'static str>>,
) -> Result<Seen, AskError> {
    let bytes = query
        .to_vec()
        .map_err(|_| AskError::Unusable("the query could not be built"))?;
    let local: SocketAddr = match server {
        SocketAddr::V4(_) => (Ipv4Addr::UNSPECIFIED, 0).into(),
        SocketAddr::V6(_) => (std::net::Ipv6Addr::UNSPECIFIED, 0).into(),
    };
    let socket = UdpSocket::bind(local).await.map_err(AskError::Io)?;
    socket.connect(server).await.map_err(AskError::Io)?;
    socket.send(&bytes).await.map_err(AskError::Io)?;
    let mut buf = vec![0u8; UDP_MAX];
    loop {
        let n = match socket.recv(&mut buf).await {
            Ok(n) => n,
            // A port unreachable reported back, say: the server is not
            // there.
            Err(e) => return Err(AskError::Io(e)),
        };
        match reply_to(query, &buf[..n]) {
            Ok(reply) if reply.metadata.truncation => return ask_tcp(server, query, &bytes).await,
            Ok(reply) => return Ok(seen_in(query, &reply)),
            Err(why) => {
                tracing::debug!(%server, why, "a DNS reply skipped");
                skipped.set(Some(why));
            }
        }
    }
}

/// The same query over TCP (a truncated UDP reply).
async fn ask_tcp(server: SocketAddr, query: &Message, bytes: &[u8]) -> Result<Seen, AskError> {
    let mut stream = TcpStream::connect(server).await.map_err(AskError::Io)?;
    let len =
        u16::try_from(bytes.len()).map_err(|_| AskError::Unusable("the query is too long"))?;
    let mut framed = len.to_be_bytes().to_vec();
    framed.extend_from_slice(bytes);
    stream.write_all(&framed).await.map_err(AskError::Io)?;
    let mut prefix = [0u8; 2];
    stream.read_exact(&mut prefix).await.map_err(AskError::Io)?;
    let mut reply = vec![0u8; usize::from(u16::from_be_bytes(prefix))];
    stream.read_exact(&mut reply).await.map_err(AskError::Io)?;
    let reply = reply_to(query, &reply).map_err(AskError::Unusable)?;
    if reply.metadata.truncation {
        return Err(AskError::Unusable("the reply over TCP is truncated too"));
    }
    Ok(seen_in(query, &reply))
}

/// `bytes` as the reply to `query`, or why they are not.
fn reply_to(query: &Message, bytes: &[u8]) -> Result<Message, &'static str> {
    let reply = Message::from_vec(bytes).map_err(|_| "a reply that is no DNS message")?;
    if reply.metadata.id != query.metadata.id {
        return Err("a reply with another ID");
    }
    if reply.metadata.message_type != MessageType::Response
        || reply.metadata.op_code != OpCode::Query
    {
        return Err("a reply that is no answer to a query");
    }
    if reply.queries != query.queries {
        return Err("a reply to another question");
    }
    Ok(reply)
}

/// What a reply to `query` says of the name.
fn seen_in(query: &Message, reply: &Message) -> Seen {
    match reply.metadata.response_code {
        ResponseCode::NoError => {}
        ResponseCode::NXDomain => return Seen::NoName,
        other => return Seen::Code(other.to_string()),
    }
    let Some(name) = query.queries.first().map(Query::name) else {
        return Seen::Code("no question".into());
    };
    let mut values = Vec::new();
    for r in &reply.answers {
        if r.name != *name {
            return Seen::OtherOwner(r.name.to_string());
        }
        match &r.data {
            RData::CNAME(t) => return Seen::Alias(t.0.to_string()),
            RData::A(a) if r.dns_class == DNSClass::IN => values.push(a.0),
            // Signatures and the like say nothing of the value.
            _ => {}
        }
    }
    Seen::Values(values)
}

#[cfg(test)]
mod tests {
    use super::*;
    use hickory_proto::op::Message;
    use hickory_proto::rr::rdata::{A, CNAME};
    use hickory_proto::rr::Record;

    fn name(n: &str) -> Name {
        Name::from_ascii(n).expect("name")
    }

    fn reply(query: &Message, code: ResponseCode, answers: Vec<Record>) -> Message {
        let mut r = Message::response(query.metadata.id, OpCode::Query);
        r.metadata.response_code = code;
        r.queries = query.queries.clone();
        r.answers = answers;
        r
    }

    fn a(owner: &str, ip: &str) -> Record {
        Record::from_rdata(name(owner), 10, RData::A(A(ip.parse().expect("ip"))))
    }

    #[test]
    fn the_setting_is_auto_off_or_servers_with_ports() {
        assert_eq!(CheckDns::parse("auto"), Ok(CheckDns::Auto));
        assert_eq!(CheckDns::parse(" off "), Ok(CheckDns::Off));
        assert_eq!(
            CheckDns::parse("10.0.0.2, 127.0.0.1:5353,[::1]:53,fd00::2"),
            Ok(CheckDns::Servers(vec![
                "10.0.0.2:53".parse().expect("a"),
                "127.0.0.1:5353".parse().expect("a"),
                "[::1]:53".parse().expect("a"),
                "[fd00::2]:53".parse().expect("a"),
            ]))
        );
        for bad in [
            "",
            "dns.example.com",
            "10.0.0.2:",
            "10.0.0.2:99999",
            "auto,off",
            "10.0.0.2;10.0.0.3",
        ] {
            let e = CheckDns::parse(bad).expect_err(bad);
            assert!(e.contains("is no server"), "{e}");
        }
        assert_eq!(
            CheckDns::parse("127.0.0.1:5353,[::1]:53").map(|c| c.to_string()),
            Ok("127.0.0.1:5353,[::1]:53".to_string())
        );
    }

    #[test]
    fn resolv_conf_gives_its_first_three_nameservers_on_port_53() {
        let text = "# generated\nsearch ec2.internal\nnameserver 10.0.0.2\noptions timeout:1\nnameserver fe80::1%eth0\nnameserver ::1\n  nameserver\nnameserver 10.0.0.3\nnameserver 10.0.0.4\n";
        let got: Vec<String> = nameservers(text).iter().map(ToString::to_string).collect();
        assert_eq!(got, ["10.0.0.2:53", "[::1]:53", "10.0.0.3:53"]);
        assert!(nameservers("").is_empty());
    }

    #[test]
    fn only_one_a_value_of_the_name_itself_is_trusted() {
        let q = query_for("app.example.com").expect("query");
        let me: Ipv4Addr = "10.0.1.10".parse().expect("ip");
        let verdict = |r: Message| Asked::Answered {
            server: "127.0.0.1:53".parse().expect("a"),
            seen: seen_in(&q, &r),
        };
        let ok = verdict(reply(
            &q,
            ResponseCode::NoError,
            vec![a("APP.example.com.", "10.0.1.10")],
        ));
        assert!(ok.agrees(me), "{ok}");
        for (r, says) in [
            (
                reply(
                    &q,
                    ResponseCode::NoError,
                    vec![a("app.example.com.", "10.0.2.20")],
                ),
                "10.0.2.20",
            ),
            (
                reply(
                    &q,
                    ResponseCode::NoError,
                    vec![
                        a("app.example.com.", "10.0.1.10"),
                        a("app.example.com.", "192.0.2.1"),
                    ],
                ),
                "10.0.1.10, 192.0.2.1",
            ),
            (
                reply(
                    &q,
                    ResponseCode::NoError,
                    vec![
                        Record::from_rdata(
                            name("app.example.com."),
                            10,
                            RData::CNAME(CNAME(name("lb.example.net."))),
                        ),
                        a("lb.example.net.", "10.0.1.10"),
                    ],
                ),
                "a CNAME to lb.example.net.",
            ),
            (
                reply(
                    &q,
                    ResponseCode::NoError,
                    vec![a("www.example.com.", "10.0.1.10")],
                ),
                "another name",
            ),
            (reply(&q, ResponseCode::NoError, vec![]), "no A record"),
            (reply(&q, ResponseCode::NXDomain, vec![]), "NXDOMAIN"),
            (reply(&q, ResponseCode::ServFail, vec![]), "Server Failure"),
        ] {
            let v = verdict(r);
            assert!(!v.agrees(me), "{v}");
            assert!(v.to_string().contains(says), "{v} lacks {says}");
        }
    }

    #[test]
    fn a_reply_to_another_id_or_question_or_no_message_is_skipped() {
        let q = query_for("app.example.com").expect("query");
        let good = reply(
            &q,
            ResponseCode::NoError,
            vec![a("app.example.com.", "10.0.1.10")],
        );
        assert!(reply_to(&q, &good.to_vec().expect("bytes")).is_ok());
        let mut other_id = good.clone();
        other_id.metadata.id = q.metadata.id.wrapping_add(1);
        assert_eq!(
            reply_to(&q, &other_id.to_vec().expect("bytes")).err(),
            Some("a reply with another ID")
        );
        let other_q = query_for("www.example.com").expect("query");
        let mut other_question = good.clone();
        other_question.queries = other_q.queries.clone();
        assert_eq!(
            reply_to(&q, &other_question.to_vec().expect("bytes")).err(),
            Some("a reply to another question")
        );
        let mut not_a_reply = good;
        not_a_reply.metadata.message_type = MessageType::Query;
        assert!(reply_to(&q, &not_a_reply.to_vec().expect("bytes")).is_err());
        assert_eq!(
            reply_to(&q, b"\x00\x01garbage").err(),
            Some("a reply that is no DNS message")
        );
    }

    #[tokio::test]
    async fn a_server_that_never_answers_ends_within_the_limit() {
        // A socket that reads and never answers.
        let quiet = std::net::UdpSocket::bind("127.0.0.1:0").expect("bind");
        let server = quiet.local_addr().expect("addr");
        let start = std::time::Instant::now();
        let asked = ask(
            &[server, server],
            "app.example.com",
            Duration::from_millis(300),
        )
        .await;
        assert!(
            start.elapsed() < Duration::from_secs(2),
            "{:?}",
            start.elapsed()
        );
        assert!(
            matches!(&asked, Asked::Silent(w) if w.contains("no answer within")),
            "{asked}"
        );
        assert!(!asked.agrees("10.0.1.10".parse().expect("ip")));
    }
}
