//! The Route 53 resource as LifeKeeper stores it.
//!
//! - app `gen`, type `route53`, tag chosen by the operator;
//! - ID: `route53:ZONEID:HOSTNAME` (unique per zone and name on a node);
//! - info: `ZONEID HOSTNAME`, the two joined by one space; the host name is
//!   stored lower-case without the final dot;
//! - exactly one child, an IP resource (app `comm`, type `ip`) whose info's
//!   third field is the IPv4 address to publish.

use std::net::{IpAddr, Ipv4Addr};

pub(crate) use crate::lcd::Switchback;
use crate::lcd::{Instance, Lcd, LcdError, LcdWrite};
use crate::log::{Logger, Msg};

pub(crate) const APP: &str = "gen";
pub(crate) const TYPE: &str = "route53";
pub(crate) const IP_APP: &str = "comm";
pub(crate) const IP_TYPE: &str = "ip";
const MAX_TAG: usize = 256;
/// The priority of the node a resource is extended from (SHARED
/// equivalency; 1 is the highest).
pub(crate) const TEMPLATE_PRIORITY: u32 = 1;
/// The priority `extend` gives the node it runs on, unless told another.
pub(crate) const DEFAULT_PRIORITY: u32 = 10;

/// The LifeKeeper resources are not what the kit needs.
#[derive(Debug, thiserror::Error)]
pub enum ResourceError {
    #[error("{what} {value:?} is not usable: {reason}")]
    BadArgument {
        what: &'static str,
        value: String,
        reason: String,
    },
    #[error("no resource with tag {tag:?} in the LCD")]
    NoSuchResource { tag: String },
    #[error("resource {tag:?} is of app/type {app}/{rtype}, not {expected}")]
    WrongType {
        tag: String,
        app: String,
        rtype: String,
        expected: &'static str,
    },
    #[error("resource {tag:?} has an info field the kit cannot read ({info:?}): {reason}")]
    BadInfo {
        tag: String,
        info: String,
        reason: String,
    },
    #[error("resource {tag:?} depends on no IP resource; make one its child with dep_create -p {tag} -c IPTAG")]
    NoIpChild { tag: String },
    #[error("resource {tag:?} depends on {} IP resources ({}); it must have exactly one", children.len(), children.join(", "))]
    ManyIpChildren { tag: String, children: Vec<String> },
    #[error("IP resource {ip_tag:?} holds no IPv4 address in its info field {info:?} (third field): {reason}")]
    NoAddress {
        ip_tag: String,
        info: String,
        reason: String,
    },
    #[error("IP resource {ip_tag:?} holds {address}, {why}, which no client can reach; the kit publishes only a unicast address (give the IP resource the node's own private address)")]
    UnusableAddress {
        ip_tag: String,
        address: std::net::Ipv4Addr,
        why: &'static str,
    },
    #[error("a resource with tag {tag:?} already exists")]
    TagTaken { tag: String },
    #[error("resources depend on {tag:?} ({}); remove those dependencies (or those resources) first", parents.join(", "))]
    HasParents { tag: String, parents: Vec<String> },
    #[error(transparent)]
    Lcd(#[from] LcdError),
}

/// An IP resource, as LifeKeeper documents it: app `comm`, type `ip`.
pub(crate) fn is_ip(inst: &Instance) -> bool {
    inst.app == IP_APP && inst.rtype == IP_TYPE
}

/// A Route 53 resource of this kit: app `gen`, type `route53`.
pub(crate) fn is_route53(inst: &Instance) -> bool {
    inst.app == APP && inst.rtype == TYPE
}

/// What the kit keeps about one Route 53 resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Route53Resource {
    pub tag: String,
    pub zone_id: String,
    /// Lower case, no final dot.
    pub hostname: String,
}

impl Route53Resource {
    pub(crate) fn id(&self) -> String {
        format!("route53:{}:{}", self.zone_id, self.hostname)
    }

    pub(crate) fn info(&self) -> String {
        format!("{} {}", self.zone_id, self.hostname)
    }

