//! Command-line parsing for `loadgen`, by hand: clap would cost more build time than the whole
//! generator, and the flag set is small and flat.

use std::time::Duration;

use anyhow::{Context as _, bail};
use bytes::Bytes;
use http::header::{HeaderName, HeaderValue};
use http::{Method, Uri};

/// Printed for `--help` and after a usage error.
pub const USAGE: &str = "\
usage: loadgen --url URL [options]

  --url URL              http:// URL to load (no TLS)
  --method METHOD        request method (default: POST with a body, else GET)
  --body STRING          request body
  --body-file PATH       request body read from a file
  --header 'Name: value' extra request header (repeatable; also -H).
                         A body without a content-type header is sent as application/json.
  --concurrency N        connections, one task each (default 1; also -c)
  --duration SECS        measured period (default 5; also -d)
  --warmup SECS          load before the measured period, not recorded (default 0)
  --rate R               open loop: R requests/s in total, spread over the connections,
                         coordinated-omission corrected
  --requests N           closed loop: stop after exactly N measured requests (ignores --duration; also -n)
  --stream               SSE mode: time to first byte, total time, events per stream, [DONE] check
  --threads T            tokio worker threads (default 1; also -t)
  --timeout SECS         per-request timeout, counted as an error (default 30)

Prints one JSON object on stdout; progress and errors go to stderr.";

/// Everything one run needs, validated.
#[derive(Debug, Clone)]
pub struct Config {
    /// Absolute `http://` URL: scheme, authority and path are all present.
    pub url: Uri,
    pub method: Method,
    /// Pre-built once: each request clones it, which only bumps a reference count.
    pub body: Bytes,
    /// In command-line order; `Host` and a default `content-type` are added when the request
    /// template is built (see `client::Target`).
    pub headers: Vec<(HeaderName, HeaderValue)>,
    pub concurrency: usize,
    pub duration: Duration,
    pub warmup: Duration,
    /// Open loop when set: total requests per second over all connections.
    pub rate: Option<f64>,
    /// Closed loop with an exact measured request count (for deterministic profiler runs).
    pub requests: Option<u64>,
    pub stream: bool,
    pub threads: usize,
    pub timeout: Duration,
}

/// What the command line asked for.
#[derive(Debug)]
pub enum Parsed {
    Run(Box<Config>),
    Help,
}

/// Parses the arguments after the program name. Flags take their value as the next argument or
/// after `=` (`--rate=100`).
pub fn parse_args(args: impl IntoIterator<Item = String>) -> anyhow::Result<Parsed> {
    let mut url: Option<String> = None;
    let mut method: Option<String> = None;
    let mut body: Option<Bytes> = None;
    let mut headers = Vec::new();
    let mut concurrency = 1usize;
    let mut duration = Duration::from_secs(5);
    let mut warmup = Duration::ZERO;
    let mut rate: Option<f64> = None;
    let mut requests: Option<u64> = None;
    let mut stream = false;
    let mut threads = 1usize;
    let mut timeout = Duration::from_secs(30);

    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        // `--flag=value` and `--flag value` are both accepted; short flags only the second way.
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => {
                (flag.to_owned(), Some(value.to_owned()))
            }
            _ => (arg, None),
        };
        let mut value = || take_value(&flag, inline.clone(), &mut args);
        match flag.as_str() {
            "-h" | "--help" => return Ok(Parsed::Help),
            "--url" => url = Some(value()?),
            "--method" | "-X" => method = Some(value()?),
            "--body" | "--body-file" if body.is_some() => {
                bail!("give the body once: --body or --body-file")
            }
            "--body" => body = Some(Bytes::from(value()?)),
            "--body-file" => {
                let path = value()?;
                let data =
                    std::fs::read(&path).with_context(|| format!("reading --body-file {path}"))?;
                body = Some(Bytes::from(data));
            }
            "--header" | "-H" => headers.push(parse_header(&value()?)?),
            "--concurrency" | "-c" => concurrency = parse_count(&flag, &value()?)?,
            "--duration" | "-d" => duration = parse_secs(&flag, &value()?)?,
            "--warmup" => warmup = parse_secs(&flag, &value()?)?,
            "--rate" => {
                let text = value()?;
                let parsed: f64 = text
                    .parse()
                    .with_context(|| format!("--rate: not a number: {text}"))?;
                if !(parsed.is_finite() && parsed > 0.0) {
                    bail!("--rate must be a positive number, got {text}");
                }
                rate = Some(parsed);
            }
            "--requests" | "-n" => requests = Some(parse_count(&flag, &value()?)?),
            "--stream" => {
                if inline.is_some() {
                    bail!("--stream takes no value");
                }
                stream = true;
            }
            "--threads" | "-t" => threads = parse_count(&flag, &value()?)?,
            "--timeout" => timeout = parse_secs(&flag, &value()?)?,
            other => bail!("unknown argument: {other}"),
        }
    }

    let url = parse_url(&url.context("--url is required")?)?;
    // A body implies POST unless told otherwise: that is the gateway's common case.
    let method = match method {
        Some(text) => Method::from_bytes(text.to_ascii_uppercase().as_bytes())
            .with_context(|| format!("--method: invalid method {text}"))?,
        None if body.is_some() => Method::POST,
        None => Method::GET,
    };
    if requests.is_some() && rate.is_some() {
        // An exact count is for deterministic profiling; an open loop is paced by time.
        bail!("--requests is closed loop only; it cannot be combined with --rate");
    }
    if requests.is_none() && duration.is_zero() {
        bail!("--duration must be positive");
    }
    if timeout.is_zero() {
        bail!("--timeout must be positive");
    }
    Ok(Parsed::Run(Box::new(Config {
        url,
        method,
        body: body.unwrap_or_default(),
        headers,
        concurrency,
        duration,
        warmup,
        rate,
        requests,
        stream,
        threads,
        timeout,
    })))
}

