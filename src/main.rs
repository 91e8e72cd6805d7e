//! The `hbsim` binary: parses the command line, calls the library, prints results, and maps
//! errors to messages and exit codes (the only place that prints errors).

mod assess_cli;
mod cli;

use clap::Parser;
use std::io::Write;

fn main() {
    let args = cli::Args::parse();
    hbsim::interrupt::install();
    let mut stdout = std::io::stdout().lock();
    let code = match cli::execute(args, &mut stdout) {
        Ok(code) => code,
        Err(cli::Failure::Hbsim(error)) => {
            let _ = stdout.flush();
            eprintln!("hbsim: error: {error}");
            error.exit_code()
        }
        // `hbsim … | head`: the reader went away; that is not an error.
        Err(cli::Failure::BrokenPipe) => 0,
    };
    let _ = stdout.flush();
    std::process::exit(code);
}