    /// Read the zone and host name back from the info field.
    pub(crate) fn from_instance(inst: &Instance) -> Result<Route53Resource, ResourceError> {
        if !is_route53(inst) {
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

/// The tag of a resource about to be made (create, extend): as
/// [`check_tag`], and no `:` (the field separator of LifeKeeper's log
/// lines: a tag `r53:053015:forged` would forge a message ID) and no
/// bidirectional-formatting character (U+202E reorders a terminal's line).
pub(crate) fn check_new_tag(what: &'static str, tag: &str) -> Result<(), ResourceError> {
    check_tag(what, tag)?;
    let bad = tag
        .chars()
        .find(|c| *c == ':' || crate::text::is_bidi_control(*c));
    match bad {
        None => Ok(()),
        Some(c) => Err(ResourceError::BadArgument {
            what,
            value: tag.chars().take(80).collect(),
            reason: format!(
                "contains the character {:?}, which a new tag may not hold (':' separates the fields of LifeKeeper's log lines; bidirectional formatting reorders what is shown)",
                c
            ),
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

/// Where the address of an IP resource was found. The layout of the IP
/// resource's info field in LifeKeeper 9.x is not confirmed by any document
/// found, so the kit takes the tokens of the info field that read as an IP
/// address (the third field where several do), then the resource's ID.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddressRule {
    /// The third field of the info, as in `node1 eth0 10.0.1.10 ffffff00 none`.
    ThirdField,
    /// The only field of the info that is an address (1-based position).
    OnlyField(usize),
    /// The first of several addresses in the info, none in the third field.
    FirstOfSeveral(usize),
    /// The resource's ID (`ip-10.0.1.10` style IDs do not count; the ID must
    /// be the address itself).
    Id,
}

impl std::fmt::Display for AddressRule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AddressRule::ThirdField => f.write_str("the third field of its info"),
            AddressRule::OnlyField(n) => write!(f, "field {n} of its info, the only address in it"),
            AddressRule::FirstOfSeveral(n) => {
                write!(f, "field {n} of its info, the first of several addresses")
            }
            AddressRule::Id => f.write_str("its ID (no address in its info)"),
        }
    }
}

/// The address an IP resource protects, and the rule that found it.
pub fn ip_address(inst: &Instance) -> Result<(Ipv4Addr, AddressRule), ResourceError> {
    let bad = |reason: String| ResourceError::NoAddress {
        ip_tag: inst.tag.clone(),
        info: inst.info.clone(),
        reason,
    };
    let found: Vec<(usize, IpAddr)> = inst
        .info
        .split_whitespace()
        .enumerate()
        .filter_map(|(i, t)| t.parse::<IpAddr>().ok().map(|a| (i + 1, a)))
        .collect();
    let (address, rule) = match found.as_slice() {
        [] => match inst.id.trim().parse::<IpAddr>() {
            Ok(a) => (a, AddressRule::Id),
            Err(_) => {
                return Err(bad(
                    "no field of the info, nor the ID, is an IP address".into()
                ))
            }
        },
        [(n, a)] if *n == 3 => (*a, AddressRule::ThirdField),
        [(n, a)] => (*a, AddressRule::OnlyField(*n)),
        several => match several.iter().find(|(n, _)| *n == 3) {
            Some((_, a)) => (*a, AddressRule::ThirdField),
            None => (several[0].1, AddressRule::FirstOfSeveral(several[0].0)),
        },
    };
    match address {
        IpAddr::V4(a) => match unusable(a) {
            None => Ok((a, rule)),
            Some(why) => Err(ResourceError::UnusableAddress {
                ip_tag: inst.tag.clone(),
                address: a,
                why,
            }),
        },
        IpAddr::V6(a) => Err(bad(format!(
            "{a} ({rule}) is an IPv6 address; the kit publishes A records (IPv4) only"
        ))),
    }
}

/// Why no client could use this address, where none could: the record must
/// point at a unicast address a client can reach.
pub(crate) fn unusable(a: Ipv4Addr) -> Option<&'static str> {
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
pub(crate) async fn find(
    lcd: &impl Lcd,
    tag: &str,
) -> Result<(Instance, Route53Resource), ResourceError> {
    let inst = lcd
        .instance(tag)
        .await?
        .ok_or_else(|| ResourceError::NoSuchResource { tag: tag.into() })?;
    let r = Route53Resource::from_instance(&inst)?;
    Ok((inst, r))
}

/// The IP resource `ip_tag` on this node and the IPv4 address it holds.
pub(crate) async fn ip_resource(
    lcd: &impl Lcd,
    ip_tag: &str,
) -> Result<(Instance, Ipv4Addr), ResourceError> {
    let ip = lcd
        .instance(ip_tag)
        .await?
        .ok_or_else(|| ResourceError::NoSuchResource {
            tag: ip_tag.to_string(),
        })?;
    if !is_ip(&ip) {
        return Err(ResourceError::WrongType {
            tag: ip.tag,
            app: ip.app,
            rtype: ip.rtype,
            expected: "comm/ip",
        });
    }
    let (address, _) = ip_address(&ip)?;
    Ok((ip, address))
}

/// The cluster manager that runs a resource, as messages name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Manager {
    LifeKeeper,
    Pacemaker,
}

impl Manager {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Manager::LifeKeeper => "LifeKeeper",
            Manager::Pacemaker => "Pacemaker",
        }
    }