/// The value of `flag`: the part after `=` if there was one, else the next argument.
fn take_value(
    flag: &str,
    inline: Option<String>,
    rest: &mut impl Iterator<Item = String>,
) -> anyhow::Result<String> {
    inline
        .or_else(|| rest.next())
        .with_context(|| format!("{flag} needs a value"))
}

/// A positive integer (connections, threads, requests): zero would make the run meaningless.
fn parse_count<T>(flag: &str, text: &str) -> anyhow::Result<T>
where
    T: std::str::FromStr + PartialOrd + Default,
{
    match text.parse::<T>() {
        Ok(n) if n > T::default() => Ok(n),
        _ => bail!("{flag} must be a positive integer, got {text}"),
    }
}

/// Seconds as a float (`0.5`, `10`), not negative.
fn parse_secs(flag: &str, text: &str) -> anyhow::Result<Duration> {
    let secs: f64 = text
        .parse()
        .with_context(|| format!("{flag}: not a number of seconds: {text}"))?;
    Duration::try_from_secs_f64(secs)
        .with_context(|| format!("{flag}: invalid number of seconds: {text}"))
}

/// `Name: value`, split at the first colon; surrounding whitespace of the value is not sent.
fn parse_header(text: &str) -> anyhow::Result<(HeaderName, HeaderValue)> {
    let (name, value) = text
        .split_once(':')
        .with_context(|| format!("--header must look like 'Name: value', got {text}"))?;
    let name = HeaderName::from_bytes(name.trim().as_bytes())
        .with_context(|| format!("--header: invalid header name in {text}"))?;
    let value = HeaderValue::from_str(value.trim())
        .with_context(|| format!("--header: invalid header value in {text}"))?;
    Ok((name, value))
}

