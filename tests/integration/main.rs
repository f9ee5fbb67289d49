//! The integration tests, one test binary: the kit as installed by
//! `packaging/install-tree.sh`, run as LifeKeeper and operators run it,
//! against a real Route 53 endpoint (`moto_server` on 127.0.0.1, one for the
//! whole run) and a simulated LifeKeeper cluster whose `$LKROOT/bin`
//! commands (tests/fixtures/lcdsim.py) honour the documented synopses.
//! What moto cannot do comes from the one test front before it
//! (tests/fixtures/front.py, `util/front.rs`: scripted faults, an account's
//! quotas, changes that take a while, HTTPS with a test CA).

// One test crate: its modules share helpers through `pub`.
#![allow(unreachable_pub)]
// The 80-line rule is the program's (src/, actions/); a scenario test
// reads best as one story.
#![allow(clippy::too_many_lines)]

mod util;

mod aws;
mod bad_input;
mod concurrency;
mod create;
mod dns;
mod extend;
mod faults;
mod hostile;
mod kit;
mod lifekeeper;
mod operator;
mod pacemaker;
mod paths;
mod rpm;
mod storm;
mod switchover;
mod wrong_node;
