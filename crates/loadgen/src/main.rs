//! `loadgen`: parses the command line, runs the load on a tokio runtime with the requested number
//! of worker threads, and prints the JSON report on stdout. See `args::USAGE` for the flags.

use std::process::ExitCode;

use anyhow::Context as _;
use gomodel_loadgen::args::{Parsed, USAGE, parse_args};

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("loadgen: {error:#}");
            ExitCode::from(2)
        }
    }
}

fn run() -> anyhow::Result<()> {
    let config = match parse_args(std::env::args().skip(1)) {
        Ok(Parsed::Run(config)) => config,
        Ok(Parsed::Help) => {
            emit(USAGE);
            return Ok(());
        }
        Err(error) => return Err(error.context(format!("bad arguments\n\n{USAGE}"))),
    };
    // One thread: a current-thread runtime, so the tasks never pay for work stealing.
    let mut builder = if config.threads == 1 {
        tokio::runtime::Builder::new_current_thread()
    } else {
        let mut builder = tokio::runtime::Builder::new_multi_thread();
        builder.worker_threads(config.threads);
        builder
    };
    let runtime = builder
        .enable_all()
        .build()
        .context("starting the tokio runtime")?;
    let report = runtime.block_on(gomodel_loadgen::run(&config))?;
    emit(&serde_json::to_string(&report)?);
    Ok(())
}

/// The only writer to stdout: the report (or the usage text when asked for it).
#[expect(
    clippy::print_stdout,
    reason = "stdout carries the program's one output"
)]
fn emit(text: &str) {
    println!("{text}");
}
