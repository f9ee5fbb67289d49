//! Where requests go and how they travel there: the one reading of an
//! environment variable, the one URL parser, the Route 53 endpoint (the
//! partition's, or an override), and the proxy rules (HTTPS_PROXY,
//! HTTP_PROXY, NO_PROXY) as the HTTP client applies them. A password in a
//! proxy setting is never shown.

pub(crate) use crate::text::hide_userinfo;
use crate::text::short;

/// An environment variable's value; unset, empty and blank are the same.
pub(crate) fn env(key: &str) -> Option<String> {
    std::env::var(key).ok().filter(|v| !v.trim().is_empty())
}

/// The parts of a URL the kit looks at. The host keeps the brackets of an
/// IPv6 address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Url<'a> {
    pub scheme: &'a str,
    pub userinfo: Option<&'a str>,
    pub host: &'a str,
    pub port: Option<&'a str>,
}

impl<'a> Url<'a> {
    /// `scheme://[userinfo@]host[:port][/path]`; None without a scheme.
    pub(crate) fn parse(url: &'a str) -> Option<Url<'a>> {
        let (scheme, rest) = url.split_once("://")?;
        let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
        let (userinfo, host_port) = match authority.rsplit_once('@') {
            Some((u, h)) => (Some(u), h),
            None => (None, authority),
        };
        let (host, port) = split_port(host_port);
        Some(Url {
            scheme,
            userinfo,
            host,
            port,
        })
    }

    /// `host:port` in lower case, the port 80 where none is given.
    pub(crate) fn host_port(&self) -> String {
        format!(
            "{}:{}",
            self.host.to_ascii_lowercase(),
            self.port.unwrap_or("80")
        )
    }
}

/// `host[:port]`, with `[v6]:port` read as the bracketed host and its port.
fn split_port(host_port: &str) -> (&str, Option<&str>) {
    if host_port.starts_with('[') {
        return match host_port.find(']') {
            Some(end) => {
                let port = host_port[end + 1..].strip_prefix(':');
                (&host_port[..=end], port)
            }
            None => (host_port, None),
        };
    }
    match host_port.rsplit_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (host_port, None),
    }
}

/// Why a URL cannot be an endpoint, where it cannot: it must be
/// `http://` or `https://`, a host, an optional numeric port and path, with
/// no white space or control characters.
pub(crate) fn endpoint_problem(url: &str) -> Option<String> {
    let Some(u) = Url::parse(url) else {
        return Some("it has no scheme (http:// or https://)".into());
    };
    if !u.scheme.eq_ignore_ascii_case("http") && !u.scheme.eq_ignore_ascii_case("https") {
        return Some(format!(
            "the scheme {:?} is neither http nor https",
            u.scheme
        ));
    }
    if let Some(c) = url.chars().find(|c| c.is_whitespace() || c.is_control()) {
        return Some(format!("it contains the character {c:?}"));
    }
    if u.host.is_empty() {
        return Some("it names no host".into());
    }
    if let Some(p) = u.port {
        if p.parse::<u16>().is_err() {
            return Some(format!("the port {p:?} is not a number from 0 to 65535"));
        }
    }
    None
}

/// The endpoint override in force, if any: the variable and its value.
pub(crate) fn route53_override() -> Option<(&'static str, String)> {
    env("AWS_ENDPOINT_URL_ROUTE_53")
        .map(|v| ("AWS_ENDPOINT_URL_ROUTE_53", v))
        .or_else(|| env("AWS_ENDPOINT_URL").map(|v| ("AWS_ENDPOINT_URL", v)))
}

/// An endpoint override that is no URL: the variable, its value (short)
/// and why. Nothing is sent to it.
pub(crate) fn bad_route53_override() -> Option<(&'static str, String, String)> {
    route53_override()
        .and_then(|(var, value)| endpoint_problem(&value).map(|why| (var, short(&value), why)))
}

/// The STS endpoint override, where one is set.
pub(crate) fn sts_override() -> Option<String> {
    env("AWS_ENDPOINT_URL_STS").or_else(|| env("AWS_ENDPOINT_URL"))
}

/// Which scheme a request is sent with: the proxy setting and the
/// connector follow from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scheme {
    Http,
    Https,
}

/// Where a proxy setting came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ProxySource {
    Env(&'static str),
    /// The defaults file (LifeKeeper's own kits load it into their
    /// environment): the key, and the file and line.
    File(&'static str, crate::settings::Source),
}

impl std::fmt::Display for ProxySource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ProxySource::Env(v) => write!(f, "the environment, {v}"),
            ProxySource::File(k, s) => write!(f, "{k}, {s}"),
        }
    }
}