    /// The actions of it that write the record.
    pub(crate) fn writes(self) -> &'static str {
        match self {
            Manager::LifeKeeper => "restore or recover",
            Manager::Pacemaker => "start",
        }
    }
}

/// What the record of a resource should hold, whichever cluster manager
/// runs it: the procedures (put the record right, check it) need only this.
#[derive(Debug, Clone)]
pub(crate) struct Loaded {
    pub manager: Manager,
    pub resource: Route53Resource,
    /// Where the address comes from, as messages name it: `IP resource
    /// ip-10.0.1.10` (LifeKeeper), `parameter ip` (Pacemaker).
    pub source: String,
    pub address: Ipv4Addr,
    /// Who writes the record, for the change's comment: `LifeKeeper
    /// r53-app on node1`.
    pub writer: String,
}

/// A LifeKeeper resource as read from the LCD: what its record should
/// hold, and its instance (its ID, its state).
#[derive(Debug, Clone)]
pub(crate) struct InLcd {
    pub loaded: Loaded,
    pub instance: Instance,
}

/// The resource as found, and its IP child or why that cannot be used:
/// status and doctor show a resource whose child is broken.
#[derive(Debug)]
pub(crate) struct Found {
    pub instance: Instance,
    pub resource: Route53Resource,
    pub child: Result<IpChild, ResourceError>,
}

impl Found {
    /// What an action needs, where the IP child can be used.
    pub(crate) fn loaded(self) -> Result<InLcd, ResourceError> {
        let child = self.child?;
        Ok(InLcd {
            loaded: Loaded {
                manager: Manager::LifeKeeper,
                writer: format!(
                    "LifeKeeper {} on {}",
                    self.resource.tag, self.instance.system
                ),
                resource: self.resource,
                source: format!("IP resource {}", child.tag),
                address: child.address,
            },
            instance: self.instance,
        })
    }
}

/// Read the resource `tag` and its IP child, with two LCD commands run at
/// once: every instance on the node (the resource and its IP child among
/// them) and the resource's children.
pub(crate) async fn lookup(lcd: &impl Lcd, tag: &str) -> Result<Found, ResourceError> {
    let (instances, children) = tokio::join!(lcd.all_instances(), lcd.children(tag));
    let instances = instances?;
    let instance = instances
        .iter()
        .find(|i| i.tag == tag)
        .cloned()
        .ok_or_else(|| ResourceError::NoSuchResource { tag: tag.into() })?;
    let resource = Route53Resource::from_instance(&instance)?;
    let child = children
        .map_err(ResourceError::from)
        .and_then(|c| ip_child_among(tag, &c, &instances));
    if let Ok(c) = &child {
        tracing::debug!(ip = %c.tag, address = %c.address, rule = %c.rule, "address of the IP child");
    }
    Ok(Found {
        instance,
        resource,
        child,
    })
}

/// Read the resource `tag` and the address of its IP child.
pub(crate) async fn load(lcd: &impl Lcd, tag: &str) -> Result<InLcd, ResourceError> {
    lookup(lcd, tag).await?.loaded()
}

/// The IP child of a resource: its tag, its address and where that was
/// found.
#[derive(Debug, Clone)]
pub(crate) struct IpChild {
    pub tag: String,
    pub address: Ipv4Addr,
    pub rule: AddressRule,
}

/// The one IP resource `tag` depends on.
pub(crate) async fn ip_child(lcd: &impl Lcd, tag: &str) -> Result<IpChild, ResourceError> {
    let (instances, children) = tokio::join!(lcd.all_instances(), lcd.children(tag));
    ip_child_among(tag, &children?, &instances?)
}

