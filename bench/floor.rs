//! The physical floor of a quickCheck: a program that makes the same one
//! request (the exact lookup of one A record) and nothing else, built with
//! `rustc -O` from the standard library alone. bench/bench.py runs it side
//! by side with the kit's quickCheck on the same endpoint.
//!
//!     floor PORT ZONE NAME
//!
//! Exits 0 when the endpoint answered 200 with a record listing.

use std::io::{Read, Write};
use std::net::TcpStream;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (port, zone, name) = (&args[1], &args[2], &args[3]);
    let mut s = TcpStream::connect(format!("127.0.0.1:{port}")).expect("connect");
    // The endpoint does not check the signature; the header names the
    // service, as a signed request's does.
    write!(
        s,
        "GET /2013-04-01/hostedzone/{zone}/rrset?name={name}&type=A&maxitems=1 HTTP/1.1\r\n\
         Host: 127.0.0.1:{port}\r\n\
         Authorization: AWS4-HMAC-SHA256 Credential=floor/20260101/us-east-1/route53/aws4_request, SignedHeaders=host, Signature=0\r\n\r\n"
    )
    .expect("send");
    // Read the head, then exactly Content-Length bytes of body, as a
    // client that keeps its connection does (no wait for the close).
    let mut answer = Vec::new();
    let mut buf = [0u8; 16384];
    let mut want: Option<usize> = None;
    loop {
        let n = s.read(&mut buf).expect("read");
        if n == 0 {
            break;
        }
        answer.extend_from_slice(&buf[..n]);
        if want.is_none() {
            if let Some(end) = answer.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&answer[..end]).to_ascii_lowercase();
                let length = head
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length:"))
                    .and_then(|v| v.trim().parse::<usize>().ok())
                    .unwrap_or(0);
                want = Some(end + 4 + length);
            }
        }
        if want.is_some_and(|w| answer.len() >= w) {
            break;
        }
    }
    let text = String::from_utf8_lossy(&answer);
    let ok = text.starts_with("HTTP/1.1 200") && text.contains("ListResourceRecordSetsResponse");
    std::process::exit(if ok { 0 } else { 1 });
}
