//! The two date forms S3 uses: RFC 7231 HTTP dates in headers
//! (`Last-Modified`, `Date`) and ISO 8601 in XML bodies (`LastModified`,
//! `CreationDate`), both as milliseconds since the Unix epoch.

use std::time::UNIX_EPOCH;

/// `Sun, 06 Nov 1994 08:49:37 GMT` (and the two obsolete forms) → ms.
pub fn http_date_ms(text: &str) -> Option<u64> {
    let t = httpdate::parse_http_date(text.trim()).ok()?;
    Some(t.duration_since(UNIX_EPOCH).ok()?.as_millis() as u64)
}

/// `2009-10-12T17:50:30.000Z` (fraction optional, `Z` or `±hh:mm`) → ms.
pub fn iso8601_ms(text: &str) -> Option<u64> {
    let (date, time) = text.trim().split_once(['T', 't'])?;
    let mut d = date.splitn(3, '-');
    let year: i64 = d.next()?.parse().ok()?;
    let month: u32 = d.next()?.parse().ok()?;
    let day: u32 = d.next()?.parse().ok()?;
    let zone_at = time.find(['Z', 'z', '+', '-'])?;
    let (clock, zone) = time.split_at(zone_at);
    let (hms, fraction) = clock.split_once('.').unwrap_or((clock, ""));
    let mut t = hms.splitn(3, ':');
    let hour: i64 = t.next()?.parse().ok()?;
    let minute: i64 = t.next()?.parse().ok()?;
    let second: i64 = t.next()?.parse().ok()?;
    if !(1..=12).contains(&month)
        || !(1..=31).contains(&day)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    if !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let millis: i64 = format!("{fraction:0<3}")[..3].parse().ok()?;
    let offset_min = match zone {
        "Z" | "z" => 0,
        z => {
            let sign = if z.starts_with('-') { -1 } else { 1 };
            let (h, m) = z[1..].split_once(':')?;
            sign * (h.parse::<i64>().ok()? * 60 + m.parse::<i64>().ok()?)
        }
    };
    let days = days_from_civil(year, month, day);
    let secs = days * 86_400 + hour * 3600 + minute * 60 + second - offset_min * 60;
    u64::try_from(secs * 1000 + millis).ok()
}

// Howard Hinnant's days-from-civil (proleptic Gregorian calendar).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = i64::from((m + 9) % 12);
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_dates() {
        assert_eq!(
            http_date_ms("Sun, 06 Nov 1994 08:49:37 GMT"),
            Some(784_111_777_000)
        );
        assert_eq!(
            http_date_ms("Wed, 01 May 2024 12:00:00 GMT"),
            Some(1_714_564_800_000)
        );
        assert_eq!(http_date_ms("yesterday"), None);
    }

    #[test]
    fn iso_dates() {
        assert_eq!(iso8601_ms("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(
            iso8601_ms("2024-05-01T12:00:00.123Z"),
            Some(1_714_564_800_123)
        );
        assert_eq!(
            iso8601_ms("2024-05-01T12:00:00.1Z"),
            Some(1_714_564_800_100)
        );
        assert_eq!(
            iso8601_ms("2024-05-01T14:00:00.123456+02:00"),
            Some(1_714_564_800_123)
        );
        assert_eq!(
            iso8601_ms("2000-02-29T00:00:00.000Z"),
            Some(951_782_400_000)
        );
        assert_eq!(
            iso8601_ms("2009-10-12T17:50:30.000Z"),
            Some(1_255_369_830_000)
        );
        for bad in [
            "",
            "2024-05-01",
            "2024-13-01T00:00:00Z",
            "2024-05-01T00:00:00",
            "x-y-zT1:2:3Z",
        ] {
            assert_eq!(iso8601_ms(bad), None, "{bad}");
        }
    }
}
