//! What the run's HTTPS client trusts: the system trust store, read by the
//! kit itself (`SSL_CERT_FILE`, `SSL_CERT_DIR`, else the distribution's
//! bundle), and a CA bundle (`ROUTE53_CA_BUNDLE`, `AWS_CA_BUNDLE`). Every
//! file is read as the settings file is: a regular file only, size-capped,
//! never a wait (a FIFO named by `SSL_CERT_FILE` would block the action
//! before any time limit starts; `/dev/zero` would fill memory). Each
//! certificate is checked as a trust anchor first, so that one bad
//! certificate or file is named and left out instead of breaking every
//! HTTPS request.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// A trust store file is read up to this size (a distribution's bundle is
/// about 200 KiB).
pub(crate) const MAX_STORE: u64 = 4 << 20;
/// A file of `SSL_CERT_DIR` is read up to this size (one certificate).
const MAX_DIR_FILE: u64 = 256 << 10;
/// At most this many files of `SSL_CERT_DIR` are read, and this much in all.
const MAX_DIR_FILES: usize = 1000;
const MAX_DIR_TOTAL: u64 = 16 << 20;

/// Where the distributions keep their bundle, in the order tried (Debian
/// and Ubuntu, RHEL and its kin, SLES and openSUSE, others).
pub(crate) const SYSTEM_BUNDLES: &[&str] = &[
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
    "/etc/ssl/ca-bundle.pem",
    "/var/lib/ca-certificates/ca-bundle.pem",
    "/etc/ssl/cert.pem",
];

/// The system trust store as read: where from, the anchors as PEM, and
/// what was wrong with what was named.
#[derive(Debug, Clone, Default)]
pub(crate) struct SystemTrust {
    /// In words: `the file SSL_CERT_FILE=/x`, `the system bundle /etc/...`.
    pub source: String,
    pub pem: Vec<u8>,
    /// The distinct certificates in `pem`.
    pub count: usize,
    pub problems: Vec<String>,
    /// The certificates taken so far: a folder's hashed links and its
    /// `.pem` files, or a file and a folder, name the same certificate
    /// many times, and each copy would be parsed again for every TLS
    /// context.
    seen: std::collections::HashSet<Vec<u8>>,
}

impl SystemTrust {
    /// For messages: the source and how many certificates it gave.
    pub(crate) fn describe(&self) -> String {
        format!("{} ({} certificate(s))", self.source, self.count)
    }
}

/// The system trust store of this run, read once, when first needed (an
/// `http://` endpoint never reads it).
pub(crate) fn system() -> &'static SystemTrust {
    static TRUST: OnceLock<SystemTrust> = OnceLock::new();
    TRUST.get_or_init(|| {
        load_system(
            super::endpoint::env("SSL_CERT_FILE").as_deref(),
            super::endpoint::env("SSL_CERT_DIR").as_deref(),
            SYSTEM_BUNDLES,
        )
    })
}

/// Read the store: the file and the folder the environment names, where it
/// names any; else (or where they give no certificate) the first system
/// bundle that gives one.
pub(crate) fn load_system(file: Option<&str>, dir: Option<&str>, bundles: &[&str]) -> SystemTrust {
    let mut t = SystemTrust::default();
    let mut sources = Vec::new();
    if let Some(f) = file {
        let b = read_bundle(Path::new(f), format!("SSL_CERT_FILE={f}"));
        t.absorb(&b);
        sources.push(format!("the file SSL_CERT_FILE={f}"));
    }
    if let Some(d) = dir {
        // SSL_CERT_DIR may list several folders, ':'-separated.
        for d in d.split(':').filter(|d| !d.is_empty()) {
            read_dir_into(&mut t, Path::new(d));
            sources.push(format!("the folder SSL_CERT_DIR={d}"));
        }
    }
    if t.count > 0 {
        t.source = sources.join(" and ");
        return t;
    }
    if !sources.is_empty() {
        t.problems.push(format!(
            "{} gave no usable certificate; the system bundle is used instead",
            sources.join(" and ")
        ));
    }
    for path in bundles {
        let p = Path::new(path);
        if std::fs::symlink_metadata(p).is_err() {
            continue;
        }
        let b = read_bundle(p, "the system bundle".into());
        if b.count > 0 {
            t.absorb(&b);
            t.source = format!("the system bundle {path}");
            return t;
        }
        t.problems.extend(b.problems);
    }
    t.source = "no trust store (no system bundle found)".into();
    t
}

impl SystemTrust {
    /// Take a bundle's certificates, each once (the bundle's PEM is in the
    /// one form `pem_of` writes, so the same certificate is the same text).
    fn absorb(&mut self, b: &CaBundle) {
        const END: &[u8] = b"-----END CERTIFICATE-----\n";
        let mut rest = b.pem.as_slice();
        while let Some(at) = rest.windows(END.len()).position(|w| w == END) {
            let (block, tail) = rest.split_at(at + END.len());
            if self.seen.insert(block.to_vec()) {
                self.pem.extend_from_slice(block);
                self.count += 1;
            }
            rest = tail;
        }
        self.problems.extend(b.problems.iter().cloned());
    }
}

