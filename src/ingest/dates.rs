//! Date parsing for the formats Korean exports actually contain. Dates without a zone are read in
//! the configured zone (Asia/Seoul by default), because that is where the customers wrote them.

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use once_cell::sync::Lazy;
use regex::Regex;

pub const DEFAULT_TZ: Tz = chrono_tz::Asia::Seoul;

static KOREAN_DATE: Lazy<Regex> = Lazy::new(|| {
    Regex::new(
        r"^(\d{2,4})\s*년\s*(\d{1,2})\s*월\s*(\d{1,2})\s*일(?:\s*(오전|오후)?\s*(\d{1,2})\s*시(?:\s*(\d{1,2})\s*분)?)?$",
    )
    .unwrap()
});

/// A weekday in parentheses after the date, as Korean sites print it: `2024-03-05(화)`.
static WEEKDAY: Lazy<Regex> =
    Lazy::new(|| Regex::new(r"\s*\((?:[월화수목금토일]|[A-Za-z]{3})\)").unwrap());

/// A date, then a time after a space or `T`: `14:30`, `14:30:00.123`, `오후 2:30:00` (the
/// Korean Excel and Sheets default), `오후 2시 30분`, `2 PM`.
static DATE_THEN_TIME: Lazy<Regex> = Lazy::new(|| {
    Regex::new(
        r"^(.+?)\.?(?:\s+|T)(?:(오전|오후|AM|PM|am|pm)\s*)?(\d{1,2})(?::(\d{2})(?::(\d{2})(?:\.\d+)?)?|\s*시(?:\s*(\d{1,2})\s*분)?)\s*(AM|PM|am|pm)?$",
    )
    .unwrap()
});

/// Parses a timestamp; `None` means the value is not a date we understand (the caller
/// quarantines the record and names the field).
pub fn parse_datetime(raw: &str, tz: Tz) -> Option<DateTime<Utc>> {
    let cleaned = WEEKDAY.replace_all(raw.trim(), "");
    let s = cleaned.trim();
    if s.is_empty() {
        return None;
    }
    if let Ok(dt) = DateTime::parse_from_rfc3339(s) {
        return Some(dt.with_timezone(&Utc));
    }
    for fmt in [
        "%Y-%m-%d %H:%M:%S%z",
        "%Y-%m-%dT%H:%M:%S%.f%z",
        "%Y-%m-%d %H:%M:%S %z",
        "%Y-%m-%dT%H:%M%z",
        "%Y-%m-%d %H:%M%z",
    ] {
        if let Ok(dt) = DateTime::parse_from_str(s, fmt) {
            return Some(dt.with_timezone(&Utc));
        }
    }
    if s.bytes().all(|b| b.is_ascii_digit()) {
        // 8 digits is a compact date (20240305), not seconds in 1970.
        return if s.len() == 8 {
            parse_date(s).map(|d| {
                tz.from_local_datetime(&d.and_time(NaiveTime::MIN))
                    .earliest()
                    .map(|d| d.with_timezone(&Utc))
            })?
        } else {
            epoch(s)
        };
    }
    if let Some(naive) = parse_naive(s) {
        return tz
            .from_local_datetime(&naive)
            .earliest()
            .map(|d| d.with_timezone(&Utc));
    }
    None
}

fn epoch(s: &str) -> Option<DateTime<Utc>> {
    let n: i64 = s.parse().ok()?;
    let secs = if s.len() >= 13 { n / 1000 } else { n };
    // Plausible feedback dates only: 2000-01-01 .. 2100-01-01.
    if !(946_684_800..4_102_444_800).contains(&secs) {
        return None;
    }
    DateTime::from_timestamp(secs, 0)
}

fn parse_naive(s: &str) -> Option<NaiveDateTime> {
    const DATETIME: &[&str] = &[
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y/%m/%d %H:%M:%S",
        "%Y/%m/%d %H:%M",
        "%Y.%m.%d %H:%M:%S",
        "%Y.%m.%d %H:%M",
        "%Y. %m. %d. %H:%M",
    ];
    for fmt in DATETIME {
        if let Ok(dt) = NaiveDateTime::parse_from_str(s, fmt) {
            return Some(dt);
        }
    }
    parse_date(s)
        .map(|d| d.and_time(NaiveTime::MIN))
        .or_else(|| korean(s))
        .or_else(|| date_then_time(s))
}

fn date_then_time(s: &str) -> Option<NaiveDateTime> {
    let c = DATE_THEN_TIME.captures(s)?;
    let date = parse_date(&c[1]).or_else(|| korean(&c[1]).map(|d| d.date()))?;
    let mut hour: u32 = c[3].parse().ok()?;
    let minute: u32 = c
        .get(4)
        .or(c.get(6))
        .map_or(Some(0), |m| m.as_str().parse().ok())?;
    let second: u32 = c.get(5).map_or(Some(0), |m| m.as_str().parse().ok())?;
    match c.get(2).or(c.get(7)).map(|m| m.as_str().to_lowercase()) {
        Some(p) if (p == "오후" || p == "pm") && hour < 12 => hour += 12,
        Some(p) if (p == "오전" || p == "am") && hour == 12 => hour = 0,
        _ => {}
    }
    date.and_hms_opt(hour, minute, second)
}

