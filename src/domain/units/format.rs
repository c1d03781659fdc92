//! Printing quantities with their unit and three significant digits.
//!
//! Conventions, so that a reader never has to guess:
//! - counts use k, M, B (billion), T (trillion), P; above that, scientific notation;
//! - compute uses SI prefixes up to PFLOP, then scientific notation (`2.15e25 FLOP`);
//! - memory is printed in binary units (KiB, MiB, GiB, TiB), bandwidth in decimal ones (GB/s, TB/s)
//!   as vendors quote it: the unit printed always says which one it is;
//! - time picks the largest of ms, s, min, h and days that keeps the number at or above one;
//! - money prints as `$59.8M`, prices as `$2.00/h` (per GPU-hour).

use super::unit::*;
use super::{BINARY_PREFIXES, SI_PREFIXES};
use super::{Bandwidth, Compute, ComputeRate, Energy, Information, Money, MoneyRate, Power, Time};

/// Rounds `x` to `digits` significant digits.
fn round_sig(x: f64, digits: i32) -> f64 {
    if x == 0.0 || !x.is_finite() {
        return x;
    }
    let scale = 10f64.powi(digits - 1 - x.abs().log10().floor() as i32);
    if scale.is_finite() {
        return (x * scale).round() / scale;
    }
    // Below about 1e-306 the scale overflows: round through decimal scientific notation instead.
    let decimals = (digits - 1).max(0) as usize;
    format!("{x:.decimals$e}").parse().unwrap_or(x)
}

/// `x` rounded to 15 significant digits, for output in base units: the arithmetic's last-bit noise
/// (`14.240000000000002`) goes, every digit a double holds reliably stays.
pub fn tidy(x: f64) -> f64 {
    round_sig(x, 15)
}

/// `x` with three significant digits, keeping trailing zeros (`1.80`, `93.8`, `320`).
pub fn sig3(x: f64) -> String {
    let r = round_sig(x, 3);
    let a = r.abs();
    if a >= 100.0 || a == 0.0 {
        format!("{r:.0}")
    } else if a >= 10.0 {
        format!("{r:.1}")
    } else if a >= 1.0 {
        format!("{r:.2}")
    } else if a < 1e-6 {
        format!("{r:.2e}")
    } else {
        // Below one: as many decimals as three significant digits need.
        let decimals = (2 - a.log10().floor() as i32).max(0) as usize;
        format!("{r:.decimals$}")
    }
}

/// Scientific notation with three significant digits: `2.15e25`.
fn scientific(x: f64) -> String {
    format!("{x:.2e}")
}

/// Picks the largest prefix whose mantissa, rounded to three digits, is at least one; returns
/// `mantissa prefix`-style text, or `None` when `x` is beyond the largest prefix.
fn with_prefix(x: f64, prefixes: &[(&str, f64)], space: &str) -> Option<String> {
    let (last, last_factor) = prefixes.last()?;
    if round_sig(x.abs(), 3) >= 1000.0 * last_factor && !last.is_empty() {
        return None;
    }
    let (prefix, factor) = prefixes
        .iter()
        .rev()
        .find(|(_, factor)| round_sig(x.abs() / factor, 3) >= 1.0)
        .unwrap_or(&prefixes[0]);
    Some(format!("{}{space}{prefix}", sig3(x / factor)))
}

const COUNT: [(&str, f64); 6] = [
    ("", 1.0),
    ("k", 1e3),
    ("M", 1e6),
    ("B", 1e9),
    ("T", 1e12),
    ("P", 1e15),
];

/// A count: `512`, `6.74 B`, `1.80 T`.
pub fn count(n: f64) -> String {
    if n.abs() < 1000.0 && n.fract() == 0.0 {
        return format!("{n:.0}");
    }
    with_prefix(n, &COUNT, " ")
        .map(|s| s.trim_end().to_string())
        .unwrap_or_else(|| scientific(n))
}

