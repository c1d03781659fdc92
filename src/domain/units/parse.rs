//! Reading quantities the way people type them.
//!
//! A value is a number followed by an optional unit, with or without a space between: `2.15e25`,
//! `2.15e25 FLOP`, `989 TFLOP/s`, `80 GiB`, `3.35 TB/s`, `90 days`, `55d`, `13T`, `$2/h`,
//! `$2.50/GPU-hour`, `$21.5M`, `34%`. `_` may separate digits (`25_000`).
//!
//! Units and prefixes are case-sensitive, as in SI: `M` is mega and `m` is not accepted as a prefix,
//! `B` is a byte and `b` a bit (`Gb/s`), and `k` is kilo. Counts and money also take `K` for thousand and
//! `B` (or `G`) for billion, as in `1.8B` parameters or `$1.2B`. `KB` is refused as ambiguous: write `kB`
//! (1000 bytes) or `KiB` (1024 bytes). Time units accept `ms`, `s`, `min`, `h`/`hr`/`hour(s)`,
//! `d`/`day(s)`, `w`/`week(s)`, `mo`/`month(s)` (a twelfth of 365.25 days) and `y`/`year(s)`. A price is per GPU-hour: `$2/h`, `$2/GPU-hour` and `$2/A100-hour` are the same.

use std::fmt;

use super::unit::*;
use super::{BINARY_PREFIXES, SI_PREFIXES};
use super::{Bandwidth, Compute, ComputeRate, Energy, Information, Money, MoneyRate, Power, Time};

/// The kinds of value a field can take.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dimension {
    /// A plain count: parameters, tokens, GPUs.
    Count,
    /// A fraction of one, as `0.34` or `34%`.
    Fraction,
    /// Time.
    Time,
    /// Bytes.
    Information,
    /// Bytes per second.
    Bandwidth,
    /// FLOP.
    Compute,
    /// FLOP per second.
    ComputeRate,
    /// US dollars.
    Money,
    /// US dollars per (GPU-)hour.
    MoneyRate,
    /// Joules.
    Energy,
    /// Watts.
    Power,
}

impl Dimension {
    /// Every dimension.
    pub const ALL: [Dimension; 11] = [
        Dimension::Count,
        Dimension::Fraction,
        Dimension::Time,
        Dimension::Information,
        Dimension::Bandwidth,
        Dimension::Compute,
        Dimension::ComputeRate,
        Dimension::Money,
        Dimension::MoneyRate,
        Dimension::Energy,
        Dimension::Power,
    ];

