//! Parsers for argument values: each reads one kind of value and rejects what is out of range, with a
//! message clap prints after the flag's name.

use clap::ValueEnum;
use clap::builder::{PossibleValuesParser, TypedValueParser};

use crate::domain::hardware::{Precision, PriceKind};
use crate::domain::memory::Reserve;
use crate::domain::units::parse::{Dimension, Quantity, read, read_bounds, read_range};
use crate::domain::units::unit::byte;
use crate::domain::units::{Bounds, Information, MoneyRate};

/// A parser for one of an enum's values by name. The values are listed in `--help` by name alone, as
/// in `[possible values: full, causal]`: their descriptions document the enum, not the flag.
pub fn choice<E: ValueEnum + Clone + Send + Sync + 'static>() -> impl TypedValueParser<Value = E> {
    let values = E::value_variants()
        .iter()
        .filter_map(E::to_possible_value)
        .map(|value| value.help(None::<&str>));
    PossibleValuesParser::new(values)
        .map(|name| E::from_str(&name, false).expect("one of the possible values"))
}

/// A parser for a value or range of a typed quantity above zero; `bare` is the factor for a number
/// without unit.
pub fn parse<Q: Quantity + Copy + PartialOrd + Send + Sync + 'static>(
    bare: Option<f64>,
) -> impl Fn(&str) -> Result<Bounds<Q>, String> + Clone {
    move |text: &str| {
        let bounds = read_bounds::<Q>(text, bare)
            .map_err(|e| dollar_hint(text, Q::DIMENSION, e.to_string()))?;
        if bounds.low <= Q::from_base(0.0) {
            return Err(format!("`{text}` must be above zero"));
        }
        Ok(bounds)
    }
}

/// `message`, and for money typed without its `$` a hint that the shell may have taken it: unquoted,
/// `--budget $63M` reaches llmcalc as `3M` (`$6` is an empty shell variable).
fn dollar_hint(text: &str, dimension: Dimension, message: String) -> String {
    let money = matches!(dimension, Dimension::Money | Dimension::MoneyRate);
    if money && !text.contains('$') {
        format!(
            "{message}; if you typed a `$`, the shell took it and the digit after it: quote the value, as in '$63M'"
        )
    } else {
        message
    }
}

/// A parser for a single value of a typed quantity above zero.
pub fn single<Q: Quantity + Copy + PartialOrd + Send + Sync + 'static>(
    bare: Option<f64>,
) -> impl Fn(&str) -> Result<Q, String> + Clone {
    move |text: &str| one(text, parse::<Q>(bare)(text)?)
}

/// The value of a range whose ends are equal.
fn one<T: PartialEq>(text: &str, bounds: Bounds<T>) -> Result<T, String> {
    if bounds.low != bounds.high {
        return Err(format!("`{text}` is a range; give one value"));
    }
    Ok(bounds.low)
}

/// A count above zero: `6144`, `238.3k`.
pub fn count(text: &str) -> Result<f64, String> {
    let value = read(text, Dimension::Count, None).map_err(|e| e.to_string())?;
    if value <= 0.0 {
        return Err(format!("`{text}` must be above zero"));
    }
    Ok(value)
}

/// A count or range of counts above zero: `25000`, `13T`, `8000..8192`.
pub fn counts(text: &str) -> Result<Bounds<f64>, String> {
    let (low, high) = read_range(text, Dimension::Count, None).map_err(|e| e.to_string())?;
    if low <= 0.0 {
        return Err(format!("`{text}` must be above zero"));
    }
    Ok(Bounds::new(low, high))
}

/// Whole GPUs, at least one, up to a billion: `25000`, `8000..8192`.
pub fn gpu_counts(text: &str) -> Result<Bounds<f64>, String> {
    let b = counts(text)?;
    let whole = |v: f64| v.fract() == 0.0 && (1.0..=1e9).contains(&v);
    if !(whole(b.low) && whole(b.high)) {
        return Err(format!(
            "`{text}` is not a whole number of GPUs from 1 to 1,000,000,000"
        ));
    }
    Ok(b)
}

/// One whole number of GPUs.
pub fn gpu_count(text: &str) -> Result<f64, String> {
    one(text, gpu_counts(text)?)
}