/// One proxy setting in force and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ProxySetting {
    pub value: String,
    pub source: ProxySource,
}

/// The proxy settings in force: decided once, used by the HTTP client and
/// by every description of a route.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Proxies {
    pub https: Option<ProxySetting>,
    pub http: Option<ProxySetting>,
    pub no_proxy: Option<ProxySetting>,
    /// The settings that are no usable proxy URL: where each was set, and
    /// why (never its value: it may hold a password). None of them is used.
    pub refused: Vec<(ProxySource, &'static str)>,
}

/// Why a proxy setting is no usable proxy URL, where it is not. A user or
/// password that holds `/`, `?` or `#` unencoded cannot be told from the
/// host: a client would read part of the password as the host (and blame
/// DNS), and print it.
pub(crate) fn proxy_problem(value: &str) -> Option<&'static str> {
    let rest = value.split_once("://").map_or(value, |(_, r)| r);
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest.rfind('@') {
        Some(at) if at > authority_end => Some(
            "its user or password holds '/', '?' or '#' that is not percent-encoded (write %2F, %3F, %23)",
        ),
        Some(at) if rest[at + 1..].split(['/', '?', '#']).next().is_none_or(str::is_empty) => {
            Some("it names no host")
        }
        None if rest[..authority_end].is_empty() => Some("it names no host"),
        _ => None,
    }
}

impl Proxies {
    /// The environment's, else those the defaults file sets (`file`: key,
    /// value, where): for each of HTTPS, HTTP and NO_PROXY, the environment
    /// wins.
    pub(crate) fn resolve(file: &[(&'static str, String, crate::settings::Source)]) -> Proxies {
        let mut refused = Vec::new();
        let mut usable = |s: Option<ProxySetting>| {
            let s = s?;
            match proxy_problem(&s.value) {
                Some(why) => {
                    refused.push((s.source, why));
                    None
                }
                None => Some(s),
            }
        };
        let first = |names: &[&'static str]| {
            let from_env = names.iter().find_map(|n| {
                env(n).map(|value| ProxySetting {
                    value,
                    source: ProxySource::Env(n),
                })
            });
            from_env.or_else(|| {
                names.iter().find_map(|n| {
                    file.iter()
                        .find(|(k, _, _)| k == n)
                        .map(|(k, v, s)| ProxySetting {
                            value: v.clone(),
                            source: ProxySource::File(k, s.clone()),
                        })
                })
            })
        };
        let https = usable(first(&[
            "HTTPS_PROXY",
            "https_proxy",
            "ALL_PROXY",
            "all_proxy",
        ]));
        let http = usable(first(&[
            "HTTP_PROXY",
            "http_proxy",
            "ALL_PROXY",
            "all_proxy",
        ]));
        refused.dedup();
        Proxies {
            https,
            http,
            no_proxy: first(&["NO_PROXY", "no_proxy"]),
            refused,
        }
    }

    fn no(&self) -> &str {
        self.no_proxy.as_ref().map_or("", |s| s.value.as_str())
    }

    /// The client's own matcher over these settings.
    pub(crate) fn matcher(&self) -> hyper_util::client::proxy::matcher::Matcher {
        let value =
            |s: &Option<ProxySetting>| s.as_ref().map_or(String::new(), |s| s.value.clone());
        hyper_util::client::proxy::matcher::Matcher::builder()
            .https(value(&self.https))
            .http(value(&self.http))
            .no(self.no().to_string())
            .build()
    }

    /// The HTTP client's proxy configuration for one scheme: `https` for
    /// the TLS connector, else the plain one.
    pub(crate) fn client_config(
        &self,
        scheme: Scheme,
    ) -> aws_smithy_http_client::proxy::ProxyConfig {
        use aws_smithy_http_client::proxy::ProxyConfig;
        let setting = match scheme {
            Scheme::Https => &self.https,
            Scheme::Http => &self.http,
        };
        let Some(s) = setting else {
            return ProxyConfig::disabled();
        };
        let url = if s.value.contains("://") {
            s.value.clone()
        } else {
            format!("http://{}", s.value)
        };
        let config = match scheme {
            Scheme::Https => ProxyConfig::https(url.as_str()),
            Scheme::Http => ProxyConfig::http(url.as_str()),
        };
        match config {
            Ok(c) => c.no_proxy(self.no()),
            // A setting the client cannot use is described as used by
            // nobody (route() says "direct").
            Err(_) => ProxyConfig::disabled(),
        }
    }

    /// The route of a request to `url`, as the client takes it.
    pub(crate) fn route(&self, url: &str) -> Route {
        let proxy = url.parse::<http::Uri>().ok().and_then(|uri| {
            self.matcher()
                .intercept(&uri)
                .map(|i| hide_userinfo(&i.uri().to_string()))
        });
        Route {
            url: url.to_string(),
            proxy,
        }
    }
}

/// How requests to one URL travel: directly, or through a proxy (shown
/// without its password).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Route {
    pub url: String,
    pub proxy: Option<String>,
}

impl Route {
    /// For messages about a request: the URL, and the proxy where there is
    /// one.
    pub(crate) fn endpoint_text(&self) -> String {
        match &self.proxy {
            Some(p) => format!("{} via proxy {p}", self.url),
            None => self.url.clone(),
        }
    }
}

impl std::fmt::Display for Route {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.proxy {
            Some(p) => write!(f, "{} via proxy {p}", self.url),
            None => write!(f, "{} (direct)", self.url),
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_proxy_url_whose_password_holds_a_delimiter_is_refused_by_name() {
        for bad in [
            "http://user:pa/ss@proxy:3128",
            "http://user:pa#ss@proxy:3128",
            "user:pa?ss@proxy:3128",
            "http://user:pw@",
            "http://",
        ] {
            assert!(proxy_problem(bad).is_some(), "{bad}");
        }
        for good in [
            "http://proxy:3128",
            "proxy:3128",
            "http://user:pa%2Fss@proxy:3128/",
            "user:p@ss@proxy:3128",
        ] {
            assert_eq!(proxy_problem(good), None, "{good}");
        }
        let file = vec![(
            "HTTPS_PROXY",
            "http://u:s3cr/et@proxy:3128".to_string(),
            crate::settings::Source::Default,
        )];
        let p = Proxies::resolve(&file);
        assert_eq!(p.https, None, "not used");
        assert_eq!(p.refused.len(), 1);
        assert!(!format!("{p:?}").contains("s3cr"), "{p:?}");
    }