    /// What the dimension is, with examples of accepted input.
    pub fn describe(self) -> &'static str {
        match self {
            Dimension::Count => "a count (e.g. `8192`, `13T`, `1.8B`)",
            Dimension::Fraction => "a fraction (e.g. `0.34` or `34%`)",
            Dimension::Time => "a time (e.g. `90 days`, `55d`, `12h`, `3600 s`)",
            Dimension::Information => "an amount of memory (e.g. `80 GiB`, `80 GB`, `512 MiB`)",
            Dimension::Bandwidth => "a bandwidth (e.g. `3.35 TB/s`, `400 Gb/s`)",
            Dimension::Compute => "an amount of compute (e.g. `2.15e25 FLOP`, `560 GFLOP`)",
            Dimension::ComputeRate => "a compute rate (e.g. `989 TFLOP/s`)",
            Dimension::Money => "an amount of money (e.g. `$21.5M`, `63e6 USD`)",
            Dimension::MoneyRate => "a price per GPU-hour (e.g. `$2/h`, `$2.50/GPU-hour`)",
            Dimension::Energy => "an amount of energy (e.g. `1287 MWh`, `3.6 GJ`)",
            Dimension::Power => "a power (e.g. `700 W`, `1.2 kW`)",
        }
    }

    /// The plausible magnitudes of a value, in base units: `(floor, ceiling)`. Zero is left to each field
    /// to allow or refuse; any other value whose size is outside these bounds is refused, because a
    /// calculation on it would underflow or overflow into a result that means nothing. The bounds are
    /// far wider than anything real, so that no real input is refused:
    /// - counts: 0.001 to 10^30 (parameters, tokens and GPUs of any conceivable run);
    /// - fractions: 10^-6 (0.0001%) to 10^6;
    /// - time: 1 ns to 10,000 years;
    /// - memory: 1 byte to 10^21 bytes (1 ZB); bandwidth: 1 kB/s to 10^18 B/s (1 EB/s);
    /// - compute: 1 FLOP to 10^35 FLOP; compute rates: 1 MFLOP/s to 10^24 FLOP/s (per GPU or cluster);
    /// - money: $10^-6 to $10^15; prices: $0.0001 to $10,000 per GPU-hour;
    /// - energy: 1 J to 10^22 J; power: 1 mW to 10 GW.
    pub fn plausible(self) -> (f64, f64) {
        const YEAR: f64 = 365.25 * 86_400.0;
        match self {
            Dimension::Count => (1e-3, 1e30),
            Dimension::Fraction => (1e-6, 1e6),
            Dimension::Time => (1e-9, 1e4 * YEAR),
            Dimension::Information => (1.0, 1e21),
            Dimension::Bandwidth => (1e3, 1e18),
            Dimension::Compute => (1.0, 1e35),
            Dimension::ComputeRate => (1e6, 1e24),
            Dimension::Money => (1e-6, 1e15),
            Dimension::MoneyRate => (1e-4 / 3600.0, 1e4 / 3600.0),
            Dimension::Energy => (1.0, 1e22),
            Dimension::Power => (1e-3, 1e10),
        }
    }

    /// The plausible range as people read it, in the field's usual units.
    fn plausible_text(self) -> &'static str {
        match self {
            Dimension::Count => "0.001 to 1e30",
            Dimension::Fraction => "0.0001% to 1e6",
            Dimension::Time => "1 ns to 10,000 years",
            Dimension::Information => "1 byte to 1e21 bytes",
            Dimension::Bandwidth => "1 kB/s to 1e18 B/s",
            Dimension::Compute => "1 FLOP to 1e35 FLOP",
            Dimension::ComputeRate => "1 MFLOP/s to 1e24 FLOP/s",
            Dimension::Money => "$0.000001 to $1e15",
            Dimension::MoneyRate => "$0.0001/h to $10,000/h",
            Dimension::Energy => "1 J to 1e22 J",
            Dimension::Power => "1 mW to 10 GW",
        }
    }

    /// Refuses a value (in base units) whose size is outside [`Dimension::plausible`], or that is not
    /// finite; zero and the sign are left to the field.
    pub fn check(self, text: &str, value: f64) -> Result<f64, ParseError> {
        let error = |reason| ParseError {
            input: text.to_string(),
            expected: self,
            reason,
        };
        if !value.is_finite() {
            return Err(error(Reason::NotFinite));
        }
        let (floor, ceiling) = self.plausible();
        if value != 0.0 && !(floor..=ceiling).contains(&value.abs()) {
            return Err(error(Reason::Implausible));
        }
        Ok(value)
    }

    /// Short name, for saying what a value was instead.
    fn noun(self) -> &'static str {
        match self {
            Dimension::Count => "a count",
            Dimension::Fraction => "a percentage",
            Dimension::Time => "a time",
            Dimension::Information => "an amount of memory",
            Dimension::Bandwidth => "a bandwidth",
            Dimension::Compute => "an amount of compute",
            Dimension::ComputeRate => "a compute rate",
            Dimension::Money => "an amount of money",
            Dimension::MoneyRate => "a price per hour",
            Dimension::Energy => "an amount of energy",
            Dimension::Power => "a power",
        }
    }
}

