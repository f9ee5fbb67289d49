//! `lkroute53 doctor TAG`: every check an operator would make at 3 a.m.,
//! in order. Each check is a function that returns a typed result (passed,
//! failed or for information, a detail, a remedy); one renderer prints
//! them. Exits 1 when any failed.

mod aws;
mod capture;
mod check;
mod dns;
mod lifekeeper;

use std::path::Path;

use self::aws::{aws_checks, credentials_check, endpoint_checks, record_checks, Reached};
use self::check::{render, Check, Mark};
use self::lifekeeper::{lcd_assumptions, lcd_check, resource_check, settings_checks, type_check};
use crate::aws::Probe;
use crate::context::Ctx;
use crate::error::ActionError;
use crate::lcd::Lcd;
use crate::log::print;
use crate::resource;

pub(crate) async fn run<A: Probe>(
    ctx: &Ctx<impl Lcd>,
    api: &A,
    tag: &str,
    capture: Option<&Path>,
) -> Result<(), ActionError> {
    let checks = checks(ctx, api, tag).await;
    render(&checks);
    let mut failed = checks.iter().filter(|c| c.mark == Mark::Fail).count();
    if let Some(path) = capture {
        match capture::write(path, ctx, &checks) {
            Ok(()) => print(&format!("capture written to {}", path.display())),
            Err(e) => {
                failed += 1;
                print(&format!(
                    "[FAIL] capture: cannot write {}: {e}",
                    path.display()
                ))
            }
        }
    }
    if failed == 0 {
        print("all checks passed");
        Ok(())
    } else {
        Err(ActionError::ChecksFailed { failed })
    }
}

/// Every check, in order: the LifeKeeper side, then the AWS side, then the
/// resource's zone and record.
async fn checks<A: Probe>(ctx: &Ctx<impl Lcd>, api: &A, tag: &str) -> Vec<Check> {
    let mut out = settings_checks(&ctx.settings);
    out.push(lcd_check(&ctx.lcd).await);
    out.push(type_check(&ctx.lcd).await);
    let found = match resource::check_tag("tag", tag) {
        Ok(()) => resource::lookup(&ctx.lcd, tag).await,
        Err(e) => Err(e),
    };
    out.push(resource_check(tag, &found));
    if let Ok(f) = &found {
        out.extend(lcd_assumptions(&ctx.lcd, &f.instance).await);
    }
    let credentials = credentials_check(api).await;
    let signed = credentials.mark == Mark::Pass;
    out.push(credentials);
    out.extend(aws_checks(api).await);
    // Without credentials no request can be signed: each of the checks
    // below would only wait its call's bound to say so again.
    if !signed {
        out.push(Check::fail(
            "endpoint",
            "not checked: no credentials to sign a request with (see the credentials check)".into(),
            "",
        ));
        return out;
    }
    let reached = endpoint_checks(api, &mut out).await;
    match found {
        Ok(f) => out.extend(record_checks(&ctx.settings, api, f).await),
        Err(_) => out.push(Check::fail(
            "zone",
            "not checked: the resource could not be read".into(),
            "",
        )),
    }
    if reached == Reached::NoAnswer {
        tracing::debug!("the endpoint did not answer the probe");
    }
    out
}