    use super::*;

    #[test]
    fn endpoints_that_are_no_url_are_named() {
        assert_eq!(endpoint_problem("http://127.0.0.1:4566"), None);
        assert_eq!(endpoint_problem("https://route53.amazonaws.com/"), None);
        assert_eq!(endpoint_problem("https://[::1]:8443"), None);
        for (bad, why) in [
            ("not a url", "no scheme"),
            ("ftp://x", "neither http nor https"),
            ("http://", "no host"),
            ("http://a b", "character ' '"),
            ("http://host:port", "not a number"),
        ] {
            let got = endpoint_problem(bad).unwrap_or_default();
            assert!(got.contains(why), "{bad}: {got}");
        }
    }

    #[test]
    fn urls_are_read_one_way() {
        let u = Url::parse("http://u:p@Example.com:8080/x?y").expect("url");
        assert_eq!(
            (u.scheme, u.userinfo, u.host, u.port),
            ("http", Some("u:p"), "Example.com", Some("8080"))
        );
        assert_eq!(u.host_port(), "example.com:8080");
        let v6 = Url::parse("http://[fd00:ec2::254]/").expect("url");
        assert_eq!((v6.host, v6.port), ("[fd00:ec2::254]", None));
        assert_eq!(v6.host_port(), "[fd00:ec2::254]:80");
        assert_eq!(Url::parse("[::1]:80"), None);
    }

    #[test]
    fn routes_follow_the_settings_and_no_proxy() {
        let p = Proxies {
            https: Some(ProxySetting {
                value: "user:pw@proxy.local:3128".into(),
                source: ProxySource::Env("HTTPS_PROXY"),
            }),
            http: None,
            no_proxy: Some(ProxySetting {
                value: "internal.example".into(),
                source: ProxySource::Env("NO_PROXY"),
            }),
            refused: Vec::new(),
        };
        let r = p.route("https://route53.amazonaws.com");
        assert_eq!(
            r.to_string(),
            "https://route53.amazonaws.com via proxy http://proxy.local:3128/"
        );
        assert!(!r.to_string().contains("pw"));
        assert_eq!(p.route("https://sts.internal.example").proxy, None);
        assert_eq!(
            p.route("http://127.0.0.1:5000").to_string(),
            "http://127.0.0.1:5000 (direct)"
        );
    }
}