/// Why a value could not be read.
#[derive(Clone, Debug, PartialEq)]
pub struct ParseError {
    /// The text as given.
    pub input: String,
    /// What the field takes.
    pub expected: Dimension,
    /// What went wrong.
    pub reason: Reason,
}

/// The ways a value can be wrong.
#[derive(Clone, Debug, PartialEq)]
pub enum Reason {
    /// No number at the start.
    NotANumber,
    /// A number too large to hold, or not finite.
    NotFinite,
    /// A unit this dimension does not know.
    UnknownUnit(String),
    /// A unit of another dimension.
    WrongDimension(Dimension),
    /// A bare number where the unit cannot be guessed.
    MissingUnit,
    /// `KB` and the like.
    Ambiguous(&'static str),
    /// A range whose two ends are not in order or not both given.
    BadRange,
    /// A value outside [`Dimension::plausible`].
    Implausible,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let expected = self.expected.describe();
        let input = &self.input;
        match &self.reason {
            Reason::NotANumber => write!(f, "`{input}` is not a number; expected {expected}"),
            Reason::NotFinite => write!(f, "`{input}` is not a finite number; expected {expected}"),
            Reason::UnknownUnit(unit) => {
                write!(f, "unknown unit `{unit}` in `{input}`; expected {expected}")
            }
            Reason::WrongDimension(found) => write!(
                f,
                "`{input}` is {}, but this field takes {expected}",
                found.noun()
            ),
            Reason::MissingUnit => write!(f, "`{input}` needs a unit; expected {expected}"),
            Reason::Ambiguous(hint) => write!(f, "`{input}` is ambiguous: {hint}"),
            Reason::Implausible => write!(
                f,
                "`{input}` is outside the plausible range of {} ({}); expected {expected}",
                self.expected.noun(),
                self.expected.plausible_text()
            ),
            Reason::BadRange => write!(
                f,
                "`{input}` is not a range `low..high` with low <= high; expected {expected} at each end"
            ),
        }
    }
}

impl std::error::Error for ParseError {}

/// Splits `text` into its leading number and the rest (trimmed).
/// An `e` or `E` is an exponent only when digits follow, so `2EFLOP` reads as 2 EFLOP.
fn split_number(text: &str) -> Option<(f64, &str)> {
    let bytes = text.as_bytes();
    let mut end = 0;
    // Digits from `from`; a single `_` may stand between two digits (`25_000`).
    let digits = |from: usize| {
        let mut i = from;
        while i < bytes.len() {
            let between_digits = bytes[i] == b'_'
                && i > from
                && bytes[i - 1].is_ascii_digit()
                && bytes.get(i + 1).is_some_and(u8::is_ascii_digit);
            if !(bytes[i].is_ascii_digit() || between_digits) {
                break;
            }
            i += 1;
        }
        i
    };
    if end < bytes.len() && (bytes[end] == b'+' || bytes[end] == b'-') {
        end += 1;
    }
    let int_end = digits(end);
    let mut mantissa_end = int_end;
    if mantissa_end < bytes.len() && bytes[mantissa_end] == b'.' {
        // `1..2` is a range, not `1.` followed by `.2`.
        if bytes.get(mantissa_end + 1) != Some(&b'.') {
            mantissa_end = digits(mantissa_end + 1);
        }
    }
    if mantissa_end == end || (mantissa_end == end + 1 && bytes[end] == b'.') {
        return None;
    }
    end = mantissa_end;
    if end < bytes.len() && (bytes[end] == b'e' || bytes[end] == b'E') {
        let mut exp = end + 1;
        if exp < bytes.len() && (bytes[exp] == b'+' || bytes[exp] == b'-') {
            exp += 1;
        }
        let exp_end = digits(exp);
        if exp_end > exp {
            end = exp_end;
        }
    }
    let number: String = text[..end].chars().filter(|&c| c != '_').collect();
    let value = number.parse::<f64>().ok()?;
    Some((value, text[end..].trim()))
}

