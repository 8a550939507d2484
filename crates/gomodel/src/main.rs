//! `gomodel`: the gateway binary. A thin CLI over `gomodel_gateway`; no logic of its own.
//!
//! ```text
//! gomodel [serve] [--config FILE]   start the gateway (the default)
//! gomodel config [--config FILE]    print the effective configuration, secrets masked
//! gomodel version                   print the version
//! ```

use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use gomodel_gateway::config::{self, Config, LoadOptions};
use gomodel_gateway::{Gateway, logging};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const USAGE: &str = "usage: gomodel [serve|config|version|help] [--config FILE]

  serve     start the gateway (default); configured by environment variables,
            .env and an optional config/config.yaml or config.yaml
  config    print the effective configuration as JSON, every secret masked
  version   print the version

See docs/configuration.md for every variable.";

enum Command {
    Serve,
    PrintConfig,
    Version,
    Help,
}

struct Cli {
    command: Command,
    config_file: Option<PathBuf>,
}

fn parse_args(args: impl Iterator<Item = String>) -> anyhow::Result<Cli> {
    let mut command = None;
    let mut config_file = None;
    let mut args = args.peekable();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--config" | "-c" => {
                config_file = Some(PathBuf::from(
                    args.next().context("--config needs a file path")?,
                ))
            }
            s if s.starts_with("--config=") => {
                config_file = Some(PathBuf::from(&s["--config=".len()..]))
            }
            "serve" if command.is_none() => command = Some(Command::Serve),
            "config" if command.is_none() => command = Some(Command::PrintConfig),
            "version" | "--version" | "-V" if command.is_none() => command = Some(Command::Version),
            "help" | "--help" | "-h" => command = Some(Command::Help),
            other => bail!("unknown argument {other:?}\n\n{USAGE}"),
        }
    }
    Ok(Cli {
        command: command.unwrap_or(Command::Serve),
        config_file,
    })
}

fn load_config(config_file: Option<PathBuf>) -> anyhow::Result<Config> {
    let working_dir = std::env::current_dir().context("cannot read the working directory")?;
    let env = config::process_env(&working_dir).context("cannot read .env")?;
    let config = Config::load(
        &env,
        &LoadOptions {
            config_file,
            working_dir,
        },
    )?;
    Ok(config)
}

#[expect(clippy::print_stdout, reason = "the CLI's own output")]
fn main() -> ExitCode {
    let cli = match parse_args(std::env::args().skip(1)) {
        Ok(cli) => cli,
        Err(err) => {
            eprintln!("gomodel: {err}");
            return ExitCode::from(2);
        }
    };
    let result = match cli.command {
        Command::Help => {
            println!("{USAGE}");
            Ok(())
        }
        Command::Version => {
            println!("gomodel {}", env!("CARGO_PKG_VERSION"));
            Ok(())
        }
        Command::PrintConfig => load_config(cli.config_file).and_then(|config| {
            let text = serde_json::to_string_pretty(&config::effective_config(&config))?;
            println!("{text}");
            Ok(())
        }),
        Command::Serve => serve(cli.config_file),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("gomodel: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn serve(config_file: Option<PathBuf>) -> anyhow::Result<()> {
    let config = load_config(config_file)?;
    // Keep the guard until the end: dropping it flushes the buffered log lines.
    let _log_guard = logging::init(&config.logging);
    // Requests are served by worker threads (one runtime each); this runtime only runs signal
    // handling and background tasks.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async move {
        let addr = SocketAddr::from((Ipv4Addr::UNSPECIFIED, config.server.port));
        let workers = config.server.worker_threads;
        let gateway = Gateway::start_workers(config, addr, workers).await?;
        gateway.run_until_signal().await;
        anyhow::Ok(())
    })
}
