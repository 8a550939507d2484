//! Date ranges and time zones for the admin API: `days`, `start_date`, `end_date`
//! (`YYYY-MM-DD`, inclusive, in the caller's zone) and `X-GoModel-Timezone` (IANA name,
//! default UTC).

use http::HeaderMap;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use serde::Deserialize;

use super::bad_param;
use crate::error::GatewayError;

pub const TIMEZONE_HEADER: &str = "x-gomodel-timezone";

#[derive(Debug, Default, Deserialize)]
pub struct RangeQuery {
    pub days: Option<String>,
    pub start_date: Option<String>,
    pub end_date: Option<String>,
}

/// A resolved range: `[from_us, to_us)` in UTC microseconds, and the zone to group in.
#[derive(Debug, Clone)]
pub struct DateRange {
    pub from_us: i64,
    pub to_us: i64,
    pub zone: TimeZone,
}

impl DateRange {
    /// Defaults to the last 30 days (today included) in the caller's zone.
    pub fn resolve(query: &RangeQuery, headers: &HeaderMap) -> Result<Self, GatewayError> {
        let zone = zone(headers)?;
        let today = jiff::Timestamp::now()
            .to_zoned_datetime(zone.clone())
            .date();
        let end = match query.end_date.as_deref().filter(|s| !s.is_empty()) {
            Some(text) => parse_date("end_date", text)?,
            None => today,
        };
        let start = match (
            query.start_date.as_deref().filter(|s| !s.is_empty()),
            query.days.as_deref().filter(|s| !s.is_empty()),
        ) {
            (Some(text), _) => parse_date("start_date", text)?,
            (None, Some(days)) => {
                let days: i32 = days
                    .parse()
                    .ok()
                    .filter(|d| (1..=3660).contains(d))
                    .ok_or_else(|| {
                        bad_param(
                            "days",
                            format!(
                                "days must be a whole number between 1 and 3660 (got {days:?})"
                            ),
                        )
                    })?;
                end.checked_sub(jiff::Span::new().days(days - 1))
                    .map_err(|_| bad_param("days", "days reaches too far back"))?
            }
            (None, None) => end
                .checked_sub(jiff::Span::new().days(29))
                .map_err(|_| bad_param("days", "bad range"))?,
        };
        if start > end {
            return Err(bad_param("start_date", "start_date is after end_date"));
        }
        let from = start_of(start, &zone, "start_date")?;
        let to = start_of(
            end.tomorrow()
                .map_err(|_| bad_param("end_date", "end_date is out of range"))?,
            &zone,
            "end_date",
        )?;
        Ok(Self {
            from_us: from,
            to_us: to,
            zone,
        })
    }
}

fn zone(headers: &HeaderMap) -> Result<TimeZone, GatewayError> {
    match headers.get(TIMEZONE_HEADER).and_then(|v| v.to_str().ok()).map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(TimeZone::UTC),
        Some(name) => TimeZone::get(name).map_err(|_| {
            GatewayError::invalid_request("invalid_timezone", format!("unknown time zone {name:?} in X-GoModel-Timezone (use an IANA name such as Europe/Berlin)"))
        }),
    }
}

fn parse_date(param: &str, text: &str) -> Result<Date, GatewayError> {
    text.parse::<Date>().map_err(|_| {
        bad_param(
            param,
            format!("{param} must be a date like 2026-11-25 (got {text:?})"),
        )
    })
}

fn start_of(date: Date, zone: &TimeZone, param: &str) -> Result<i64, GatewayError> {
    let zoned = date
        .to_zoned_datetime(zone.clone())
        .map_err(|_| bad_param(param, "date out of range"))?;
    Ok(zoned.timestamp().as_microsecond())
}

/// The local calendar key of an instant for an interval.
pub fn bucket_key(ts_us: i64, zone: &TimeZone, interval: &str) -> String {
    let Ok(timestamp) = jiff::Timestamp::from_microsecond(ts_us) else {
        return String::new();
    };
    let date = timestamp.to_zoned_datetime(zone.clone()).date();
    match interval {
        "weekly" => {
            let week = date.iso_week_date();
            format!("{:04}-W{:02}", week.year(), week.week())
        }
        "monthly" => format!("{:04}-{:02}", date.year(), date.month()),
        "yearly" => format!("{:04}", date.year()),
        _ => date.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_and_buckets() {
        let mut headers = HeaderMap::new();
        headers.insert(TIMEZONE_HEADER, "Europe/Berlin".parse().unwrap());
        let query = RangeQuery {
            days: None,
            start_date: Some("2026-03-28".into()),
            end_date: Some("2026-03-29".into()),
        };
        let range = DateRange::resolve(&query, &headers).unwrap();
        // 2026-03-29 has 23 hours in Berlin (DST starts).
        assert_eq!(range.to_us - range.from_us, 47 * 3_600_000_000);
        let late_evening_utc = jiff::Timestamp::from_second(1_774_734_000).unwrap(); // 2026-03-28T22:00Z
        assert_eq!(
            bucket_key(late_evening_utc.as_microsecond(), &range.zone, "daily"),
            "2026-03-28"
        );
        assert_eq!(
            bucket_key(
                late_evening_utc.as_microsecond() + 3_600_000_000 * 2,
                &range.zone,
                "daily"
            ),
            "2026-03-29"
        );
        assert_eq!(bucket_key(0, &TimeZone::UTC, "weekly"), "1970-W01");
        assert_eq!(bucket_key(0, &TimeZone::UTC, "monthly"), "1970-01");
        headers.insert(TIMEZONE_HEADER, "Mars/Olympus".parse().unwrap());
        assert_eq!(
            DateRange::resolve(&RangeQuery::default(), &headers)
                .unwrap_err()
                .code
                .as_deref(),
            Some("invalid_timezone")
        );
        let bad = RangeQuery {
            days: Some("0".into()),
            ..RangeQuery::default()
        };
        assert_eq!(
            DateRange::resolve(&bad, &HeaderMap::new())
                .unwrap_err()
                .param
                .as_deref(),
            Some("days")
        );
    }
}