/// Suffixes for plain counts and money: thousand, million, billion, trillion, quadrillion.
const MAGNITUDE: [(&str, f64); 8] = [
    ("", 1.0),
    ("k", 1e3),
    ("K", 1e3),
    ("M", 1e6),
    ("B", 1e9),
    ("G", 1e9),
    ("T", 1e12),
    ("P", 1e15),
];

/// Reads `unit` as an SI prefix followed by one of `bases`; returns the factor.
fn prefixed(unit: &str, bases: &[&str], prefixes: &[(&str, f64)]) -> Option<f64> {
    prefixes.iter().find_map(|(prefix, factor)| {
        let rest = unit.strip_prefix(prefix)?;
        bases.contains(&rest).then_some(*factor)
    })
}

fn magnitude(unit: &str) -> Option<f64> {
    MAGNITUDE
        .iter()
        .find_map(|(suffix, factor)| (unit == *suffix).then_some(*factor))
}

/// Seconds per time unit.
fn time_unit(unit: &str) -> Option<f64> {
    Some(match unit {
        "ms" | "msec" | "millisecond" | "milliseconds" => 1e-3,
        "s" | "sec" | "secs" | "second" | "seconds" => 1.0,
        "min" | "mins" | "minute" | "minutes" => 60.0,
        "h" | "hr" | "hrs" | "hour" | "hours" => 3600.0,
        "d" | "day" | "days" => 86_400.0,
        "w" | "wk" | "week" | "weeks" => 604_800.0,
        // A month is a twelfth of the Julian year of 365.25 days.
        "mo" | "month" | "months" => 365.25 * 86_400.0 / 12.0,
        "y" | "yr" | "year" | "years" => 365.25 * 86_400.0,
        _ => return None,
    })
}

/// Bytes per information unit: `B` with SI or binary prefixes, or `b`/`bit` with SI prefixes.
fn information_unit(unit: &str) -> Option<f64> {
    prefixed(unit, &["B", "byte", "bytes"], &SI_PREFIXES)
        .or_else(|| prefixed(unit, &["B", "byte", "bytes"], &BINARY_PREFIXES[1..]))
        .or_else(|| prefixed(unit, &["b", "bit", "bits"], &SI_PREFIXES).map(|f| f / 8.0))
}

/// Bytes per second per bandwidth unit: an information unit per second (`TB/s`, `Gb/s`, `GBps`, `Gbps`).
fn bandwidth_unit(unit: &str) -> Option<f64> {
    let per_second = unit
        .strip_suffix("/s")
        .or_else(|| unit.strip_suffix("ps"))?;
    information_unit(per_second)
}

/// Joules per energy unit: `J` or `Wh` with SI prefixes.
fn energy_unit(unit: &str) -> Option<f64> {
    prefixed(unit, &["J"], &SI_PREFIXES)
        .or_else(|| prefixed(unit, &["Wh"], &SI_PREFIXES).map(|f| f * 3600.0))
}

fn compute_unit(unit: &str) -> Option<f64> {
    prefixed(unit, &["FLOP", "FLOPs"], &SI_PREFIXES)
}

fn compute_rate_unit(unit: &str) -> Option<f64> {
    prefixed(unit, &["FLOP/s", "FLOPS", "FLOPs/s"], &SI_PREFIXES)
}

/// A money amount: `$21.5M`, `21.5M USD`, `$200k`.
fn money_unit(unit: &str, dollar_sign: bool) -> Option<f64> {
    let unit = match unit.strip_suffix("USD") {
        Some(rest) => rest.trim_end(),
        None if dollar_sign => unit,
        None => return None,
    };
    magnitude(unit)
}