/// The one IP resource among `children` of `tag`, looked up in `instances`.
fn ip_child_among(
    tag: &str,
    children: &[String],
    instances: &[Instance],
) -> Result<IpChild, ResourceError> {
    let mut ips: Vec<&Instance> = instances
        .iter()
        .filter(|i| is_ip(i) && children.contains(&i.tag))
        .collect();
    let ip = match ips.len() {
        0 => return Err(ResourceError::NoIpChild { tag: tag.into() }),
        1 => ips.remove(0),
        _ => {
            return Err(ResourceError::ManyIpChildren {
                tag: tag.into(),
                children: ips.into_iter().map(|i| i.tag.clone()).collect(),
            })
        }
    };
    let (address, rule) = ip_address(ip)?;
    Ok(IpChild {
        tag: ip.tag.clone(),
        address,
        rule,
    })
}

/// Make sure the kit's application and resource type are registered in
/// this node's LCD (`app_create -a gen`, `typ_create -a gen -r route53`;
/// "exists" is success) before an instance of it is made. Where the
/// commands are missing or fail, that is said and `ins_create` is tried
/// all the same: its own error, if any, names what is wrong.
pub(crate) async fn register_type(lcd: &impl LcdWrite, log: &Logger) {
    let missing: Vec<&str> = ["app_create", "typ_create"]
        .into_iter()
        .filter(|c| !lcd.has(c))
        .collect();
    if !missing.is_empty() {
        log.warn(
            Msg::TypeRegistered,
            &format!(
                "cannot register resource type {APP}/{TYPE}: no {} in {}/bin; creating the instance all the same",
                missing.join(" or "),
                lcd.root().display()
            ),
        );
        return;
    }
    match lcd.register_type(APP, TYPE).await {
        Ok(()) => tracing::debug!("resource type {APP}/{TYPE} is registered"),
        Err(e) => log.warn(
            Msg::TypeRegistered,
            &format!("could not register resource type {APP}/{TYPE} ({e}); creating the instance all the same"),
        ),
    }
}

/// After the last LCD write of create, extend or delete: `lcdsync`, as
/// LifeKeeper's own hierarchy scripts do, where it exists. A failure is
/// said, never undone: the writes themselves succeeded.
pub(crate) async fn sync(lcd: &impl LcdWrite, log: &Logger) {
    if !lcd.has("lcdsync") {
        tracing::debug!(
            "no {}/bin/lcdsync here; the LCD keeps its changes itself",
            lcd.root().display()
        );
        return;
    }
    if let Err(e) = lcd.lcdsync().await {
        log.warn(
            Msg::LcdSynced,
            &format!(
                "the changes are made, but lcdsync failed ({e}); run {}/bin/lcdsync by hand",
                lcd.root().display()
            ),
        );
    }
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
            fields: 9,
            switchback: None,
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
    fn the_address_is_found_whichever_field_holds_it() {
        let a = ip_address(&inst(
            "comm",
            "ip",
            "ip1",
            "node1 eth0 10.0.1.10 ffffff00 none",
        ))
        .expect("address");
        assert_eq!(a, (Ipv4Addr::new(10, 0, 1, 10), AddressRule::ThirdField));
        let (a, rule) =
            ip_address(&inst("comm", "ip", "ip1", "10.0.1.11 eth0 node1")).expect("address");
        assert_eq!(
            (a, rule),
            (Ipv4Addr::new(10, 0, 1, 11), AddressRule::OnlyField(1))
        );
        let (a, rule) = ip_address(&inst(
            "comm",
            "ip",
            "ip1",
            "node1 eth0 10.0.1.12 255.255.255.0 none",
        ))
        .expect("address");
        assert_eq!(
            (a, rule),
            (Ipv4Addr::new(10, 0, 1, 12), AddressRule::ThirdField)
        );
        let mut by_id = inst("comm", "ip", "ip1", "node1 eth0");
        by_id.id = "10.0.1.13".into();
        assert_eq!(
            ip_address(&by_id).expect("address"),
            (Ipv4Addr::new(10, 0, 1, 13), AddressRule::Id)
        );
        let e = ip_address(&inst("comm", "ip", "ip1", "node1 eth0 none"))
            .expect_err("none")
            .to_string();
        assert!(e.contains("\"node1 eth0 none\""), "{e}");
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