/// The certificates of a folder (hashed names, links to the files): each
/// entry read as a file of its own, bounded in number and size.
fn read_dir_into(t: &mut SystemTrust, dir: &Path) {
    let entries = match std::fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) => {
            t.problems
                .push(format!("SSL_CERT_DIR={}: cannot list ({e})", dir.display()));
            return;
        }
    };
    let mut names: Vec<PathBuf> = entries
        .flatten()
        .take(MAX_DIR_FILES * 4)
        .map(|e| e.path())
        .collect();
    names.sort();
    let mut total = 0u64;
    let mut read = 0;
    for path in names {
        if read == MAX_DIR_FILES || total >= MAX_DIR_TOTAL {
            t.problems.push(format!(
                "SSL_CERT_DIR={}: more than {MAX_DIR_FILES} files or {} MiB; the rest is left out",
                dir.display(),
                MAX_DIR_TOTAL >> 20
            ));
            break;
        }
        // Folders and the like are passed over quietly, as OpenSSL does.
        let Ok(bytes) = crate::bounded::read_regular(&path, MAX_DIR_FILE) else {
            continue;
        };
        read += 1;
        total += bytes.len() as u64;
        let b = parse_bundle(&path, String::new(), &bytes);
        // Files with no certificate (a CRL, a README) are no problem.
        if b.count > 0 {
            t.absorb(&b);
        }
    }
}

/// A PEM bundle of extra trusted certificates, checked.
#[derive(Debug, Clone)]
pub(crate) struct CaBundle {
    pub path: PathBuf,
    /// Where it was named: `ROUTE53_CA_BUNDLE (file:line)` or `AWS_CA_BUNDLE`.
    pub named_by: String,
    /// The certificates that can be trust anchors, as PEM.
    pub pem: Vec<u8>,
    pub count: usize,
    /// What was wrong with the rest, or with the file.
    pub problems: Vec<String>,
}

/// Read and check a PEM bundle: every certificate that cannot be a trust
/// anchor is named (by its place in the file) and left out, so that a bad
/// certificate is reported instead of breaking every HTTPS request.
pub(crate) fn read_bundle(path: &Path, named_by: String) -> CaBundle {
    match crate::bounded::read_whole(path, MAX_STORE) {
        Ok(bytes) => parse_bundle(path, named_by, &bytes),
        Err(why) => CaBundle {
            path: path.to_path_buf(),
            named_by,
            pem: Vec::new(),
            count: 0,
            problems: vec![format!("{}: {why}", path.display())],
        },
    }
}

/// As [`read_bundle`], of bytes already read.
fn parse_bundle(path: &Path, named_by: String, bytes: &[u8]) -> CaBundle {
    let mut bundle = CaBundle {
        path: path.to_path_buf(),
        named_by,
        pem: Vec::new(),
        count: 0,
        problems: Vec::new(),
    };
    parse_into(&mut bundle, bytes);
    bundle
}

fn parse_into(bundle: &mut CaBundle, bytes: &[u8]) {
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::CertificateDer;
    let path = bundle.path.clone();
    for (i, cert) in CertificateDer::pem_slice_iter(bytes).enumerate() {
        let n = i + 1;
        match cert {
            Ok(der) => match webpki::anchor_from_trusted_cert(&der) {
                Ok(_) => {
                    bundle.count += 1;
                    bundle.pem.extend_from_slice(pem_of(&der).as_bytes());
                }
                Err(e) => bundle.problems.push(format!(
                    "{}: certificate {n} cannot be a trust anchor ({e:?}); left out",
                    path.display()
                )),
            },
            Err(e) => bundle.problems.push(format!(
                "{}: PEM block {n} is not readable ({e:?}); the rest of the file is left out",
                path.display()
            )),
        }
    }
    if bundle.count == 0 && bundle.problems.is_empty() {
        bundle.problems.push(format!(
            "{}: no PEM certificate (-----BEGIN CERTIFICATE-----) in it",
            path.display()
        ));
    }
}

fn pem_of(der: &[u8]) -> String {
    let b64 = aws_smithy_types::base64::encode(der);
    let mut out = String::from("-----BEGIN CERTIFICATE-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(chunk));
        out.push('\n');
    }
    out.push_str("-----END CERTIFICATE-----\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_certificate_named_twice_is_taken_once() {
        let block = |c: &str| pem_of(c.as_bytes());
        let bundle = |certs: &[&str]| CaBundle {
            path: PathBuf::from("/x"),
            named_by: String::new(),
            pem: certs
                .iter()
                .map(|c| block(c))
                .collect::<String>()
                .into_bytes(),
            count: certs.len(),
            problems: Vec::new(),
        };
        let mut t = SystemTrust::default();
        t.absorb(&bundle(&["one", "two"]));
        // The folder's hashed link and its .pem file, and the file again.
        t.absorb(&bundle(&["two"]));
        t.absorb(&bundle(&["one", "three"]));
        assert_eq!(t.count, 3);
        assert_eq!(
            String::from_utf8(t.pem).expect("text"),
            block("one") + &block("two") + &block("three")
        );
    }

    #[test]
    fn a_bundle_keeps_its_good_certificates_and_names_the_rest() {
        let dir = std::env::temp_dir().join(format!("lkroute53-bundle-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let empty = dir.join("empty.pem");
        std::fs::write(&empty, "nothing here\n").expect("write");
        let b = read_bundle(&empty, "test".into());
        assert_eq!(b.count, 0);
        assert!(
            b.problems[0].contains("no PEM certificate"),
            "{:?}",
            b.problems
        );
        let garbage = dir.join("garbage.pem");
        std::fs::write(
            &garbage,
            "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
        )
        .expect("write");
        let b = read_bundle(&garbage, "test".into());
        assert_eq!(b.count, 0);
        assert!(b.problems[0].contains("certificate 1"), "{:?}", b.problems);
        let missing = read_bundle(&dir.join("missing.pem"), "test".into());
        assert!(
            missing.problems[0].contains("missing.pem"),
            "{:?}",
            missing.problems
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
