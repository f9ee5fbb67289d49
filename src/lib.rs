//! lkroute53: a Route 53 recovery kit for SIOS LifeKeeper for Linux.
//!
//! A Route 53 resource (app `gen`, type `route53`) sits above one LifeKeeper
//! IP resource. When LifeKeeper brings the resource in service on a node,
//! `restore` points the host name's A record at the address that node's IP
//! resource protects; `quickCheck` compares the record with that address;
//! `recover` puts it right; `remove` leaves it alone.
//!
//! This library holds the mechanisms; the procedures LifeKeeper and
//! operators run are in the program (`actions/`). Read in the order data
//! flows: what was asked ([`cli`]), the settings file and the LCD
//! ([`settings`], [`lcd`], [`resource`]), Route 53 ([`aws`], with the INSYNC
//! wait in [`poll`] and the tries in [`retry`]), what the record means
//! ([`record`], [`verdict`]), and how a run ends ([`error`], [`runtime`],
//! [`log`]). Each side effect lives in one module: the LCD commands in
//! [`lcd`], the network in [`aws`], the files in [`settings`] and
//! [`bounded`], the lock in [`lock`].

#![forbid(unsafe_code)]

pub mod aws;
pub mod bounded;
pub mod cli;
pub mod context;
pub mod error;
pub mod lcd;
pub mod leftovers;
pub mod lock;
pub mod log;
pub mod poll;
pub mod record;
pub mod resource;
pub mod retry;
pub mod runtime;
pub mod settings;
pub mod text;
pub mod verdict;
