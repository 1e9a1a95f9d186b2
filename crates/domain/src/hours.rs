//! Office hours and business-time arithmetic.
//!
//! A [`BusinessCalendar`] is a practice's (or a department's) weekly opening
//! hours, its closures (holidays, whole days), and its IANA time zone. Hours
//! are civil times in that zone, so "8:00 AM" stays 8:00 AM across daylight
//! saving changes. Everything here is a pure function of the calendar and
//! the instants passed in; the tz database is compiled into `jiff`, so no
//! file is read.

use crate::time::{Span, Timestamp};
use jiff::civil::{Date, Weekday};
use jiff::tz::TimeZone;
use std::fmt;

/// Minutes in a civil day: a period may close at 1440 (midnight).
pub const MINUTES_PER_DAY: u16 = 1440;

/// How far ahead we look for the next opening before giving up: a calendar
/// that is closed for this long has, for our purposes, no business time.
const HORIZON_DAYS: i32 = 400;

/// Why hours or closures were refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HoursError {
    /// A weekday outside 1 (Monday) to 7 (Sunday).
    Weekday,
    /// Opening must be before closing, both within the day.
    Period,
    /// Two periods of one day overlap.
    Overlap,
    /// A closure must end on or after its first day and last at most a year.
    Closure,
    /// Not a time zone the tz database knows.
    TimeZone,
}

impl fmt::Display for HoursError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            HoursError::Weekday => "weekday must be 1 (Monday) to 7 (Sunday)",
            HoursError::Period => "each period must open before it closes, between 00:00 and 24:00",
            HoursError::Overlap => "periods on the same day must not overlap",
            HoursError::Closure => "a closure must end on or after its first day and last at most 366 days",
            HoursError::TimeZone => "must be an IANA time zone name, such as America/New_York",
        })
    }
}

impl std::error::Error for HoursError {}

/// One opening period: ISO weekday (1 = Monday) and minutes after local
/// midnight, closing strictly after opening.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct Period {
    weekday: u8,
    opens: u16,
    closes: u16,
}

impl Period {
    pub fn new(weekday: u8, opens: u16, closes: u16) -> Result<Self, HoursError> {
        if !(1..=7).contains(&weekday) {
            return Err(HoursError::Weekday);
        }
        if opens >= closes || closes > MINUTES_PER_DAY {
            return Err(HoursError::Period);
        }
        Ok(Period { weekday, opens, closes })
    }
    pub const fn weekday(self) -> u8 {
        self.weekday
    }
    pub const fn opens(self) -> u16 {
        self.opens
    }
    pub const fn closes(self) -> u16 {
        self.closes
    }
}

/// A week of opening periods, sorted, none overlapping.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WeeklyHours {
    periods: Vec<Period>,
}

impl WeeklyHours {
    pub fn new(mut periods: Vec<Period>) -> Result<Self, HoursError> {
        periods.sort();
        for pair in periods.windows(2) {
            if let [a, b] = pair
                && a.weekday == b.weekday
                && b.opens < a.closes
            {
                return Err(HoursError::Overlap);
            }
        }
        Ok(WeeklyHours { periods })
    }
    pub fn periods(&self) -> &[Period] {
        &self.periods
    }
    pub fn is_empty(&self) -> bool {
        self.periods.is_empty()
    }
    fn on(&self, weekday: u8) -> impl Iterator<Item = &Period> {
        self.periods.iter().filter(move |p| p.weekday == weekday)
    }
}

/// Whole local days on which the practice is closed, first to last
/// inclusive (a holiday, a closure for training).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct Closure {
    first: Date,
    last: Date,
}

impl Closure {
    pub fn new(first: Date, last: Date) -> Result<Self, HoursError> {
        let days = first.until(last).map_err(|_| HoursError::Closure)?.get_days();
        if last < first || days > 366 {
            return Err(HoursError::Closure);
        }
        Ok(Closure { first, last })
    }
    pub const fn first(self) -> Date {
        self.first
    }
    pub const fn last(self) -> Date {
        self.last
    }
    pub fn contains(self, day: Date) -> bool {
        self.first <= day && day <= self.last
    }
}

/// Parses a `YYYY-MM-DD` civil date.
pub fn parse_date(text: &str) -> Result<Date, HoursError> {
    if text.len() != 10 {
        return Err(HoursError::Closure);
    }
    text.parse::<Date>().map_err(|_| HoursError::Closure)
}

/// Looks up an IANA time zone in the compiled-in tz database.
pub fn time_zone(name: &str) -> Result<TimeZone, HoursError> {
    if name.is_empty() || name.len() > 64 {
        return Err(HoursError::TimeZone);
    }
    jiff::tz::db().get(name).map_err(|_| HoursError::TimeZone)
}

/// When a practice is open, in its own time zone.
#[derive(Clone, Debug)]
pub struct BusinessCalendar {
    zone: TimeZone,
    hours: WeeklyHours,
    closures: Vec<Closure>,
}

impl BusinessCalendar {
    pub fn new(zone: TimeZone, hours: WeeklyHours, mut closures: Vec<Closure>) -> Self {
        closures.sort();
        BusinessCalendar { zone, hours, closures }
    }

    pub fn zone(&self) -> &TimeZone {
        &self.zone
    }

    /// The local date at an instant.
    pub fn local_date(&self, t: Timestamp) -> Date {
        to_jiff(t).to_zoned(self.zone.clone()).date()
    }

    pub fn is_closed_on(&self, day: Date) -> bool {
        self.closures.iter().any(|c| c.contains(day))
    }

