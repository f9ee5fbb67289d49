//! The program LifeKeeper and operators run: `restore`, `remove`,
//! `quickCheck`, `recover` and `delete` by the name it is called under
//! (LifeKeeper runs `ACTION -t TAG -i ID`), LifeKeeper's `canextend` and
//! `extend` hooks likewise, or `lkroute53 COMMAND ...`. It only translates:
//! the command line in, one procedure run, one exit status out.

#![forbid(unsafe_code)]

use lkroute53::Program;

fn main() {
    let status = match lkroute53::parse(std::env::args_os().collect()) {
        Program::Run(command) => lkroute53::run(&command),
        Program::Manual(dir) => lkroute53::man(&dir),
    };
    let _ = std::io::Write::flush(&mut std::io::stdout());
    std::process::exit(i32::from(status.code()))
}
