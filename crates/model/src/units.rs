//! Numbers as people read them in messages: sizes in MB / GB, counts with thousands separators.

/// Bytes in a gibibyte (messages say "GB", as the browser and the OS do).
pub const GB: f64 = 1024.0 * 1024.0 * 1024.0;

/// "1.5 GB" / "12 MB": sizes in refusals.
pub fn format_bytes(bytes: f64) -> String {
    if bytes >= 1000.0 * GB {
        format!("{} GB", format_count((bytes / GB).round() as usize))
    } else if bytes >= GB {
        format!("{:.1} GB", bytes / GB)
    } else {
        format!("{:.0} MB", (bytes / (1024.0 * 1024.0)).ceil())
    }
}

/// "1,000,000": counts in refusals.
pub fn format_count(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_sizes_read_as_people_write_them() {
        assert_eq!(format_count(1_000_000), "1,000,000");
        assert_eq!(format_count(999), "999");
        assert_eq!(format_count(1_000), "1,000");
        assert_eq!(format_bytes(3.0 * GB), "3.0 GB");
        assert_eq!(format_bytes(1.5 * 1024.0 * 1024.0), "2 MB");
        assert_eq!(format_bytes(12_564_575.3 * GB), "12,564,575 GB");
    }
}
