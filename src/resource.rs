//! The Route 53 resource as LifeKeeper stores it.
//!
//! - app `gen`, type `route53`, tag chosen by the operator;
//! - ID: `route53:ZONEID:HOSTNAME` (unique per zone and name on a node);
//! - info: `ZONEID HOSTNAME`, the two joined by one space; the host name is
//!   stored lower-case without the final dot;
//! - exactly one child, an IP resource (app `comm`, type `ip`) whose info's
//!   third field is the IPv4 address to publish.

use std::net::{IpAddr, Ipv4Addr};

use crate::error::ResourceError;
use crate::lcd::{Instance, Lcd};

pub const APP: &str = "gen";
pub const TYPE: &str = "route53";
pub const IP_TYPE: &str = "ip";
const MAX_TAG: usize = 256;

/// What the kit keeps about one Route 53 resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route53Resource {
    pub tag: String,
    pub zone_id: String,
    /// Lower case, no final dot.
    pub hostname: String,
}

impl Route53Resource {
    pub fn id(&self) -> String {
        format!("route53:{}:{}", self.zone_id, self.hostname)
    }

    pub fn info(&self) -> String {
        format!("{} {}", self.zone_id, self.hostname)
    }

    /// Read the zone and host name back from the info field.
    pub fn from_instance(inst: &Instance) -> Result<Route53Resource, ResourceError> {
        if inst.app != APP || inst.rtype != TYPE {
            return Err(ResourceError::WrongType {
                tag: inst.tag.clone(),
                app: inst.app.clone(),
                rtype: inst.rtype.clone(),
                expected: "gen/route53",
            });
        }
        let bad = |reason: String| ResourceError::BadInfo {
            tag: inst.tag.clone(),
            info: inst.info.clone(),
            reason,
        };
        let mut fields = inst.info.split_whitespace();
        let (Some(zone), Some(host), None) = (fields.next(), fields.next(), fields.next()) else {
            return Err(bad("expected two fields, ZONEID HOSTNAME".into()));
        };
        let zone_id = check_zone_id(zone).map_err(bad)?;
        let hostname = check_hostname(host).map_err(bad)?;
        Ok(Route53Resource {
            tag: inst.tag.clone(),
            zone_id,
            hostname,
        })
    }
}

/// A tag LifeKeeper and the kit can both carry safely: printable, no white
/// space, not starting with `-` (it would read as an option), bounded.
pub fn check_tag(what: &'static str, tag: &str) -> Result<(), ResourceError> {
    let reason = if tag.is_empty() {
        Some("empty".to_string())
    } else if tag.len() > MAX_TAG {
        Some(format!("longer than {MAX_TAG} bytes"))
    } else if tag.starts_with('-') {
        Some("starts with '-'".to_string())
    } else {
        tag.chars()
            .find(|c| c.is_control() || c.is_whitespace())
            .map(|c| format!("contains the character {c:?}"))
    };
    match reason {
        None => Ok(()),
        Some(reason) => Err(ResourceError::BadArgument {
            what,
            value: tag.chars().take(80).collect(),
            reason,
        }),
    }
}

/// A hosted zone ID, with or without the `/hostedzone/` prefix.
pub fn check_zone_id(zone: &str) -> Result<String, String> {
    let z = zone.strip_prefix("/hostedzone/").unwrap_or(zone);
    if z.is_empty() || z.len() > 32 || !z.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(format!(
            "{:?} is not a hosted zone ID (letters and digits, like Z0123456789ABCDEFGHIJ)",
            zone.chars().take(80).collect::<String>()
        ));
    }
    Ok(z.to_string())
}

/// A host name: labels of letters, digits, `-` and `_`, at most 63 bytes
/// each and 253 in all. Returned lower-case without the final dot.
pub fn check_hostname(name: &str) -> Result<String, String> {
    let n = name.strip_suffix('.').unwrap_or(name).to_ascii_lowercase();
    let shown = || name.chars().take(80).collect::<String>();
    if n.is_empty() || n.len() > 253 {
        return Err(format!("{:?} is not a host name (1 to 253 bytes)", shown()));
    }
    for label in n.split('.') {
        if label.is_empty() || label.len() > 63 {
            return Err(format!(
                "{:?} is not a host name (empty or over-long label)",
                shown()
            ));
        }
        if !label
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(format!(
                "{:?} is not a host name (letters, digits, '-' and '_' only; no wildcards)",
                shown()
            ));
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err(format!(
                "{:?} is not a host name (a label starts or ends with '-')",
                shown()
            ));
        }
    }
    Ok(n)
}