/// A price: money per time unit, where the time unit may name what is rented (`GPU-hour`, `A100-h`).
fn money_rate_unit(unit: &str, dollar_sign: bool) -> Option<f64> {
    let (amount, per) = unit.split_once('/')?;
    let per = per.trim();
    let per = per.rsplit_once('-').map_or(per, |(_, time)| time);
    Some(money_unit(amount.trim(), dollar_sign)? / time_unit(per)?)
}

/// The factor from `unit` to base units of `dim`, or `None` if `unit` is not a unit of `dim`.
/// An empty unit (a bare number) is accepted only where it has one sensible reading.
fn factor(dim: Dimension, unit: &str, dollar_sign: bool) -> Option<f64> {
    if dollar_sign && !matches!(dim, Dimension::Money | Dimension::MoneyRate) {
        return None;
    }
    match dim {
        Dimension::Count => magnitude(unit),
        Dimension::Fraction => match unit {
            "" => Some(1.0),
            "%" => Some(0.01),
            _ => None,
        },
        Dimension::Time => time_unit(unit),
        Dimension::Information => (unit.is_empty())
            .then_some(1.0)
            .or_else(|| information_unit(unit)),
        Dimension::Bandwidth => bandwidth_unit(unit),
        Dimension::Compute => (unit.is_empty())
            .then_some(1.0)
            .or_else(|| compute_unit(unit)),
        Dimension::ComputeRate => compute_rate_unit(unit),
        Dimension::Money => money_unit(unit, dollar_sign),
        Dimension::MoneyRate => money_rate_unit(unit, dollar_sign),
        Dimension::Energy => energy_unit(unit),
        Dimension::Power => prefixed(unit, &["W"], &SI_PREFIXES),
    }
}

/// Reads `text` as a value of `dim` in base units (count, fraction, s, B, B/s, FLOP, FLOP/s, USD, USD/s).
/// `bare` is the factor applied to a number given without a unit, where the field has a natural one
/// (`--days 90` means days); without it a bare number is accepted only where it is unambiguous.
pub fn read(text: &str, dim: Dimension, bare: Option<f64>) -> Result<f64, ParseError> {
    let error = |reason| ParseError {
        input: text.to_string(),
        expected: dim,
        reason,
    };
    let trimmed = text.trim();
    let (dollar_sign, rest) = match trimmed.strip_prefix('$') {
        Some(rest) => (true, rest.trim_start()),
        None => (false, trimmed),
    };
    let (number, unit) = split_number(rest).ok_or_else(|| error(Reason::NotANumber))?;
    if !number.is_finite() {
        return Err(error(Reason::NotFinite));
    }
    let bare = bare.filter(|_| unit.is_empty() && !dollar_sign);
    if let Some(factor) = bare.or_else(|| factor(dim, unit, dollar_sign)) {
        return dim.check(text, number * factor);
    }
    if unit.starts_with("KB") || unit.starts_with("Kb") {
        return Err(error(Reason::Ambiguous(
            "write `kB` for 1000 bytes or `KiB` for 1024 bytes",
        )));
    }
    if unit.is_empty() && !dollar_sign {
        return Err(error(Reason::MissingUnit));
    }
    match Dimension::ALL
        .into_iter()
        .find(|&other| other != dim && factor(other, unit, dollar_sign).is_some())
    {
        Some(found) => Err(error(Reason::WrongDimension(found))),
        None => Err(error(Reason::UnknownUnit(unit.to_string()))),
    }
}

/// Where `text` splits into the two ends of a range: at `..`, or at a `-` between a number (or its unit)
/// and the next number, as in `90-100` or `$53M-$60M` — not in an exponent (`1e-5`), a leading sign or
/// `GPU-hour`.
fn range_ends(text: &str) -> Option<(&str, &str)> {
    if let Some(ends) = text.split_once("..") {
        return Some(ends);
    }
    let bytes = text.as_bytes();
    (1..bytes.len()).find_map(|i| {
        let before = bytes[i - 1];
        let after = bytes.get(i + 1).copied().unwrap_or(b' ');
        let splits = bytes[i] == b'-'
            && (before.is_ascii_alphanumeric() || before == b'%')
            && !matches!(before, b'e' | b'E')
            && (after.is_ascii_digit() || after == b'$' || after == b'.');
        splits.then(|| (&text[..i], &text[i + 1..]))
    })
}

