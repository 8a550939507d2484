//! `fake-upstream`: the fake provider as a standalone server, for the benchmark and manual runs.
//!
//! Usage: `fake-upstream [--host 127.0.0.1] [--port 9999] [--latency-ms N] [--chunks N]
//! [--chunk-delay-ms N] [--embed-dim N] [--threads N] [--record | --no-record]`.
//! Requests are not recorded by default here: nobody can read them from outside, and a long
//! benchmark run must not grow memory.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use anyhow::{Context as _, bail};
use gomodel_fake_upstream::{FakeOptions, FakeUpstream};

struct Args {
    host: IpAddr,
    port: u16,
    threads: usize,
    options: FakeOptions,
}

fn parse_args(mut args: impl Iterator<Item = String>) -> anyhow::Result<Args> {
    let mut parsed = Args {
        host: IpAddr::V4(Ipv4Addr::LOCALHOST),
        port: 9999,
        threads: 1,
        options: FakeOptions {
            record: false,
            ..FakeOptions::default()
        },
    };
    while let Some(flag) = args.next() {
        let mut value = || args.next().with_context(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--host" => parsed.host = value()?.parse().context("--host")?,
            "--port" => parsed.port = value()?.parse().context("--port")?,
            "--threads" => parsed.threads = value()?.parse().context("--threads")?,
            "--latency-ms" => parsed.options.latency = millis(&value()?)?,
            "--chunk-delay-ms" => parsed.options.chunk_delay = millis(&value()?)?,
            "--chunks" => {
                parsed.options.stream_chunks = Some(value()?.parse().context("--chunks")?)
            }
            "--embed-dim" => parsed.options.embed_dim = value()?.parse().context("--embed-dim")?,
            "--record" => parsed.options.record = true,
            "--no-record" => parsed.options.record = false,
            other => bail!("unknown argument {other:?} (see the module docs of src/main.rs)"),
        }
    }
    if parsed.threads == 0 {
        bail!("--threads must be at least 1");
    }
    Ok(parsed)
}

fn millis(text: &str) -> anyhow::Result<Duration> {
    Ok(Duration::from_millis(text.parse().context("milliseconds")?))
}

fn main() -> anyhow::Result<()> {
    let args = parse_args(std::env::args().skip(1))?;
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(args.threads)
        .enable_all()
        .build()?
        .block_on(serve(args))
}

// The one line on stdout is the interface: the benchmark waits for it to know the port is open.
#[allow(clippy::print_stdout)]
async fn serve(args: Args) -> anyhow::Result<()> {
    let fake = FakeUpstream::bind(SocketAddr::new(args.host, args.port), args.options).await?;
    println!("fake-upstream listening on {}", fake.base_url());
    fake.join().await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> anyhow::Result<Args> {
        parse_args(args.iter().map(|a| (*a).to_owned()))
    }

    #[test]
    fn defaults_serve_loopback_9999_without_recording() {
        let args = parse(&[]).unwrap();
        assert_eq!(args.host, IpAddr::V4(Ipv4Addr::LOCALHOST));
        assert_eq!((args.port, args.threads), (9999, 1));
        assert!(!args.options.record);
        assert_eq!(args.options.stream_chunks, None);
    }

    #[test]
    fn every_flag_is_read() {
        let args = parse(&[
            "--host",
            "0.0.0.0",
            "--port",
            "8080",
            "--threads",
            "2",
            "--latency-ms",
            "5",
            "--chunks",
            "20",
            "--chunk-delay-ms",
            "7",
            "--embed-dim",
            "8",
            "--record",
        ])
        .unwrap();
        assert_eq!(args.host, IpAddr::V4(Ipv4Addr::UNSPECIFIED));
        assert_eq!((args.port, args.threads), (8080, 2));
        assert_eq!(args.options.latency, Duration::from_millis(5));
        assert_eq!(args.options.chunk_delay, Duration::from_millis(7));
        assert_eq!(args.options.stream_chunks, Some(20));
        assert_eq!(args.options.embed_dim, 8);
        assert!(args.options.record);
    }

    #[test]
    fn bad_arguments_are_errors() {
        assert!(parse(&["--port"]).is_err());
        assert!(parse(&["--port", "x"]).is_err());
        assert!(parse(&["--threads", "0"]).is_err());
        assert!(parse(&["--what"]).is_err());
    }
}
