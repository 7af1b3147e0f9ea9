//! `casebook serve`: build the site in memory, serve it on this machine, and
//! rebuild it whenever the archive changes (docs/serve.md).

use std::net::{SocketAddr, TcpListener};

use crate::cli::cmd::{today, Failure, Outcome};
use crate::cli::{GlobalArgs, ServeArgs};
use crate::output::serve::{self, rebuild::Builder, rebuild::Settings};
use crate::pipeline::Setup;

/// Serves the archive until the process is stopped; fails at once (exit 2) when
/// there is no archive or the address cannot be listened on.
pub fn run(global: &GlobalArgs, args: &ServeArgs) -> Result<Outcome, Failure> {
    let Setup { config, .. } = Setup::load(&global.root)?;
    let today = today(&args.today)?;
    let root = global.root.canonicalize().map_err(Failure::io(format!(
        "cannot read {}",
        global.root.display()
    )))?;
    let wanted = SocketAddr::new(args.bind, args.port);
    let listener =
        TcpListener::bind(wanted).map_err(Failure::io(format!("cannot listen on {wanted}")))?;
    let address = listener
        .local_addr()
        .map_err(Failure::io("cannot read the address listened on"))?;
    if !args.bind.is_loopback() {
        crate::core::say!(
            "warning: serving on {address}: other machines that reach it can read every page"
        );
    }
    let builder = Builder::new(Settings {
        root: root.clone(),
        profile: args.select.profile(),
        today,
        base_url: format!("http://{address}/"),
        color: global.stderr_color(),
        quiet: global.quiet,
        timings: args.timings,
    });
    serve::serve(listener, address, builder, &root.join(&config.output_dir))?;
    Ok(Outcome::Clean)
}