/// A range `low..high` (or `low-high`) of values, or a single value (`low == high`). A unit written only
/// on the upper end applies to both (`90..100 days`).
pub fn read_range(text: &str, dim: Dimension, bare: Option<f64>) -> Result<(f64, f64), ParseError> {
    let Some((low, high)) = range_ends(text) else {
        let value = read(text, dim, bare)?;
        return Ok((value, value));
    };
    let bad = || ParseError {
        input: text.to_string(),
        expected: dim,
        reason: Reason::BadRange,
    };
    let high_value = read(high, dim, bare)?;
    let low_text = low.trim();
    let unit = split_number(high.trim_start().trim_start_matches('$'))
        .map(|(_, unit)| unit)
        .unwrap_or("");
    let low_value = match split_number(low_text.trim_start_matches('$')) {
        Some((_, "")) if !unit.is_empty() => {
            let sign = if high.trim_start().starts_with('$') && !low_text.starts_with('$') {
                "$"
            } else {
                ""
            };
            read(&format!("{sign}{low_text} {unit}"), dim, bare)?
        }
        Some(_) => read(low_text, dim, bare)?,
        None => return Err(bad()),
    };
    if low_value <= high_value {
        Ok((low_value, high_value))
    } else {
        Err(bad())
    }
}

/// Reads a value or a range `low..high` of a typed quantity; `bare` as for [`read`].
pub fn read_bounds<Q: Quantity + Copy>(
    text: &str,
    bare: Option<f64>,
) -> Result<super::Bounds<Q>, ParseError> {
    let (low, high) = read_range(text, Q::DIMENSION, bare)?;
    Ok(super::Bounds::new(Q::from_base(low), Q::from_base(high)))
}

/// Parses text into a typed quantity.
pub trait Quantity: Sized {
    /// The dimension of this quantity.
    const DIMENSION: Dimension;
    /// Builds the quantity from a value in base units.
    fn from_base(value: f64) -> Self;
    /// Reads the quantity; a bare number is taken in base units where that is unambiguous.
    fn parse(text: &str) -> Result<Self, ParseError> {
        read(text, Self::DIMENSION, None).map(Self::from_base)
    }
}

macro_rules! impl_quantity {
    ($($ty:ident: $dim:ident, $unit:ident;)*) => {$(
        impl Quantity for $ty {
            const DIMENSION: Dimension = Dimension::$dim;
            fn from_base(value: f64) -> Self {
                $ty::new::<$unit>(value)
            }
        }
    )*};
}

impl_quantity! {
    Time: Time, second;
    Information: Information, byte;
    Bandwidth: Bandwidth, byte_per_second;
    Compute: Compute, flop;
    ComputeRate: ComputeRate, flop_per_second;
    Money: Money, dollar;
    MoneyRate: MoneyRate, dollar_per_second;
    Energy: Energy, joule;
    Power: Power, watt;
}

/// A quantity read from a preset, where it is written as a string with its unit (`"989.4 TFLOP/s"`,
/// `"80 GiB"`): a bare number would leave the unit to guessing.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Parsed<Q>(pub Q);

