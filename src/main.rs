//! The program LifeKeeper and operators run: `restore`, `remove`,
//! `quickCheck`, `recover` and `delete` by the name it is called under
//! (LifeKeeper runs `ACTION -t TAG -i ID`), LifeKeeper's `canextend` and
//! `extend` hooks likewise, `lkroute53 COMMAND ...`, or Pacemaker's resource
//! agent `route53 ACTION` (`/usr/lib/ocf/resource.d/lkroute53/route53`).
//! It only translates:
//! the command line in, one procedure run, one exit status out.

#![forbid(unsafe_code)]

use lkroute53::Program;

fn main() {
    let code = match lkroute53::parse(std::env::args_os().collect()) {
        Program::Run(command) => lkroute53::run(&command).code(),
        Program::Manual(dir) => lkroute53::man(&dir).code(),
        Program::Ocf(call) => lkroute53::ocf(&call).code(),
    };
    let _ = std::io::Write::flush(&mut std::io::stdout());
    std::process::exit(i32::from(code))
}
