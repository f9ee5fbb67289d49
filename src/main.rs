//! The program LifeKeeper and operators run: `restore`, `remove`,
//! `quickCheck`, `recover` and `delete` by the name it is called under
//! (LifeKeeper runs `ACTION -t TAG -i ID`), LifeKeeper's `canextend` and
//! `extend` hooks likewise, or `lkroute53 COMMAND ...`. It only translates:
//! the command line in, one procedure run, one exit status out.

#![forbid(unsafe_code)]

#[path = "../actions/mod.rs"]
mod actions;

use lkroute53::cli::{self, Command};
use lkroute53::context::Ctx;

fn main() {
    let command = cli::parse(std::env::args_os().collect());
    if let Command::Man { dir } = &command {
        std::process::exit(i32::from(cli::man(dir).code()));
    }
    let (name, tag, common) = command.describe();
    if common.verbose {
        cli::init_debug();
    }
    let mut ctx = Ctx::new(name, &tag);
    ctx.dry_run = common.dry_run;
    if matches!(&command, Command::Doctor(a) if a.capture.is_some()) {
        ctx.lcd = ctx.lcd.recording();
    }
    let passes = name == cli::QUICK_CHECK;
    let status = lkroute53::runtime::run(&ctx, passes, actions::run(&ctx, &command));
    let _ = std::io::Write::flush(&mut std::io::stdout());
    std::process::exit(i32::from(status.code()))
}