/// Only plain `http://host[:port][/path]`: the generator speaks HTTP/1.1 over TCP, no TLS.
fn parse_url(text: &str) -> anyhow::Result<Uri> {
    let url: Uri = text
        .parse()
        .with_context(|| format!("--url: invalid URL {text}"))?;
    match url.scheme_str() {
        Some("http") => {}
        Some("https") => {
            bail!("--url: https is not supported (loopback benchmarking only), got {text}")
        }
        _ => bail!("--url must start with http://, got {text}"),
    }
    if url.authority().is_none() {
        bail!("--url has no host: {text}");
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> anyhow::Result<Config> {
        match parse_args(args.iter().map(|s| (*s).to_owned()))? {
            Parsed::Run(config) => Ok(*config),
            Parsed::Help => bail!("unexpected help"),
        }
    }

    #[test]
    fn defaults() {
        let config = parse(&["--url", "http://127.0.0.1:8080/v1/models"]).unwrap();
        assert_eq!(config.method, Method::GET);
        assert!(config.body.is_empty());
        assert_eq!(config.concurrency, 1);
        assert_eq!(config.duration, Duration::from_secs(5));
        assert_eq!(config.warmup, Duration::ZERO);
        assert_eq!(config.rate, None);
        assert_eq!(config.requests, None);
        assert!(!config.stream);
        assert_eq!(config.threads, 1);
        assert_eq!(config.timeout, Duration::from_secs(30));
        assert_eq!(config.url.path(), "/v1/models");
    }

    #[test]
    fn all_flags() {
        let config = parse(&[
            "--url=http://localhost:9/v1/chat/completions",
            "--body",
            "{}",
            "--header",
            "Authorization: Bearer x ",
            "-H",
            "X-Test:1",
            "-c",
            "16",
            "--duration",
            "0.5",
            "--warmup=1.5",
            "--rate",
            "2500.5",
            "--stream",
            "--threads",
            "2",
            "--timeout",
            "0.25",
        ])
        .unwrap();
        assert_eq!(config.method, Method::POST, "a body implies POST");
        assert_eq!(&config.body[..], b"{}");
        assert_eq!(config.headers.len(), 2);
        assert_eq!(config.headers[0].0, "authorization");
        assert_eq!(config.headers[0].1, "Bearer x");
        assert_eq!(config.headers[1].1, "1");
        assert_eq!(config.concurrency, 16);
        assert_eq!(config.duration, Duration::from_millis(500));
        assert_eq!(config.warmup, Duration::from_millis(1500));
        assert_eq!(config.rate, Some(2500.5));
        assert!(config.stream);
        assert_eq!(config.threads, 2);
        assert_eq!(config.timeout, Duration::from_millis(250));
    }

    #[test]
    fn explicit_method_and_requests() {
        let config = parse(&["--url", "http://h/", "--method", "put", "-n", "200"]).unwrap();
        assert_eq!(config.method, Method::PUT);
        assert_eq!(config.requests, Some(200));
    }

    #[test]
    fn body_file() {
        let path = std::env::temp_dir().join(format!("loadgen-body-{}.json", std::process::id()));
        std::fs::write(&path, b"{\"a\":1}").unwrap();
        let config = parse(&["--url", "http://h/", "--body-file", path.to_str().unwrap()]).unwrap();
        std::fs::remove_file(&path).unwrap();
        assert_eq!(&config.body[..], b"{\"a\":1}");
        assert_eq!(config.method, Method::POST);
    }

    #[test]
    fn help() {
        assert!(matches!(
            parse_args(["--help".to_owned()]).unwrap(),
            Parsed::Help
        ));
    }

    #[test]
    fn rejects_bad_input() {
        for bad in [
            &[][..],
            &["--url", "https://h/"],
            &["--url", "h:80"],
            &["--url", "http://h/", "--concurrency", "0"],
            &["--url", "http://h/", "--threads", "-1"],
            &["--url", "http://h/", "--duration", "-1"],
            &["--url", "http://h/", "--duration", "0"],
            &["--url", "http://h/", "--rate", "0"],
            &["--url", "http://h/", "--rate", "inf"],
            &["--url", "http://h/", "--rate", "10", "--requests", "5"],
            &["--url", "http://h/", "--body", "a", "--body", "b"],
            &["--url", "http://h/", "--header", "no-colon"],
            &["--url", "http://h/", "--timeout", "0"],
            &["--url", "http://h/", "--stream=yes"],
            &["--url", "http://h/", "--bogus"],
            &["--url"],
        ] {
            assert!(parse(bad).is_err(), "accepted {bad:?}");
        }
    }

    #[test]
    fn requests_mode_allows_zero_duration() {
        let config = parse(&["--url", "http://h/", "--requests", "3", "--duration", "0"]).unwrap();
        assert_eq!(config.requests, Some(3));
    }
}