/// An exact count with thousands separators: `6,738,415,616`.
pub fn exact(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Compute: `560 GFLOP`, `3.28 TFLOP`, `2.15e25 FLOP`.
pub fn compute(c: Compute) -> String {
    let x = c.get::<flop>();
    match with_prefix(x, &SI_PREFIXES[..6], " ") {
        Some(s) => format!("{s}FLOP"),
        None => format!("{} FLOP", scientific(x)),
    }
}

/// Compute rate: `989 TFLOP/s`.
pub fn compute_rate(r: ComputeRate) -> String {
    let x = r.get::<flop_per_second>();
    match with_prefix(x, &SI_PREFIXES[..6], " ") {
        Some(s) => format!("{s}FLOP/s"),
        None => format!("{} FLOP/s", scientific(x)),
    }
}

/// Memory, in binary units: `320 KiB`, `80.0 GiB`.
pub fn bytes(i: Information) -> String {
    let x = i.get::<byte>();
    match with_prefix(x, &BINARY_PREFIXES[..6], " ") {
        Some(s) => format!("{s}B"),
        None => format!("{} B", scientific(x)),
    }
}

/// Bandwidth, in decimal units: `3.35 TB/s`.
pub fn bandwidth(b: Bandwidth) -> String {
    let x = b.get::<byte_per_second>();
    match with_prefix(x, &SI_PREFIXES[..6], " ") {
        Some(s) => format!("{s}B/s"),
        None => format!("{} B/s", scientific(x)),
    }
}

/// Time: `120 ms`, `3.20 s`, `45.0 min`, `12.0 h`, `93.8 days`.
pub fn time(t: Time) -> String {
    const UNITS: [(&str, f64); 5] = [
        ("days", 86_400.0),
        ("h", 3600.0),
        ("min", 60.0),
        ("s", 1.0),
        ("ms", 1e-3),
    ];
    let s = t.get::<second>();
    // The largest unit in which the number, rounded to three digits, is at least one.
    let (unit, factor) = UNITS
        .into_iter()
        .find(|(_, factor)| round_sig(s.abs() / factor, 3) >= 1.0)
        .unwrap_or(UNITS[4]);
    let x = s / factor;
    if unit == "days" && round_sig(x, 3) >= 1e9 {
        format!("{} days", scientific(x))
    } else if unit == "days" && x >= 1000.0 {
        // Whole days with separators, three significant digits from ten thousand on, so that 8,274 and
        // 10,900 days read alike.
        let shown = if x >= 10_000.0 {
            round_sig(x, 3)
        } else {
            x.round()
        };
        format!("{} days", exact(shown as u64))
    } else {
        format!("{} {unit}", sig3(x))
    }
}

/// Money: `$59.8M`, `$200k`, `$1.23B`, `$0.500`.
pub fn money(m: Money) -> String {
    let x = m.get::<dollar>();
    let sign = if x < 0.0 { "-" } else { "" };
    match with_prefix(x.abs(), &COUNT, "") {
        Some(s) => format!("{sign}${s}"),
        None => format!("{sign}${}", scientific(x.abs())),
    }
}

/// A price per GPU-hour: `$2.00/h`.
pub fn money_rate(r: MoneyRate) -> String {
    let per_hour = Money::new::<dollar>(r.get::<dollar_per_hour>());
    format!("{}/h", money(per_hour))
}

/// Energy in watt-hours: `16.8 kWh`, `1.29 GWh`.
pub fn energy(e: Energy) -> String {
    let wh = e.get::<joule>() / 3600.0;
    match with_prefix(wh, &SI_PREFIXES[..6], " ") {
        Some(s) => format!("{s}Wh"),
        None => format!("{} Wh", scientific(wh)),
    }
}

/// Power: `700 W`, `17.5 MW`.
pub fn power(p: Power) -> String {
    let w = p.get::<watt>();
    match with_prefix(w, &SI_PREFIXES[..6], " ") {
        Some(s) => format!("{s}W"),
        None => format!("{} W", scientific(w)),
    }
}

/// A fraction as a percentage: `34.0%`.
pub fn percent(f: f64) -> String {
    format!("{}%", sig3(f * 100.0))
}

/// A range printed with `show` at each end, or one value.
pub fn range<T: Copy + PartialEq>(
    b: crate::domain::units::Bounds<T>,
    show: impl Fn(T) -> String,
) -> String {
    if b.is_exact() {
        show(b.low)
    } else {
        format!("{} .. {}", show(b.low), show(b.high))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_print_both_ends() {
        use crate::domain::units::Bounds;
        assert_eq!(range(Bounds::new(0.32, 0.36), percent), "32.0% .. 36.0%");
        assert_eq!(range(Bounds::exact(0.34), percent), "34.0%");
    }

    #[test]
    fn tiny_values_keep_their_digits() {
        // Scaling 1e-310 by 10^312 overflows to infinity; the rounding must not go through it.
        assert_eq!(round_sig(1.234e-310, 3), 1.23e-310);
        assert_eq!(sig3(1.234e-310), "1.23e-310");
        assert_eq!(sig3(5e-324), "4.94e-324");
        assert_eq!(sig3(0.000123), "0.000123");
    }

    #[test]
    fn three_significant_digits() {
        assert_eq!(sig3(1.8), "1.80");
        assert_eq!(sig3(93.75), "93.8");
        assert_eq!(sig3(320.0), "320");
        assert_eq!(sig3(0.0341), "0.0341");
        assert_eq!(sig3(99.96), "100");
    }

    #[test]
    fn counts() {
        assert_eq!(count(1.8e12), "1.80 T");
        assert_eq!(count(6_738_415_616.0), "6.74 B");
        assert_eq!(count(512.0), "512");
        assert_eq!(count(999_999.0), "1.00 M");
        assert_eq!(count(2.5e21), "2.50e21");
        assert_eq!(exact(6_738_415_616), "6,738,415,616");
        assert_eq!(exact(512), "512");
    }

    #[test]
    fn quantities() {
        assert_eq!(compute(Compute::new::<flop>(2.15e25)), "2.15e25 FLOP");
        assert_eq!(compute(Compute::new::<flop>(560e9)), "560 GFLOP");
        assert_eq!(
            compute_rate(ComputeRate::new::<flop_per_second>(989e12)),
            "989 TFLOP/s"
        );
        assert_eq!(bytes(Information::new::<byte>(327_680.0)), "320 KiB");
        assert_eq!(
            bytes(Information::new::<byte>(80.0 * 1073741824.0)),
            "80.0 GiB"
        );
        assert_eq!(
            bandwidth(Bandwidth::new::<byte_per_second>(3.35e12)),
            "3.35 TB/s"
        );
        assert_eq!(time(Time::new::<day>(93.75)), "93.8 days");
        assert_eq!(time(Time::new::<hour>(12.0)), "12.0 h");
        assert_eq!(time(Time::new::<second>(0.12)), "120 ms");
        assert_eq!(time(Time::new::<second>(59.96)), "60.0 s");
        assert_eq!(time(Time::new::<second>(59.98)), "1.00 min");
        assert_eq!(time(Time::new::<day>(1234.4)), "1,234 days");
        assert_eq!(time(Time::new::<day>(8274.0)), "8,274 days");
        assert_eq!(time(Time::new::<day>(10_923.0)), "10,900 days");
        assert_eq!(time(Time::new::<day>(2e9)), "2.00e9 days");
        assert_eq!(money(Money::new::<dollar>(59.8e6)), "$59.8M");
        assert_eq!(money(Money::new::<dollar>(200e3)), "$200k");
        assert_eq!(
            money_rate(MoneyRate::new::<dollar_per_hour>(2.0)),
            "$2.00/h"
        );
        assert_eq!(percent(0.34), "34.0%");
        assert_eq!(energy(Energy::new::<kilowatt_hour>(16.8)), "16.8 kWh");
        assert_eq!(energy(Energy::new::<kilowatt_hour>(1.287e6)), "1.29 GWh");
        assert_eq!(power(Power::new::<watt>(700.0)), "700 W");
    }
}
