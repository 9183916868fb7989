//! Numbers as people read them in messages: sizes in MB / GB, counts with thousands separators,
//! probabilities in percent.

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
    group_digits(&n.to_string())
}

/// "175,181,291,520": a parameter count kept in f64 (a `usize` saturates at 4,294,967,295 on
/// wasm32, below GPT-3's), rounded to a whole number.
pub fn format_large_count(n: f64) -> String {
    group_digits(&format!("{:.0}", n.max(0.0).round()))
}

fn group_digits(digits: &str) -> String {
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// "91.2%" (or "3.0e-5" below a tenth of a percent): probabilities as the candidate list and the
/// lessons show them, so a number quoted in a lesson reads as it does in the view.
pub fn percent(p: f32) -> String {
    if p >= 0.001 || p == 0.0 {
        format!("{:.1}%", p * 100.0)
    } else {
        format!("{:.1e}", p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_sizes_read_as_people_write_them() {
        assert_eq!(format_count(1_000_000), "1,000,000");
        assert_eq!(format_count(999), "999");
        assert_eq!(format_count(1_000), "1,000");
        assert_eq!(format_large_count(70_553_706_496.0), "70,553,706,496");
        assert_eq!(format_large_count(999.6), "1,000");
        assert_eq!(format_bytes(3.0 * GB), "3.0 GB");
        assert_eq!(format_bytes(1.5 * 1024.0 * 1024.0), "2 MB");
        assert_eq!(percent(0.912), "91.2%");
        assert_eq!(percent(0.0), "0.0%");
        assert_eq!(percent(3e-5), "3.0e-5");
        assert_eq!(format_bytes(12_564_575.3 * GB), "12,564,575 GB");
    }
}