/// `GPU=PRICE`: a price for one GPU type.
pub fn gpu_price(text: &str) -> Result<(String, Bounds<MoneyRate>), String> {
    let (gpu, price) = text
        .split_once('=')
        .ok_or_else(|| format!("`{text}` is not `GPU=PRICE` (e.g. `h100=$2.49/h`)"))?;
    Ok((
        gpu.trim().to_string(),
        parse::<MoneyRate>(Some(1.0 / 3600.0))(price)?,
    ))
}

/// A fraction or range of fractions in (0, 1]: `0.34`, `34%`.
pub fn fractions(text: &str) -> Result<Bounds<f64>, String> {
    let (low, high) = read_range(text, Dimension::Fraction, None).map_err(|e| e.to_string())?;
    if low <= 0.0 || high > 1.0 {
        return Err(format!(
            "`{text}` is not a fraction above 0 and at most 1: write 0.34 or 34%"
        ));
    }
    Ok(Bounds::new(low, high))
}

/// A fraction in (0, 1].
pub fn fraction(text: &str) -> Result<f64, String> {
    one(text, fractions(text)?)
}

/// A share in [0, 1]: unlike a fraction, it may be zero.
pub fn share(text: &str) -> Result<f64, String> {
    let value = read(text, Dimension::Fraction, None).map_err(|e| e.to_string())?;
    if !(0.0..=1.0).contains(&value) {
        return Err(format!(
            "`{text}` is not a share from 0 to 1 (or 0% to 100%)"
        ));
    }
    Ok(value)
}

/// A power usage effectiveness: 1 (no overhead) to 10.
pub fn pue(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(v) if (1.0..=10.0).contains(&v) => Ok(v),
        _ => Err(format!(
            "`{text}` is not a PUE: a ratio from 1 (no overhead) to 10, e.g. 1.1"
        )),
    }
}

/// A precision by name, in any case.
pub fn precision(text: &str) -> Result<Precision, String> {
    Precision::from_name(&text.to_lowercase()).ok_or_else(|| {
        let names: Vec<&str> = Precision::ALL.iter().map(|p| p.name()).collect();
        format!("`{text}` is not a precision; one of {}", names.join(", "))
    })
}

/// A kind of GPU preset price: `hyperscaler-on-demand`, `neocloud-on-demand`, `reserved`, `claim`.
pub fn price_basis(text: &str) -> Result<PriceKind, String> {
    PriceKind::from_name(&text.to_lowercase()).ok_or_else(|| {
        format!(
            "`{text}` is not a price basis; one of {}",
            PriceKind::names()
        )
    })
}

/// A whole number of tokens from 1 to 1T: `2048`, `8k`, `32K`.
pub fn tokens(text: &str) -> Result<u64, String> {
    let n = read(text, Dimension::Count, None).map_err(|e| e.to_string())?;
    if n.fract() != 0.0 || !(1.0..=1e12).contains(&n) {
        return Err(format!(
            "`{text}` is not a whole number of tokens from 1 to 1T"
        ));
    }
    Ok(n as u64)
}

/// A whole number above zero, up to 10^15: `8`, `25000`, `25k`.
pub fn whole(text: &str) -> Result<u64, String> {
    let value = count(text)?;
    if value.fract() != 0.0 || value > 1e15 {
        return Err(format!("`{text}` is not a whole number"));
    }
    Ok(value as u64)
}

/// A memory reserve: a share of the GPU (`10%`) or an amount with its unit (`4GiB`); a bare number is
/// refused, as it could mean either.
pub fn reserve(text: &str) -> Result<Reserve, String> {
    if text.trim().ends_with('%') {
        return Ok(Reserve::Fraction(share(text)?));
    }
    if text.trim().parse::<f64>().is_ok() {
        return Err(format!("`{text}` needs `%` or a unit: `10%` or `4GiB`"));
    }
    let bytes = read(text, Dimension::Information, None).map_err(|e| e.to_string())?;
    if bytes < 0.0 {
        return Err(format!("`{text}` is negative"));
    }
    Ok(Reserve::Bytes(Information::new::<byte>(bytes)))
}