/// The address an IP resource protects: the third field of its info.
pub fn ip_address(inst: &Instance) -> Result<Ipv4Addr, ResourceError> {
    let bad = |reason: String| ResourceError::NoAddress {
        ip_tag: inst.tag.clone(),
        info: inst.info.clone(),
        reason,
    };
    let field = inst
        .info
        .split_whitespace()
        .nth(2)
        .ok_or_else(|| bad("the info field has fewer than three fields".into()))?;
    match field.parse::<IpAddr>() {
        Ok(IpAddr::V4(a)) => match unusable(a) {
            None => Ok(a),
            Some(why) => Err(ResourceError::UnusableAddress {
                ip_tag: inst.tag.clone(),
                address: a,
                why,
            }),
        },
        Ok(IpAddr::V6(a)) => Err(bad(format!(
            "{a} is an IPv6 address; the kit publishes A records (IPv4) only"
        ))),
        Err(_) => Err(bad(format!("{field:?} is not an IP address"))),
    }
}

/// Why no client could use this address, where none could: the record must
/// point at a unicast address a client can reach.
pub fn unusable(a: Ipv4Addr) -> Option<&'static str> {
    if a.is_unspecified() {
        Some("the unspecified address")
    } else if a.is_broadcast() {
        Some("the broadcast address")
    } else if a.is_loopback() {
        Some("a loopback address (127.0.0.0/8)")
    } else if a.is_multicast() {
        Some("a multicast address (224.0.0.0/4)")
    } else if a.is_link_local() {
        Some("a link-local address (169.254.0.0/16)")
    } else {
        None
    }
}

/// The Route 53 resource `tag` as the LCD holds it.
pub async fn find(lcd: &Lcd, tag: &str) -> Result<(Instance, Route53Resource), ResourceError> {
    let inst = lcd
        .instance(tag)
        .await?
        .ok_or_else(|| ResourceError::NoSuchResource { tag: tag.into() })?;
    let r = Route53Resource::from_instance(&inst)?;
    Ok((inst, r))
}

/// The IP resource `ip_tag` on this node and the IPv4 address it holds.
pub async fn ip_resource(lcd: &Lcd, ip_tag: &str) -> Result<(Instance, Ipv4Addr), ResourceError> {
    let ip = lcd
        .instance(ip_tag)
        .await?
        .ok_or_else(|| ResourceError::NoSuchResource {
            tag: ip_tag.to_string(),
        })?;
    if ip.rtype != IP_TYPE {
        return Err(ResourceError::WrongType {
            tag: ip.tag,
            app: ip.app,
            rtype: ip.rtype,
            expected: "comm/ip",
        });
    }
    let address = ip_address(&ip)?;
    Ok((ip, address))
}

/// Everything an action needs from the LCD.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub resource: Route53Resource,
    pub instance: Instance,
    pub ip_tag: String,
    pub address: Ipv4Addr,
}

/// Read the resource `tag` and the address of its IP child.
pub async fn load(lcd: &Lcd, tag: &str) -> Result<Loaded, ResourceError> {
    check_tag("tag", tag)?;
    let (instance, resource) = find(lcd, tag).await?;
    let (ip_tag, address) = ip_child(lcd, tag).await?;
    Ok(Loaded {
        resource,
        instance,
        ip_tag,
        address,
    })
}

