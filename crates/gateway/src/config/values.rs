//! Parsers for configuration values, shared by env vars and YAML keys so both accept the same
//! spellings and fail with the same messages.

use std::time::Duration;

/// A value that does not parse: the message names the variable, the value and what it accepts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid value for {key}: {value:?} (expected {expected})")]
pub struct ConfigError {
    pub key: String,
    pub value: String,
    pub expected: String,
}

impl ConfigError {
    pub fn new(key: &str, value: &str, expected: impl Into<String>) -> Self {
        Self {
            key: key.to_owned(),
            value: value.to_owned(),
            expected: expected.into(),
        }
    }
}

/// Booleans: `true`/`false`, `1`/`0`, `yes`/`no`, `on`/`off`, any case. Unlike GoModel (where
/// anything but `true`/`1` silently means false), a typo fails start-up.
pub fn parse_bool(key: &str, value: &str) -> Result<bool, ConfigError> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Ok(true),
        "false" | "0" | "no" | "off" => Ok(false),
        _ => Err(ConfigError::new(key, value, "true or false")),
    }
}

/// Durations: whole seconds (`600`) or Go duration syntax (`1m30s`, `500ms`, `1.5h`).
pub fn parse_duration(key: &str, value: &str) -> Result<Duration, ConfigError> {
    let text = value.trim();
    let err = || {
        ConfigError::new(
            key,
            value,
            "seconds (e.g. 600) or a duration such as 30s, 5m, 1h30m, 500ms",
        )
    };
    if let Ok(seconds) = text.parse::<u64>() {
        return Ok(Duration::from_secs(seconds));
    }
    if text.is_empty() {
        return Err(err());
    }
    let mut total = 0f64;
    let mut rest = text;
    while !rest.is_empty() {
        let number_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(err)?;
        if number_len == 0 {
            return Err(err());
        }
        let number: f64 = rest[..number_len].parse().map_err(|_| err())?;
        rest = &rest[number_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let seconds_per_unit = match &rest[..unit_len] {
            "ns" => 1e-9,
            "us" | "µs" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            _ => return Err(err()),
        };
        total += number * seconds_per_unit;
        rest = &rest[unit_len..];
    }
    Ok(Duration::from_secs_f64(total))
}

/// Smallest and largest accepted `BODY_SIZE_LIMIT` (GoModel's bounds).
pub const MIN_BODY_LIMIT: usize = 1024;
pub const MAX_BODY_LIMIT: usize = 100 * 1024 * 1024;

/// Sizes: raw bytes or a number with `K`, `M` or `G` (optionally followed by `B`; binary
/// multiples), case-insensitive, between 1 KiB and 100 MiB.
pub fn parse_size(key: &str, value: &str) -> Result<usize, ConfigError> {
    let err = || {
        ConfigError::new(
            key,
            value,
            "a size between 1K and 100M, such as 10M, 1024K, 500KB or 1048576",
        )
    };
    let text = value.trim().to_ascii_uppercase();
    let text = text.strip_suffix('B').unwrap_or(&text);
    let (digits, multiplier) = match text.chars().last() {
        Some('K') => (&text[..text.len() - 1], 1024),
        Some('M') => (&text[..text.len() - 1], 1024 * 1024),
        Some('G') => (&text[..text.len() - 1], 1024 * 1024 * 1024),
        _ => (text, 1),
    };
    let number: usize = digits.trim().parse().map_err(|_| err())?;
    let bytes = number.checked_mul(multiplier).ok_or_else(err)?;
    if !(MIN_BODY_LIMIT..=MAX_BODY_LIMIT).contains(&bytes) {
        return Err(err());
    }
    Ok(bytes)
}

pub fn parse_port(key: &str, value: &str) -> Result<u16, ConfigError> {
    match value.trim().parse::<u16>() {
        Ok(port) if port > 0 => Ok(port),
        _ => Err(ConfigError::new(
            key,
            value,
            "a TCP port number between 1 and 65535",
        )),
    }
}

/// `BASE_PATH`: `/` or a path like `/gateway` (leading slash added, trailing slash removed).
pub fn parse_base_path(key: &str, value: &str) -> Result<String, ConfigError> {
    let trimmed = value.trim().trim_matches('/');
    if trimmed.is_empty() {
        return Ok("/".to_owned());
    }
    let valid = trimmed.split('/').all(|segment| {
        !segment.is_empty()
            && segment != "."
            && segment != ".."
            && segment
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-._~".contains(c))
    });
    if !valid {
        return Err(ConfigError::new(
            key,
            value,
            "a URL path such as / or /gateway (letters, digits, - . _ ~)",
        ));
    }
    Ok(format!("/{trimmed}"))
}

/// Comma-separated list, trimmed, empty items dropped.
pub fn parse_list(value: &str) -> Vec<String> {
    value
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(
            parse_duration("T", "600").unwrap(),
            Duration::from_secs(600)
        );
        assert_eq!(
            parse_duration("T", "1m30s").unwrap(),
            Duration::from_secs(90)
        );
        assert_eq!(
            parse_duration("T", "500ms").unwrap(),
            Duration::from_millis(500)
        );
        assert_eq!(
            parse_duration("T", "1.5h").unwrap(),
            Duration::from_secs(5400)
        );
        for bad in ["", "ten", "5x", "s", "-1", "1m30"] {
            let err = parse_duration("HTTP_TIMEOUT", bad).unwrap_err();
            assert_eq!(err.key, "HTTP_TIMEOUT", "{bad}");
        }
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("B", "10M").unwrap(), 10 * 1024 * 1024);
        assert_eq!(parse_size("B", "1024k").unwrap(), 1024 * 1024);
        assert_eq!(parse_size("B", "500KB").unwrap(), 500 * 1024);
        assert_eq!(parse_size("B", "2048").unwrap(), 2048);
        assert_eq!(parse_size("B", "100MB").unwrap(), MAX_BODY_LIMIT);
        for bad in ["1G", "10", "abc", "5T", "", "-1M"] {
            assert!(parse_size("BODY_SIZE_LIMIT", bad).is_err(), "{bad}");
        }
        let message = parse_size("BODY_SIZE_LIMIT", "lots")
            .unwrap_err()
            .to_string();
        assert!(
            message.contains("BODY_SIZE_LIMIT") && message.contains("lots"),
            "{message}"
        );
    }

    #[test]
    fn bools_ports_and_paths() {
        assert!(parse_bool("X", "TRUE").unwrap());
        assert!(!parse_bool("X", "0").unwrap());
        assert!(parse_bool("X", "maybe").is_err());
        assert_eq!(parse_port("PORT", "8080").unwrap(), 8080);
        assert!(parse_port("PORT", "0").is_err() && parse_port("PORT", "70000").is_err());
        assert_eq!(parse_base_path("P", "gateway/").unwrap(), "/gateway");
        assert_eq!(parse_base_path("P", "/").unwrap(), "/");
        assert_eq!(parse_base_path("P", "/a/b").unwrap(), "/a/b");
        assert!(parse_base_path("P", "/a/../b").is_err() && parse_base_path("P", "/a b").is_err());
    }
}