/// Calendar dates: ISO, dotted (`2024.03.05`, `24.03.05`, `2024. 3. 5.`), slashed, compact.
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    let s = s.trim().trim_end_matches('.');
    const DATE: &[&str] = &["%Y-%m-%d", "%Y.%m.%d", "%Y/%m/%d", "%Y. %m. %d", "%Y%m%d"];
    for fmt in DATE {
        if let Ok(d) = NaiveDate::parse_from_str(s, fmt) {
            if (1990..2100).contains(&chrono::Datelike::year(&d)) {
                return Some(d);
            }
        }
    }
    // Two-digit years (`24.03.05`, NSMC style) are 20xx.
    for fmt in ["%y.%m.%d", "%y-%m-%d", "%y/%m/%d"] {
        if let Ok(d) = NaiveDate::parse_from_str(s, fmt) {
            return Some(d);
        }
    }
    None
}

fn korean(s: &str) -> Option<NaiveDateTime> {
    let c = KOREAN_DATE.captures(s)?;
    let mut year: i32 = c[1].parse().ok()?;
    if c[1].len() == 2 {
        year += 2000;
    }
    let date = NaiveDate::from_ymd_opt(year, c[2].parse().ok()?, c[3].parse().ok()?)?;
    let mut hour: u32 = c.get(5).map_or(Some(0), |m| m.as_str().parse().ok())?;
    match c.get(4).map(|m| m.as_str()) {
        Some("오후") if hour < 12 => hour += 12,
        Some("오전") if hour == 12 => hour = 0,
        _ => {}
    }
    let minute: u32 = c.get(6).map_or(Some(0), |m| m.as_str().parse().ok())?;
    date.and_hms_opt(hour, minute, 0)
}

pub fn parse_tz(name: &str) -> Option<Tz> {
    name.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kst(s: &str) -> String {
        parse_datetime(s, DEFAULT_TZ)
            .map(|d| {
                d.with_timezone(&DEFAULT_TZ)
                    .format("%Y-%m-%d %H:%M")
                    .to_string()
            })
            .unwrap_or_else(|| "none".into())
    }

    #[test]
    fn formats_seen_in_korean_exports() {
        assert_eq!(kst("2024-03-05T14:00:00+09:00"), "2024-03-05 14:00");
        assert_eq!(kst("2024-03-05T05:00:00Z"), "2024-03-05 14:00");
        assert_eq!(kst("2024-03-05 14:00"), "2024-03-05 14:00");
        assert_eq!(kst("2024.03.05"), "2024-03-05 00:00");
        assert_eq!(kst("24.03.05"), "2024-03-05 00:00");
        assert_eq!(kst("2024년 3월 5일"), "2024-03-05 00:00");
        assert_eq!(kst("2024년 3월 5일 오후 2시 30분"), "2024-03-05 14:30");
        assert_eq!(kst("2024. 3. 5."), "2024-03-05 00:00");
        assert_eq!(kst("1709614800"), "2024-03-05 14:00");
        assert_eq!(kst("1709614800000"), "2024-03-05 14:00");
    }

    /// Regression: these were quarantined as "cannot read date" (found by an audit session).
    #[test]
    fn times_and_weekdays_as_spreadsheets_and_sites_write_them() {
        assert_eq!(kst("2024-03-05T14:00"), "2024-03-05 14:00");
        assert_eq!(kst("2024-03-05T14:00+09:00"), "2024-03-05 14:00");
        assert_eq!(kst("2024-03-05 14:00:00.123"), "2024-03-05 14:00");
        assert_eq!(kst("2024. 3. 5. 오후 2:30:00"), "2024-03-05 14:30");
        assert_eq!(kst("2024. 3. 5. 오전 12:10:00"), "2024-03-05 00:10");
        assert_eq!(kst("2024년 3월 5일 14:30"), "2024-03-05 14:30");
        assert_eq!(kst("2024-03-05 오후 2시"), "2024-03-05 14:00");
        assert_eq!(kst("2024/03/05 2:30 PM"), "2024-03-05 14:30");
        assert_eq!(kst("20240305"), "2024-03-05 00:00");
        assert_eq!(kst("2024-03-05(화)"), "2024-03-05 00:00");
        assert_eq!(kst("2024.03.05 (화) 09:15"), "2024-03-05 09:15");
        for bad in [
            "2024-03-05 25:00",
            "2024-03-05 오후",
            "99999999",
            "2024-03-05 14:61",
        ] {
            assert_eq!(kst(bad), "none", "{bad}");
        }
    }

    #[test]
    fn naive_dates_are_read_in_the_configured_zone() {
        let utc = parse_datetime("2024-03-05 09:00", chrono_tz::UTC).unwrap();
        let seoul = parse_datetime("2024-03-05 09:00", DEFAULT_TZ).unwrap();
        assert_eq!((utc - seoul).num_hours(), 9);
    }

    #[test]
    fn garbage_is_not_a_date() {
        for bad in ["", "어제", "2024-13-01", "2024.02.30", "12", "N/A"] {
            assert_eq!(kst(bad), "none", "{bad}");
        }
    }
}
