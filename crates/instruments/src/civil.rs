//! Calendar dates from Unix time, for the `YYMMDD` of dated contracts
//! (Howard Hinnant's `civil_from_days`, in proleptic Gregorian, UTC).

/// `(year, month, day)` of the UTC day holding `ms` after the epoch.
pub fn date_of_millis(ms: u64) -> (i64, u32, u32) {
    let days = i64::try_from(ms / 86_400_000).unwrap_or(i64::MAX / 2);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month as u32, day as u32)
}

/// The `YYMMDD` venues put in dated contracts' names (`BTCUSD_240927`).
pub fn yymmdd(ms: u64) -> String {
    let (year, month, day) = date_of_millis(ms);
    format!("{:02}{month:02}{day:02}", year.rem_euclid(100))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_dates() {
        // 2024-09-27 08:00 UTC, the September 2024 quarterly's delivery.
        assert_eq!(yymmdd(1_727_424_000_000), "240927");
        assert_eq!(date_of_millis(0), (1970, 1, 1));
        // 2024-02-29, a leap day.
        assert_eq!(date_of_millis(1_709_164_800_000), (2024, 2, 29));
        assert_eq!(date_of_millis(4_133_404_800_000), (2100, 12, 25));
    }
}