/// `WIDTHxHEIGHT` in pixels, each side from 1 to a million.
pub fn image_size(text: &str) -> Result<(u64, u64), String> {
    let (w, h) = text
        .split_once(['x', 'X', '×'])
        .ok_or_else(|| format!("`{text}` is not WIDTHxHEIGHT (e.g. `1024x1024`)"))?;
    let side = |s: &str| match s.trim().parse::<u64>() {
        Ok(v) if (1..=1_000_000).contains(&v) => Ok(v),
        _ => Err(format!(
            "`{s}` in `{text}` is not a size in pixels from 1 to 1,000,000"
        )),
    };
    Ok((side(w)?, side(h)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::units::{Compute, Time};

    /// Asserts that `parser` rejects `text` with a message containing `expected`.
    fn rejects<T: std::fmt::Debug>(
        parser: impl Fn(&str) -> Result<T, String>,
        text: &str,
        expected: &str,
    ) {
        match parser(text) {
            Ok(value) => panic!("`{text}` was accepted as {value:?}"),
            Err(message) => assert!(message.contains(expected), "`{text}`: {message}"),
        }
    }

    #[test]
    fn choice_reads_names_and_lists_them_bare() {
        use crate::domain::memory::Optimizer;
        use clap::builder::TypedValueParser;
        let command = clap::Command::new("test");
        let parse = |text: &str| choice::<Optimizer>().parse_ref(&command, None, text.as_ref());
        assert_eq!(parse("adam-8bit").unwrap(), Optimizer::Adam8bit);
        assert_eq!(parse("sgd").unwrap(), Optimizer::Sgd);
        assert!(parse("adam8bit").is_err());
        let values: Vec<_> = choice::<Optimizer>().possible_values().unwrap().collect();
        assert_eq!(values.len(), 3);
        assert!(values.iter().all(|v| v.get_help().is_none()));
    }

    #[test]
    fn count_takes_suffixes_and_refuses_zero() {
        assert_eq!(count("6144"), Ok(6144.0));
        assert_eq!(count("238.3k"), Ok(238_300.0));
        assert_eq!(count("4M"), Ok(4e6));
        rejects(count, "0", "must be above zero");
        rejects(count, "-3", "");
        rejects(count, "80GiB", "this field takes a count");
        rejects(count, "many", "");
    }

    #[test]
    fn counts_take_ranges() {
        assert_eq!(counts("13T"), Ok(Bounds::new(13e12, 13e12)));
        assert_eq!(counts("8000..8192"), Ok(Bounds::new(8000.0, 8192.0)));
        rejects(counts, "0..10", "must be above zero");
    }

    #[test]
    fn gpu_counts_are_whole_and_bounded() {
        assert_eq!(gpu_counts("25000"), Ok(Bounds::new(25_000.0, 25_000.0)));
        assert_eq!(gpu_counts("1e9"), Ok(Bounds::new(1e9, 1e9)));
        rejects(gpu_counts, "2.5", "not a whole number of GPUs");
        rejects(gpu_counts, "8..8.5", "not a whole number of GPUs");
        rejects(gpu_counts, "2e9", "from 1 to 1,000,000,000");
        assert_eq!(gpu_count("64"), Ok(64.0));
        rejects(gpu_count, "64..128", "is a range");
    }

    #[test]
    fn gpu_price_pairs_a_name_with_an_hourly_price() {
        let (gpu, price) = gpu_price(" h100 =$3.6/h").unwrap();
        assert_eq!(gpu, "h100");
        assert!((price.low.value - 0.001).abs() < 1e-15, "{price:?}");
        // A bare number is dollars per hour.
        let (_, bare) = gpu_price("h100=3.6").unwrap();
        assert_eq!(bare, price);
        rejects(gpu_price, "h100", "is not `GPU=PRICE`");
        rejects(gpu_price, "h100=$0/h", "must be above zero");
    }

    #[test]
    fn money_whose_dollar_the_shell_took_gets_a_hint() {
        use crate::domain::units::Money;
        // `--budget $63M` unquoted arrives as `3M`, `--price h100=$2.49/h` as `h100=.49/h`.
        rejects(parse::<Money>(None), "3M", "quote the value, as in '$63M'");
        rejects(gpu_price, "h100=.49/h", "the shell took it");
        rejects(single::<MoneyRate>(None), "/h", "the shell took it");
        // A value with its `$` that is wrong for another reason gets no hint.
        let message = parse::<Money>(None)("$5 days").unwrap_err();
        assert!(!message.contains("shell"), "{message}");
    }

    #[test]
    fn fractions_are_above_zero_and_at_most_one() {
        assert_eq!(fractions("0.34"), Ok(Bounds::new(0.34, 0.34)));
        assert_eq!(fractions("34%"), Ok(Bounds::new(0.34, 0.34)));
        assert_eq!(fractions("0.32..0.36"), Ok(Bounds::new(0.32, 0.36)));
        assert_eq!(fraction("1"), Ok(1.0));
        rejects(fractions, "0", "not a fraction above 0");
        rejects(fractions, "1.2", "at most 1");
        rejects(fractions, "34", "at most 1");
        rejects(fraction, "0.3..0.4", "is a range");
    }

    #[test]
    fn shares_may_be_zero() {
        assert_eq!(share("0"), Ok(0.0));
        assert_eq!(share("100%"), Ok(1.0));
        assert_eq!(share("0.25"), Ok(0.25));
        rejects(share, "101%", "not a share from 0 to 1");
        rejects(share, "-0.1", "");
    }

    #[test]
    fn pue_is_a_plain_ratio_from_one_to_ten() {
        assert_eq!(pue("1"), Ok(1.0));
        assert_eq!(pue(" 1.1 "), Ok(1.1));
        assert_eq!(pue("10"), Ok(10.0));
        rejects(pue, "0.9", "not a PUE");
        rejects(pue, "11", "not a PUE");
        rejects(pue, "110%", "not a PUE");
        rejects(pue, "NaN", "not a PUE");
    }

    #[test]
    fn precision_by_name_in_any_case() {
        assert_eq!(precision("BF16"), Ok(Precision::Bf16));
        assert_eq!(precision("fp8"), Ok(Precision::Fp8));
        rejects(precision, "fp3", "not a precision; one of");
    }

    #[test]
    fn tokens_are_whole_from_one_to_a_trillion() {
        assert_eq!(tokens("2048"), Ok(2048));
        assert_eq!(tokens("8k"), Ok(8000));
        assert_eq!(tokens("1T"), Ok(1_000_000_000_000));
        rejects(tokens, "0", "not a whole number of tokens");
        rejects(tokens, "1.5", "not a whole number of tokens");
        rejects(tokens, "2T", "from 1 to 1T");
    }

    #[test]
    fn whole_numbers() {
        assert_eq!(whole("8"), Ok(8));
        assert_eq!(whole("25k"), Ok(25_000));
        assert_eq!(whole("1e15"), Ok(1_000_000_000_000_000));
        rejects(whole, "0", "must be above zero");
        rejects(whole, "2.5", "not a whole number");
        rejects(whole, "2e15", "not a whole number");
    }

    #[test]
    fn reserve_is_a_share_or_an_amount() {
        assert!(matches!(reserve("10%"), Ok(Reserve::Fraction(f)) if f == 0.1));
        assert!(matches!(reserve("0%"), Ok(Reserve::Fraction(f)) if f == 0.0));
        assert!(
            matches!(reserve("4GiB"), Ok(Reserve::Bytes(b)) if b.get::<byte>() == 4.0 * 1024f64.powi(3))
        );
        rejects(reserve, "4", "needs `%` or a unit");
        rejects(reserve, "120%", "not a share");
        rejects(reserve, "4 weeks", "");
    }

    #[test]
    fn image_size_takes_any_x() {
        assert_eq!(image_size("1024x768"), Ok((1024, 768)));
        assert_eq!(image_size("1024X768"), Ok((1024, 768)));
        assert_eq!(image_size("1024×768"), Ok((1024, 768)));
        assert_eq!(image_size("1x1000000"), Ok((1, 1_000_000)));
        rejects(image_size, "1024", "is not WIDTHxHEIGHT");
        rejects(image_size, "0x10", "`0` in `0x10` is not a size");
        rejects(image_size, "10x1000001", "is not a size in pixels");
        rejects(image_size, "axb", "is not a size in pixels");
    }

    #[test]
    fn typed_quantities_with_a_factor_for_bare_numbers() {
        let days = parse::<Time>(Some(86_400.0));
        assert_eq!(days("2").unwrap().low.value, 2.0 * 86_400.0);
        assert_eq!(days("12h").unwrap().low.value, 12.0 * 3600.0);
        let range = days("90..100").unwrap();
        assert_eq!(
            (range.low.value, range.high.value),
            (90.0 * 86_400.0, 100.0 * 86_400.0)
        );
        rejects(&days, "0", "must be above zero");
        rejects(&days, "80GiB", "");
        let flop = single::<Compute>(None);
        assert_eq!(flop("2.15e25 FLOP").unwrap().value, 2.15e25);
        rejects(&flop, "1e24..2e24", "is a range");
    }
}
