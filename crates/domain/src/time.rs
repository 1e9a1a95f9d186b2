//! Instants in UTC, stored as microseconds since the Unix epoch.
//!
//! Civil-date conversion uses Howard Hinnant's `days_from_civil` /
//! `civil_from_days` algorithms, so formatting and parsing RFC 3339 needs no
//! time-zone database and no I/O.

use std::fmt;

/// An instant, in microseconds since 1970-01-01T00:00:00Z.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(i64);

/// A span of time in microseconds (may be negative).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct Span(i64);

const MICROS_PER_SEC: i64 = 1_000_000;
const SECS_PER_DAY: i64 = 86_400;

/// Earliest and latest instants we accept from outside (years 1900 to 9999).
const MIN_MICROS: i64 = -2_208_988_800 * MICROS_PER_SEC;
const MAX_MICROS: i64 = 253_402_300_799 * MICROS_PER_SEC + 999_999;

impl Span {
    pub const fn from_secs(secs: i64) -> Self {
        Span(secs.saturating_mul(MICROS_PER_SEC))
    }
    pub const fn from_mins(mins: i64) -> Self {
        Span::from_secs(mins.saturating_mul(60))
    }
    pub const fn from_hours(hours: i64) -> Self {
        Span::from_secs(hours.saturating_mul(3600))
    }
    pub const fn from_micros(micros: i64) -> Self {
        Span(micros)
    }
    pub const fn as_micros(self) -> i64 {
        self.0
    }
    /// Whole seconds, rounded up: what a `Retry-After` header should say.
    pub const fn as_secs_ceil(self) -> i64 {
        let whole = self.0 / MICROS_PER_SEC;
        if self.0 % MICROS_PER_SEC > 0 { whole + 1 } else { whole }
    }
}

impl Timestamp {
    pub const UNIX_EPOCH: Timestamp = Timestamp(0);

    pub const fn from_micros(micros: i64) -> Self {
        Timestamp(micros)
    }
    pub const fn as_micros(self) -> i64 {
        self.0
    }
    pub const fn as_millis(self) -> i64 {
        self.0.div_euclid(1000)
    }
    pub const fn plus(self, span: Span) -> Self {
        Timestamp(self.0.saturating_add(span.0))
    }
    pub const fn minus(self, span: Span) -> Self {
        Timestamp(self.0.saturating_sub(span.0))
    }
    /// `self - earlier`.
    pub const fn since(self, earlier: Timestamp) -> Span {
        Span(self.0.saturating_sub(earlier.0))
    }

    /// RFC 3339 in UTC with microsecond precision, e.g.
    /// `2026-11-22T14:05:09.123456Z`.
    pub fn to_rfc3339(self) -> String {
        let secs = self.0.div_euclid(MICROS_PER_SEC);
        let micros = self.0.rem_euclid(MICROS_PER_SEC);
        let days = secs.div_euclid(SECS_PER_DAY);
        let sod = secs.rem_euclid(SECS_PER_DAY);
        let (y, m, d) = civil_from_days(days);
        format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{micros:06}Z", sod / 3600, (sod % 3600) / 60, sod % 60)
    }

    /// Parses RFC 3339 (`YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)`), or a bare
    /// date `YYYY-MM-DD` meaning midnight UTC.
    pub fn parse_rfc3339(text: &str) -> Result<Self, InvalidTimestamp> {
        let b = text.as_bytes();
        let date = parse_date(b.get(..10).ok_or(InvalidTimestamp)?)?;
        if b.len() == 10 {
            return Self::from_parts(date, 0, 0);
        }
        let rest = b.get(10..).ok_or(InvalidTimestamp)?;
        let (sep, rest) = rest.split_first().ok_or(InvalidTimestamp)?;
        if !matches!(sep, b'T' | b't' | b' ') {
            return Err(InvalidTimestamp);
        }
        let hh = two_digits(rest.get(0..2))?;
        let mm = two_digits(rest.get(3..5))?;
        let ss = two_digits(rest.get(6..8))?;
        if rest.get(2) != Some(&b':') || rest.get(5) != Some(&b':') || hh > 23 || mm > 59 || ss > 60 {
            return Err(InvalidTimestamp);
        }
        let ss = ss.min(59); // a leap second is folded into :59
        let mut rest = rest.get(8..).ok_or(InvalidTimestamp)?;
        let mut micros = 0i64;
        if let Some((b'.', frac)) = rest.split_first() {
            let digits = frac.iter().take_while(|c| c.is_ascii_digit()).count();
            if digits == 0 || digits > 9 {
                return Err(InvalidTimestamp);
            }
            let mut scale = 100_000i64;
            for c in frac.iter().take(digits.min(6)) {
                micros += i64::from(c - b'0') * scale;
                scale /= 10;
            }
            rest = frac.get(digits..).ok_or(InvalidTimestamp)?;
        }
        let offset_secs = match rest {
            [b'Z' | b'z'] => 0,
            [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
                let oh = two_digits(Some(&[*h1, *h2]))?;
                let om = two_digits(Some(&[*m1, *m2]))?;
                if oh > 23 || om > 59 {
                    return Err(InvalidTimestamp);
                }
                let off = oh * 3600 + om * 60;
                if *sign == b'+' { off } else { -off }
            }
            _ => return Err(InvalidTimestamp),
        };
        let sod = hh * 3600 + mm * 60 + ss - offset_secs;
        Self::from_parts(date, sod, micros)
    }