impl<'de, Q: Quantity> serde::Deserialize<'de> for Parsed<Q> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct QuantityVisitor<Q>(std::marker::PhantomData<Q>);

        impl<Q: Quantity> serde::de::Visitor<'_> for QuantityVisitor<Q> {
            type Value = Parsed<Q>;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                write!(f, "a string with a unit: {}", Q::DIMENSION.describe())
            }

            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Parsed<Q>, E> {
                let value = read(text, Q::DIMENSION, None).map_err(E::custom)?;
                if value < 0.0 {
                    return Err(E::custom(format!("`{text}` is negative")));
                }
                Ok(Parsed(Q::from_base(value)))
            }
        }

        deserializer.deserialize_str(QuantityVisitor(std::marker::PhantomData))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(text: &str, dim: Dimension) -> f64 {
        read(text, dim, None).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-12 * b.abs().max(1.0)
    }

    #[test]
    fn reads_what_people_type() {
        use Dimension::*;
        let cases: &[(&str, Dimension, f64)] = &[
            ("2.15e25", Compute, 2.15e25),
            ("2.15e25 FLOP", Compute, 2.15e25),
            ("560 GFLOP", Compute, 560e9),
            ("989 TFLOP/s", ComputeRate, 989e12),
            ("989 TFLOPS", ComputeRate, 989e12),
            ("80 GiB", Information, 80.0 * 1024.0 * 1024.0 * 1024.0),
            ("80 GB", Information, 80e9),
            ("80GB", Information, 80e9),
            ("3.35 TB/s", Bandwidth, 3.35e12),
            ("400 Gb/s", Bandwidth, 50e9),
            ("90 days", Time, 90.0 * 86_400.0),
            ("55d", Time, 55.0 * 86_400.0),
            ("12h", Time, 43_200.0),
            ("850ms", Time, 0.85),
            ("3 months", Time, 0.25 * 365.25 * 86_400.0),
            ("1y", Time, 365.25 * 86_400.0),
            ("13T", Count, 13e12),
            ("1.8T", Count, 1.8e12),
            ("1.8B", Count, 1.8e9),
            ("25_000", Count, 25_000.0),
            ("25K", Count, 25_000.0),
            ("$2/h", MoneyRate, 2.0 / 3600.0),
            ("$2.50/GPU-hour", MoneyRate, 2.5 / 3600.0),
            ("$1/A100-hour", MoneyRate, 1.0 / 3600.0),
            ("2 USD/h", MoneyRate, 2.0 / 3600.0),
            ("$21.5M", Money, 21.5e6),
            ("63e6 USD", Money, 63e6),
            ("$200k", Money, 200e3),
            ("34%", Fraction, 0.34),
            ("700 W", Power, 700.0),
            ("1.2kW", Power, 1200.0),
            ("1287 MWh", Energy, 1287.0 * 3.6e9),
            ("3.6 GJ", Energy, 3.6e9),
            ("0.34", Fraction, 0.34),
        ];
        for &(text, dim, expected) in cases {
            let got = ok(text, dim);
            assert!(
                close(got, expected),
                "{text}: got {got}, expected {expected}"
            );
        }
    }

    #[test]
    fn prefixes_are_case_sensitive() {
        // `m` is not mega and `b` is a bit, not a byte.
        assert!(read("80 mB", Dimension::Information, None).is_err());
        assert!(close(ok("8 Gb", Dimension::Information), 1e9));
        assert!(read("2 tflop", Dimension::Compute, None).is_err());
    }

    #[test]
    fn underscores_only_between_digits() {
        assert!(close(ok("25_000", Dimension::Count), 25_000.0));
        for text in ["5__0", "5_", "_5"] {
            assert!(read(text, Dimension::Count, None).is_err(), "{text}");
        }
    }

    #[test]
    fn money_where_a_count_is_wanted() {
        let err = read("$5", Dimension::Count, None).unwrap_err();
        assert_eq!(err.reason, Reason::WrongDimension(Dimension::Money));
        let err = read("1e308", Dimension::Time, Some(86_400.0)).unwrap_err();
        assert_eq!(err.reason, Reason::NotFinite);
    }

    #[test]
    fn kb_is_ambiguous() {
        let err = read("512 KB", Dimension::Information, None).unwrap_err();
        assert!(matches!(err.reason, Reason::Ambiguous(_)));
        let err = read("512 KB/s", Dimension::Bandwidth, None).unwrap_err();
        assert!(matches!(err.reason, Reason::Ambiguous(_)));
        assert!(err.to_string().contains("KiB"));
    }

    #[test]
    fn wrong_dimension_is_named() {
        let err = read("80GiB", Dimension::Count, None).unwrap_err();
        assert_eq!(err.reason, Reason::WrongDimension(Dimension::Information));
        assert_eq!(
            err.to_string(),
            "`80GiB` is an amount of memory, but this field takes a count (e.g. `8192`, `13T`, `1.8B`)"
        );
        let err = read("3d", Dimension::Fraction, None).unwrap_err();
        assert_eq!(err.reason, Reason::WrongDimension(Dimension::Time));
    }

    #[test]
    fn bare_numbers_take_the_field_unit_or_ask_for_one() {
        assert!(close(
            read("90", Dimension::Time, Some(86_400.0)).unwrap(),
            90.0 * 86_400.0
        ));
        let err = read("90", Dimension::Time, None).unwrap_err();
        assert_eq!(err.reason, Reason::MissingUnit);
    }

    #[test]
    fn an_e_is_an_exponent_only_before_digits() {
        assert!(close(ok("2EFLOP", Dimension::Compute), 2e18));
        assert!(close(ok("2e3", Dimension::Compute), 2e3));
    }

    #[test]
    fn rejects_non_numbers_and_overflow() {
        assert_eq!(
            read("lots", Dimension::Count, None).unwrap_err().reason,
            Reason::NotANumber
        );
        assert_eq!(
            read("1e400", Dimension::Count, None).unwrap_err().reason,
            Reason::NotFinite
        );
        assert_eq!(
            read("1e300 YFLOP", Dimension::Compute, None)
                .unwrap_err()
                .reason,
            Reason::NotFinite
        );
    }

    #[test]
    fn ranges() {
        let (lo, hi) = read_range("0.32..0.36", Dimension::Fraction, None).unwrap();
        assert!(close(lo, 0.32) && close(hi, 0.36));
        let (lo, hi) = read_range("90..100 days", Dimension::Time, None).unwrap();
        assert!(close(lo, 90.0 * 86_400.0) && close(hi, 100.0 * 86_400.0));
        let (lo, hi) = read_range("$53M..$60M", Dimension::Money, None).unwrap();
        assert!(close(lo, 53e6) && close(hi, 60e6));
        let (lo, hi) = read_range("90-100", Dimension::Time, Some(86_400.0)).unwrap();
        assert!(close(lo, 90.0 * 86_400.0) && close(hi, 100.0 * 86_400.0));
        let (lo, hi) = read_range("$53M-$60M", Dimension::Money, None).unwrap();
        assert!(close(lo, 53e6) && close(hi, 60e6));
        // Not ranges: an exponent, a sign, a price per GPU-hour.
        assert_eq!(
            read_range("1e-5", Dimension::Fraction, None).unwrap(),
            (1e-5, 1e-5)
        );
        assert!(read_range("-5", Dimension::Count, None).is_ok());
        let per_hour = 2.0 / 3600.0;
        assert!(close(
            read_range("$2/A100-hour", Dimension::MoneyRate, None)
                .unwrap()
                .0,
            per_hour
        ));
        let (lo, hi) = read_range("7", Dimension::Count, None).unwrap();
        assert!(close(lo, 7.0) && close(hi, 7.0));
        assert_eq!(
            read_range("100..90", Dimension::Count, None)
                .unwrap_err()
                .reason,
            Reason::BadRange
        );
    }

    #[test]
    fn typed_quantities() {
        let t = super::Time::parse("12h").unwrap();
        assert!(close(t.get::<hour>(), 12.0));
        let p = super::MoneyRate::parse("$2/h").unwrap();
        assert!(close(p.get::<dollar_per_hour>(), 2.0));
    }
}
