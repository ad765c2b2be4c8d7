//! Weekly availability (a platform user's meeting hours in their own time zone) and the first
//! slot everybody can make: how the introductory meeting between a non-profit and its community
//! leader is timed. Pure functions; time zones through chrono-tz, so daylight saving is followed.

use crate::model::platform::{Availability, AvailabilityWindow};
use crate::values::Checks;
use chrono::{Datelike, TimeZone, Timelike};
use time::OffsetDateTime;

pub const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
pub const MAX_WINDOWS: usize = 21;
/// Slots start on these minute marks.
const STEP_MINUTES: i64 = 15;

/// `HH:MM` on a quarter hour (`24:00` allowed) → minutes since midnight.
fn minutes(s: &str) -> Option<u32> {
    let (h, m) = s.split_once(':')?;
    let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
    let ok = s.len() == 5 && (h < 24 && m < 60 || h == 24 && m == 0) && m % 15 == 0;
    ok.then_some(h * 60 + m)
}

/// Checks an availability, naming `field.timeZone`, `field.windows[i].start` … on errors.
pub fn validate(c: &mut Checks, field: &str, a: &Availability) -> Option<Availability> {
    let before = c.0.len();
    if a.time_zone.parse::<chrono_tz::Tz>().is_err() {
        c.push(format!("{field}.timeZone"), "is not an IANA time zone (for example Europe/Berlin)");
    }
    if a.windows.len() > MAX_WINDOWS {
        c.push(format!("{field}.windows"), format!("must have at most {MAX_WINDOWS} items"));
    }
    let mut windows = Vec::new();
    for (i, w) in a.windows.iter().enumerate().take(MAX_WINDOWS) {
        let day = w.day.trim().to_ascii_lowercase();
        if !DAYS.contains(&day.as_str()) {
            c.push(format!("{field}.windows[{i}].day"), "must be mon, tue, wed, thu, fri, sat or sun");
        }
        let (start, end) = (minutes(w.start.trim()), minutes(w.end.trim()));
        if start.is_none() || start == Some(24 * 60) {
            c.push(format!("{field}.windows[{i}].start"), "must be HH:MM on a quarter hour (00:00 to 23:45)");
        }
        match (start, end) {
            (_, None) => c.push(format!("{field}.windows[{i}].end"), "must be HH:MM on a quarter hour (up to 24:00)"),
            (Some(s), Some(e)) if e <= s => c.push(format!("{field}.windows[{i}].end"), "must be after start"),
            _ => {}
        }
        windows.push(AvailabilityWindow { day, start: w.start.trim().to_owned(), end: w.end.trim().to_owned() });
    }
    (c.0.len() == before).then(|| Availability { time_zone: a.time_zone.trim().to_owned(), windows })
}

/// Whether `[start, start + length)` lies inside one of the person's windows, read in their zone.
pub fn is_free(a: &Availability, start: OffsetDateTime, length_minutes: u32) -> bool {
    let Ok(tz) = a.time_zone.parse::<chrono_tz::Tz>() else { return false };
    let Some(local) = tz.timestamp_opt(start.unix_timestamp(), 0).single() else { return false };
    let day = DAYS[local.weekday().num_days_from_monday() as usize];
    let from = local.hour() * 60 + local.minute();
    let to = from + length_minutes;
    a.windows.iter().any(|w| {
        w.day == day && matches!((minutes(&w.start), minutes(&w.end)), (Some(s), Some(e)) if s <= from && to <= e)
    })
}

/// The first slot of `length_minutes`, starting at least `not_before`, on a quarter hour, within
/// `horizon_days`, that every one of `people` can make. `None` when there is none.
pub fn first_common_slot(
    not_before: OffsetDateTime,
    people: &[&Availability],
    length_minutes: u32,
    horizon_days: i64,
) -> Option<OffsetDateTime> {
    let step = STEP_MINUTES * 60;
    let first = (not_before.unix_timestamp() + step - 1).div_euclid(step) * step;
    let last = not_before.unix_timestamp() + horizon_days * 86_400;
    (0..)
        .map(|i| first + i * step)
        .take_while(|t| *t <= last)
        .filter_map(|t| OffsetDateTime::from_unix_timestamp(t).ok())
        .find(|t| people.iter().all(|a| is_free(a, *t, length_minutes)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn avail(tz: &str, windows: &[(&str, &str, &str)]) -> Availability {
        Availability {
            time_zone: tz.into(),
            windows: windows
                .iter()
                .map(|(d, s, e)| AvailabilityWindow { day: (*d).into(), start: (*s).into(), end: (*e).into() })
                .collect(),
        }
    }

    #[test]
    fn the_first_slot_both_sides_can_make_is_found_across_time_zones() {
        // Berlin (UTC+1 in December) Tuesday 14:00–16:00 = 13:00–15:00 UTC; New York (UTC-5)
        // Tuesday 09:00–11:00 = 14:00–16:00 UTC. Overlap 14:00–15:00 UTC: the first 30 minutes
        // start at 14:00 UTC on the first Tuesday after Monday 2026-11-30 09:00 UTC + 1 day.
        let leader = avail("Europe/Berlin", &[("tue", "14:00", "16:00")]);
        let member = avail("America/New_York", &[("tue", "09:00", "11:00"), ("fri", "09:00", "10:00")]);
        let from = datetime!(2026-12-01 09:00 UTC);
        assert_eq!(first_common_slot(from, &[&leader, &member], 30, 14), Some(datetime!(2026-12-01 14:00 UTC)));
        // Too late on that Tuesday: the next Tuesday.
        let late = datetime!(2026-12-01 14:31 UTC);
        assert_eq!(first_common_slot(late, &[&leader, &member], 30, 14), Some(datetime!(2026-12-08 14:00 UTC)));
        // A slot must fit inside a window: 60 minutes do not fit in the 60-minute overlap after 14:15.
        assert_eq!(first_common_slot(datetime!(2026-12-01 14:15 UTC), &[&leader, &member], 60, 6), None);
    }

    #[test]
    fn daylight_saving_moves_the_utc_time_of_a_local_window() {
        let berlin = avail("Europe/Berlin", &[("mon", "10:00", "11:00")]);
        // Summer (UTC+2): 08:00 UTC. Winter (UTC+1): 09:00 UTC.
        assert!(is_free(&berlin, datetime!(2026-06-01 08:00 UTC), 30));
        assert!(!is_free(&berlin, datetime!(2026-06-01 09:00 UTC), 30));
        assert!(is_free(&berlin, datetime!(2026-11-30 09:00 UTC), 60));
        assert!(!is_free(&berlin, datetime!(2026-11-30 09:15 UTC), 60));
    }

    #[test]
    fn bad_availability_names_the_field_and_reason() {
        let mut c = Checks::default();
        let a = avail(
            "Mars/Olympus",
            &[("funday", "25:00", "10:00"), ("mon", "10:00", "09:45"), ("tue", "09:10", "24:00")],
        );
        assert!(validate(&mut c, "availability", &a).is_none());
        let fields: Vec<String> = c.0.iter().map(|e| e.field.clone()).collect();
        assert_eq!(
            fields,
            [
                "availability.timeZone",
                "availability.windows[0].day",
                "availability.windows[0].start",
                "availability.windows[1].end",
                "availability.windows[2].start",
            ]
        );
        let mut c = Checks::default();
        let ok = avail("Europe/Berlin", &[("Mon", "09:00", "24:00")]);
        assert_eq!(validate(&mut c, "availability", &ok).unwrap().windows[0].day, "mon");
    }
}