    /// The opening intervals of one local day, as UTC instants, in order.
    /// A period whose times fall in a daylight-saving gap is shortened to
    /// the time that exists.
    fn day_intervals(&self, day: Date, out: &mut Vec<(Timestamp, Timestamp)>) {
        out.clear();
        if self.is_closed_on(day) {
            return;
        }
        let weekday = day.weekday().to_monday_one_offset();
        let weekday = u8::try_from(weekday).unwrap_or(0);
        for p in self.hours.on(weekday) {
            let (Some(start), Some(end)) = (self.instant(day, p.opens), self.instant(day, p.closes)) else {
                continue;
            };
            out.push((start, end));
        }
    }

    /// The instant of a local day and minute (1440 is the next midnight).
    /// Times in a gap resolve to the instant after it; repeated times to
    /// the first of the two.
    fn instant(&self, day: Date, minute: u16) -> Option<Timestamp> {
        let (day, minute) = if minute >= MINUTES_PER_DAY { (day.tomorrow().ok()?, 0) } else { (day, minute) };
        let hour = i8::try_from(minute / 60).ok()?;
        let min = i8::try_from(minute % 60).ok()?;
        let zoned = day.at(hour, min, 0, 0).to_zoned(self.zone.clone()).ok()?;
        Some(from_jiff(zoned.timestamp()))
    }

    /// Opening intervals that end after `from`, in time order, never
    /// overlapping, until no opening is found within the horizon.
    pub fn intervals_from(&self, from: Timestamp) -> Intervals<'_> {
        // A day's intervals may begin before its local midnight in UTC, so
        // start one day early; intervals ending before `from` are skipped.
        let day = self.local_date(from).yesterday().unwrap_or(self.local_date(from));
        Intervals { calendar: self, day, from, floor: from, buffer: Vec::new(), next: 0, empty_days: 0 }
    }

    /// Whether the practice is open at `t`.
    pub fn is_open(&self, t: Timestamp) -> bool {
        self.intervals_from(t).next().is_some_and(|(start, _)| start <= t)
    }

    /// `t` itself if open, otherwise the next opening; `None` if the
    /// calendar has no opening within the horizon.
    pub fn next_open(&self, t: Timestamp) -> Option<Timestamp> {
        self.add(t, Span::from_micros(0))
    }

    /// The instant `business` of open time after `t`. A span that ends
    /// exactly at closing time ends then, not at the next opening.
    pub fn add(&self, t: Timestamp, business: Span) -> Option<Timestamp> {
        let mut remaining = business.as_micros().max(0);
        for (start, end) in self.intervals_from(t) {
            let start = start.max(t);
            let available = end.since(start).as_micros();
            if remaining <= available {
                return Some(start.plus(Span::from_micros(remaining)));
            }
            remaining -= available;
        }
        None
    }

    /// Open time between `a` and `b` (zero if `b` is not after `a`).
    pub fn between(&self, a: Timestamp, b: Timestamp) -> Span {
        let mut total = 0i64;
        if b <= a {
            return Span::from_micros(0);
        }
        for (start, end) in self.intervals_from(a) {
            if start >= b {
                break;
            }
            let (s, e) = (start.max(a), end.min(b));
            total = total.saturating_add(e.since(s).as_micros().max(0));
        }
        Span::from_micros(total)
    }

    /// A patient-facing label for an instant, relative to `now`: "today at
    /// 4:30 PM", "tomorrow at 8:00 AM", "Monday at 8:00 AM", or with the date
    /// when more than six days away.
    pub fn describe(&self, t: Timestamp, now: Timestamp) -> String {
        let zoned = to_jiff(t).to_zoned(self.zone.clone());
        let today = self.local_date(now);
        let time = zoned.strftime("%-I:%M %p").to_string();
        let day = zoned.date();
        let days = today.until(day).map(|s| s.get_days()).unwrap_or(i32::MAX);
        match days {
            0 => format!("today at {time}"),
            1 => format!("tomorrow at {time}"),
            2..=6 => format!("{} at {time}", weekday_name(day.weekday())),
            _ => format!("{} at {time}", zoned.strftime("%A, %B %-d")),
        }
    }
}

fn weekday_name(w: Weekday) -> &'static str {
    match w {
        Weekday::Monday => "Monday",
        Weekday::Tuesday => "Tuesday",
        Weekday::Wednesday => "Wednesday",
        Weekday::Thursday => "Thursday",
        Weekday::Friday => "Friday",
        Weekday::Saturday => "Saturday",
        Weekday::Sunday => "Sunday",
    }
}

/// See [`BusinessCalendar::intervals_from`].
pub struct Intervals<'a> {
    calendar: &'a BusinessCalendar,
    day: Date,
    from: Timestamp,
    /// Nothing yielded starts before this: keeps the output ordered and
    /// disjoint even where a zone's transitions reorder local times.
    floor: Timestamp,
    buffer: Vec<(Timestamp, Timestamp)>,
    next: usize,
    empty_days: i32,
}

impl Iterator for Intervals<'_> {
    type Item = (Timestamp, Timestamp);

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(&(start, end)) = self.buffer.get(self.next) {
                self.next += 1;
                let start = start.max(self.floor);
                if end <= start || end <= self.from {
                    continue;
                }
                self.floor = end;
                self.empty_days = 0;
                return Some((start, end));
            }
            if self.empty_days > HORIZON_DAYS {
                return None;
            }
            self.calendar.day_intervals(self.day, &mut self.buffer);
            self.next = 0;
            self.empty_days += 1;
            self.day = self.day.tomorrow().ok()?;
        }
    }
}

pub fn to_jiff(t: Timestamp) -> jiff::Timestamp {
    jiff::Timestamp::from_microsecond(t.as_micros()).unwrap_or(jiff::Timestamp::UNIX_EPOCH)
}

pub fn from_jiff(t: jiff::Timestamp) -> Timestamp {
    Timestamp::from_micros(t.as_microsecond())
}

#[cfg(test)]
mod tests;
