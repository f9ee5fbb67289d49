//! What the run's HTTPS client trusts besides the system trust store: a
//! CA bundle (`ROUTE53_CA_BUNDLE`, `AWS_CA_BUNDLE`), each certificate
//! checked as a trust anchor first, so that one bad certificate is named
//! instead of breaking every HTTPS request.

use std::path::{Path, PathBuf};

/// A PEM bundle of extra trusted certificates, checked.
#[derive(Debug, Clone)]
pub struct CaBundle {
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
pub fn read_bundle(path: &Path, named_by: String) -> CaBundle {
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::CertificateDer;
    let mut bundle = CaBundle {
        path: path.to_path_buf(),
        named_by,
        pem: Vec::new(),
        count: 0,
        problems: Vec::new(),
    };
    let bytes = match crate::bounded::read_regular(path, 4 << 20) {
        Ok(b) => b,
        Err(why) => {
            bundle.problems.push(format!("{}: {why}", path.display()));
            return bundle;
        }
    };
    for (i, cert) in CertificateDer::pem_slice_iter(&bytes).enumerate() {
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
    bundle
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
