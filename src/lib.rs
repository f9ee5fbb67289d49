//! lkroute53: a Route 53 recovery kit for SIOS LifeKeeper for Linux.
//!
//! A Route 53 resource (app `gen`, type `route53`) sits above one LifeKeeper
//! IP resource. When LifeKeeper brings the resource in service on a node,
//! `restore` points the host name's A record at the address that node's IP
//! resource protects; `quickCheck` compares the record with that address;
//! `recover` puts it right; `remove` leaves it alone.
//!
//! The procedures LifeKeeper and operators run are in [`actions`]; the
//! same procedures serve Pacemaker through its one adapter, [`pacemaker`]
//! (the OCF resource agent `ocf:lkroute53:route53`). Read in the order data
//! flows: what was asked ([`cli`]), the settings file and the LCD
//! ([`settings`], [`lcd`], [`resource`]), Route 53 ([`aws`], with the INSYNC
//! wait in [`poll`] and the tries in [`retry`]), what the record means
//! ([`record`], [`verdict`]), and how a run ends ([`error`], [`runtime`],
//! [`log`]). Each side effect lives in one module: the LCD commands in
//! [`lcd`], the network in [`aws`] (and quickCheck's DNS query in
//! [`dns`]), the files in [`settings`] and [`bounded`], the lock in
//! [`lock`].

#![forbid(unsafe_code)]

/// An enum whose every variant is listed in `ALL`, in order: the tables
/// of the README are tested against the list (`readme.rs`).
macro_rules! listed_enum {
    ($(#[$m:meta])* $vis:vis enum $name:ident { $($(#[$vm:meta])* $v:ident = $n:literal,)* }) => {
        $(#[$m])*
        $vis enum $name { $($(#[$vm])* $v = $n,)* }
        impl $name {
            /// Every value, in order.
            #[allow(dead_code)]
            pub(crate) const ALL: &'static [$name] = &[$($name::$v),*];
        }
    };
}

mod actions;
mod aws;
mod bounded;
mod child;
mod cli;
mod context;
mod dns;
mod error;
mod lcd;
mod leftovers;
mod lock;
mod log;
mod pacemaker;
mod poll;
mod readme;
mod record;
mod resource;
mod retry;
mod runtime;
mod settings;
mod shell;
mod text;
mod verdict;

// What the program (src/main.rs) runs.
pub use actions::main as run;
pub use cli::OcfCall;
pub use cli::{man, parse, Program};
pub use error::ExitStatus;
pub use pacemaker::{main as ocf, Status as OcfStatus};

/// The parsers of everything the kit reads from outside, for the fuzz
/// targets (fuzz/).
pub mod parsers {
    pub use crate::lcd::parse::{parse_dep_children, parse_eqv_list, parse_ins_list};
    pub use crate::lcd::Instance;
    pub use crate::resource::{check_hostname, check_tag, check_zone_id, ip_address};
    pub use crate::settings::{parse, Settings, SPECS};
}
