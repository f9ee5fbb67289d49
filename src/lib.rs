//! lkroute53: a Route 53 recovery kit for SIOS LifeKeeper for Linux.
//!
//! A Route 53 resource (app `gen`, type `route53`) sits above one LifeKeeper
//! IP resource. When LifeKeeper brings the resource in service on a node,
//! `restore` points the host name's A record at the address that node's IP
//! resource protects; `quickCheck` compares the record with that address;
//! `recover` puts it right; `remove` leaves it alone.
//!
//! Data flows one way: LifeKeeper's arguments, then the settings file and the
//! LCD ([`settings`], [`lcd`], [`resource`]), then Route 53 ([`route53`],
//! [`poll`]), then a verdict and an exit code ([`error`]). Each side effect
//! lives in one module; the procedures in `actions/` name none of them
//! directly.

#![forbid(unsafe_code)]

pub mod aws;
pub mod budget;
pub mod capture;
pub mod context;
pub mod error;
pub mod hooks;
pub mod http;
pub mod lcd;
pub mod leftovers;
pub mod lock;
pub mod log;
pub mod poll;
pub mod record;
pub mod resource;
pub mod retry;
pub mod route53;
pub mod settings;
pub mod verdict;

#[cfg(test)]
mod double;

#[path = "../actions/mod.rs"]
pub mod actions;