/// The one IP resource `tag` depends on: its tag and the address it holds.
pub async fn ip_child(lcd: &Lcd, tag: &str) -> Result<(String, Ipv4Addr), ResourceError> {
    let mut ips = Vec::new();
    for child in lcd.children(tag).await? {
        if let Some(inst) = lcd.instance(&child).await? {
            if inst.rtype == IP_TYPE {
                ips.push(inst);
            }
        }
    }
    let ip = match ips.len() {
        0 => return Err(ResourceError::NoIpChild { tag: tag.into() }),
        1 => ips.remove(0),
        _ => {
            return Err(ResourceError::ManyIpChildren {
                tag: tag.into(),
                children: ips.into_iter().map(|i| i.tag).collect(),
            })
        }
    };
    let address = ip_address(&ip)?;
    Ok((ip.tag, address))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inst(app: &str, rtype: &str, tag: &str, info: &str) -> Instance {
        Instance {
            system: "node1".into(),
            app: app.into(),
            rtype: rtype.into(),
            tag: tag.into(),
            id: "x".into(),
            info: info.into(),
            state: "ISP".into(),
        }
    }

    #[test]
    fn info_round_trips() {
        let r = Route53Resource {
            tag: "r53".into(),
            zone_id: "Z123".into(),
            hostname: "app.example.com".into(),
        };
        let back = Route53Resource::from_instance(&inst("gen", "route53", "r53", &r.info()))
            .expect("round trip");
        assert_eq!(back, r);
        assert_eq!(r.id(), "route53:Z123:app.example.com");
    }

    #[test]
    fn broken_info_is_named() {
        let e = Route53Resource::from_instance(&inst("gen", "route53", "r53", "Z123"))
            .expect_err("must be refused")
            .to_string();
        assert!(e.contains("r53") && e.contains("Z123"), "{e}");
        assert!(
            Route53Resource::from_instance(&inst("comm", "ip", "r53", "Z1 a.b")).is_err(),
            "wrong type must be refused"
        );
    }

    #[test]
    fn ip_address_is_the_third_field() {
        let a = ip_address(&inst(
            "comm",
            "ip",
            "ip1",
            "node1 eth0 10.0.1.10 ffffff00 none",
        ))
        .expect("address");
        assert_eq!(a, Ipv4Addr::new(10, 0, 1, 10));
        assert!(ip_address(&inst("comm", "ip", "ip1", "node1 eth0")).is_err());
        let v6 = ip_address(&inst("comm", "ip", "ip1", "node1 eth0 fd00::1 64 none"))
            .expect_err("must be refused")
            .to_string();
        assert!(v6.contains("IPv6"), "{v6}");
    }

    #[test]
    fn addresses_no_client_can_use_are_refused_naming_the_ip_resource() {
        for (addr, why) in [
            ("0.0.0.0", "unspecified"),
            ("255.255.255.255", "broadcast"),
            ("127.0.0.1", "loopback"),
            ("224.0.0.251", "multicast"),
            ("169.254.169.254", "link-local"),
        ] {
            let e = ip_address(&inst(
                "comm",
                "ip",
                "ip-x",
                &format!("node1 eth0 {addr} ffffff00 none"),
            ))
            .expect_err(addr)
            .to_string();
            assert!(
                e.contains("ip-x") && e.contains(addr) && e.contains(why),
                "{e}"
            );
        }
        for ok in ["10.0.1.10", "192.0.2.1", "100.64.0.1", "8.8.8.8"] {
            assert!(unusable(ok.parse().expect("address")).is_none(), "{ok}");
        }
    }

    #[test]
    fn hostile_tags_are_refused() {
        assert!(check_tag("tag", "-t").is_err());
        assert!(check_tag("tag", "a b").is_err());
        assert!(check_tag("tag", "a\nb").is_err());
        assert!(check_tag("tag", "").is_err());
        assert!(check_tag("tag", &"x".repeat(300)).is_err());
        assert!(check_tag("tag", "r53-app.example_1").is_ok());
    }

    #[test]
    fn hostnames_are_normalised_and_checked() {
        assert_eq!(
            check_hostname("App.Example.COM.").expect("valid"),
            "app.example.com"
        );
        assert!(check_hostname("*.example.com").is_err());
        assert!(check_hostname("a..b").is_err());
        assert!(check_hostname("-a.b").is_err());
        assert!(check_hostname(&format!("{}.com", "a".repeat(64))).is_err());
    }

    #[test]
    fn zone_ids_accept_the_api_prefix() {
        assert_eq!(
            check_zone_id("/hostedzone/Z0123ABC").expect("valid"),
            "Z0123ABC"
        );
        assert!(check_zone_id("Z12/../x").is_err());
        assert!(check_zone_id("").is_err());
    }
}