    fn from_parts(days: i64, secs_of_day: i64, micros: i64) -> Result<Self, InvalidTimestamp> {
        let micros = (days * SECS_PER_DAY + secs_of_day) * MICROS_PER_SEC + micros;
        if (MIN_MICROS..=MAX_MICROS).contains(&micros) { Ok(Timestamp(micros)) } else { Err(InvalidTimestamp) }
    }
}

impl fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rfc3339())
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rfc3339())
    }
}

/// The text was not an RFC 3339 date-time (or date) in years 1900–9999.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvalidTimestamp;

impl fmt::Display for InvalidTimestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("expected an RFC 3339 date-time such as 2026-01-31T09:30:00Z")
    }
}

impl std::error::Error for InvalidTimestamp {}

fn two_digits(b: Option<&[u8]>) -> Result<i64, InvalidTimestamp> {
    match b {
        Some([a, b]) if a.is_ascii_digit() && b.is_ascii_digit() => Ok(i64::from((a - b'0') * 10 + (b - b'0'))),
        _ => Err(InvalidTimestamp),
    }
}

fn parse_date(b: &[u8]) -> Result<i64, InvalidTimestamp> {
    let [y0, y1, y2, y3, b'-', m0, m1, b'-', d0, d1] = b else {
        return Err(InvalidTimestamp);
    };
    let year = two_digits(Some(&[*y0, *y1]))? * 100 + two_digits(Some(&[*y2, *y3]))?;
    let month = two_digits(Some(&[*m0, *m1]))?;
    let day = two_digits(Some(&[*d0, *d1]))?;
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return Err(InvalidTimestamp);
    }
    Ok(days_from_civil(year, month, day))
}

pub(crate) fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
pub(crate) fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Proleptic Gregorian date of a day count since 1970-01-01.
pub(crate) fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn known_instants() {
        assert_eq!(Timestamp::UNIX_EPOCH.to_rfc3339(), "1970-01-01T00:00:00.000000Z");
        let t = Timestamp::parse_rfc3339("2026-11-22T14:05:09.5Z").unwrap();
        assert_eq!(t.to_rfc3339(), "2026-11-22T14:05:09.500000Z");
        assert_eq!(Timestamp::parse_rfc3339("2026-11-22T09:05:09.5-05:00").unwrap(), t);
        assert_eq!(Timestamp::parse_rfc3339("2024-02-29").unwrap().to_rfc3339(), "2024-02-29T00:00:00.000000Z");
    }

    #[test]
    fn rejects_nonsense() {
        for bad in [
            "",
            "2026",
            "2026-13-01",
            "2025-02-29",
            "2026-01-01T25:00:00Z",
            "2026-01-01T10:00:00",
            "2026-01-01T10:00:00+5",
            "2026-01-01T10:00:00.Z",
            "0001-01-01T00:00:00Z",
            "2026-01-01x",
            "２０２６-01-01",
        ] {
            assert!(Timestamp::parse_rfc3339(bad).is_err(), "{bad}");
        }
    }

    proptest! {
        #[test]
        fn format_parse_round_trip(micros in MIN_MICROS..=MAX_MICROS) {
            let t = Timestamp::from_micros(micros);
            prop_assert_eq!(Timestamp::parse_rfc3339(&t.to_rfc3339()), Ok(t));
        }

        #[test]
        fn civil_round_trip(days in -800_000i64..3_000_000) {
            let (y, m, d) = civil_from_days(days);
            prop_assert!((1..=12).contains(&m));
            prop_assert!(d >= 1 && d <= days_in_month(y, m));
            prop_assert_eq!(days_from_civil(y, m, d), days);
        }

        #[test]
        fn parse_never_panics(s in ".{0,40}") {
            let _ = Timestamp::parse_rfc3339(&s);
        }
    }
}

/// A calendar date with no time of day or zone (a date of birth).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CivilDate {
    year: i64,
    month: i64,
    day: i64,
}

impl CivilDate {
    /// Parses `YYYY-MM-DD` (years 1900–9999).
    pub fn parse(text: &str) -> Result<Self, InvalidTimestamp> {
        let days = parse_date(text.as_bytes())?;
        let (year, month, day) = civil_from_days(days);
        if !(1900..=9999).contains(&year) {
            return Err(InvalidTimestamp);
        }
        Ok(CivilDate { year, month, day })
    }

    /// A date from its parts, if it exists (years 1900–9999).
    pub fn from_ymd(year: i64, month: i64, day: i64) -> Option<Self> {
        let ok =
            (1900..=9999).contains(&year) && (1..=12).contains(&month) && day >= 1 && day <= days_in_month(year, month);
        ok.then_some(CivilDate { year, month, day })
    }

    pub const fn year(self) -> i64 {
        self.year
    }
    pub const fn month(self) -> i64 {
        self.month
    }
    pub const fn day(self) -> i64 {
        self.day
    }
}

impl fmt::Display for CivilDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl fmt::Debug for CivilDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Dates of birth are PHI.
        f.write_str("CivilDate(<redacted>)")
    }
}

#[cfg(test)]
mod civil_date_tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(CivilDate::parse("1984-02-29").unwrap().to_string(), "1984-02-29");
        assert!(CivilDate::parse("1985-02-29").is_err());
        assert!(CivilDate::parse("1850-01-01").is_err());
        assert!(CivilDate::parse("1984-2-9").is_err());
    }
}
