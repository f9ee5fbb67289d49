//! The AWS side of the kit: everything that knows the AWS SDK or the shape
//! of an AWS estate, in files named after their job.
//!
//! - [`estate`]: the node's AWS facts for the run, as typed values (region
//!   and partition, profile, role, CA bundle, proxies and routes);
//! - [`endpoint`]: the endpoint, URL and proxy rules;
//! - [`trust`]: what HTTPS trusts besides the system store;
//! - [`http`]: the run's one HTTP client;
//! - [`client`]: the Route 53 client and the one call path of its requests;
//! - [`classify`] and [`error`]: an SDK error in the kit's words, and the
//!   one table of Route 53's error codes;
//! - [`budget`]: the node's request budget, shared by the kit's processes;
//! - [`batch`]: group commit, the node's UPSERTs of one zone in one change;
//! - [`api`]: the two seams the procedures see, [`RecordApi`] and [`Probe`].

pub(crate) mod api;
pub(crate) mod batch;
pub(crate) mod budget;
mod call;
pub(crate) mod change;
pub(crate) mod classify;
pub(crate) mod client;
pub(crate) mod credentials;
pub(crate) mod endpoint;
pub(crate) mod error;
pub(crate) mod estate;
pub(crate) mod http;
mod probe;
mod reads;
mod sdk;
pub(crate) mod trust;
mod wire;

pub(crate) use api::{ChangeState, Probe, RecordApi, Zone};
pub(crate) use call::bound as call_bound;
pub(crate) use client::Route53;
pub(crate) use error::{Cause, Route53Error};
pub(crate) use estate::Estate;
