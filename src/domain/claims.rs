//! Published figures recorded in a preset (`[claims]`), kept as published so that llmcalc can set them
//! against what it computes. A figure is a single value or a range (`"90..100"`), written as a number
//! or as a string with a unit (`"1.8T"`, `"2.15e25 FLOP"`, `"$63M"`, `"$1/h"`).

use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize};

use crate::domain::units::parse::{Dimension, read_range};
use crate::domain::units::unit::{day, dollar_per_hour, dollar_per_second, second};
use crate::domain::units::{MoneyRate, Time};

/// How one kind of claim is read: its dimension and the unit of a bare number.
pub trait Measure {
    /// Dimension of the values.
    const DIMENSION: Dimension;

    /// Factor to base units for a number written without a unit: one, unless the field has a
    /// natural unit of its own.
    fn bare() -> f64 {
        1.0
    }
}

/// Plain counts: parameters, tokens, GPUs, GPU-hours.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Count;
/// Fractions (MFU).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Fraction;
/// FLOP.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Flop;
/// Time; a bare number is in days.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Days;
/// US dollars.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Usd;
/// US dollars per GPU-hour; a bare number is per hour.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct UsdPerHour;

impl Measure for Count {
    const DIMENSION: Dimension = Dimension::Count;
}
impl Measure for Fraction {
    const DIMENSION: Dimension = Dimension::Fraction;
}
impl Measure for Flop {
    const DIMENSION: Dimension = Dimension::Compute;
}
impl Measure for Usd {
    const DIMENSION: Dimension = Dimension::Money;
}
impl Measure for Days {
    const DIMENSION: Dimension = Dimension::Time;

    /// Seconds in a day.
    fn bare() -> f64 {
        Time::new::<day>(1.0).get::<second>()
    }
}
impl Measure for UsdPerHour {
    const DIMENSION: Dimension = Dimension::MoneyRate;

    /// US dollars per second in one per hour.
    fn bare() -> f64 {
        MoneyRate::new::<dollar_per_hour>(1.0).get::<dollar_per_second>()
    }
}

/// A published figure in base units (count, fraction, FLOP, s, USD, USD/s): a value, or a range.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Figure<M> {
    pub low: f64,
    pub high: f64,
    #[serde(skip)]
    measure: PhantomData<M>,
}

impl<M> Figure<M> {
    /// A single value.
    pub fn exact(value: f64) -> Self {
        Figure {
            low: value,
            high: value,
            measure: PhantomData,
        }
    }

    /// The middle of the range (the value itself for a single value).
    pub fn mid(&self) -> f64 {
        (self.low + self.high) / 2.0
    }
}

impl<'de, M: Measure> Deserialize<'de> for Figure<M> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct FigureVisitor<M>(PhantomData<M>);

        impl<M: Measure> Visitor<'_> for FigureVisitor<M> {
            type Value = Figure<M>;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                write!(f, "{}, or a range `low..high`", M::DIMENSION.describe())
            }

            fn visit_str<E: de::Error>(self, text: &str) -> Result<Figure<M>, E> {
                let (low, high) =
                    read_range(text, M::DIMENSION, Some(M::bare())).map_err(E::custom)?;
                checked(text, low, high)
            }

            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Figure<M>, E> {
                self.visit_f64(v as f64)
            }

            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Figure<M>, E> {
                self.visit_f64(v as f64)
            }

            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Figure<M>, E> {
                checked(&v.to_string(), v * M::bare(), v * M::bare())
            }
        }

        /// A published figure is above zero, finite, and a fraction at most one.
        fn checked<M: Measure, E: de::Error>(
            text: &str,
            low: f64,
            high: f64,
        ) -> Result<Figure<M>, E> {
            for value in [low, high] {
                M::DIMENSION.check(text, value).map_err(E::custom)?;
            }
            if !(low > 0.0 && high.is_finite()) {
                return Err(E::custom(format!(
                    "`{text}` is not above zero and finite: a published figure is {}",
                    M::DIMENSION.describe()
                )));
            }
            if M::DIMENSION == Dimension::Fraction && high > 1.0 {
                return Err(E::custom(format!("`{text}` is above 1 (100%)")));
            }
            Ok(Figure {
                low,
                high,
                measure: PhantomData,
            })
        }

        deserializer.deserialize_any(FigureVisitor(PhantomData))
    }
}

/// `[claims]`: what the public record states about a model and its training run.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Claims {
    /// Where the figures come from, when not the preset's own source.
    pub source: Option<String>,
    pub total_params: Option<Figure<Count>>,
    pub active_params: Option<Figure<Count>>,
    /// Active parameters without the input embedding, which a token only looks up (the output head
    /// counts), as gpt-oss's model card counts them.
    pub active_params_without_embedding: Option<Figure<Count>>,
    /// Multi-token prediction modules, counted apart from the total (DeepSeek-V3's "14B").
    pub mtp_params: Option<Figure<Count>>,
    pub non_embedding_params: Option<Figure<Count>>,
    /// Parameters of one routed expert summed over all MoE layers ("16 experts of ~111B").
    pub expert_params: Option<Figure<Count>>,
    /// Attention parameters of all layers ("~55B shared attention parameters").
    pub attention_params: Option<Figure<Count>>,
    pub training_tokens: Option<Figure<Count>>,
    /// Tokens per optimizer step (the global batch) of the claimed run.
    pub batch_tokens: Option<Figure<Count>>,
    pub training_flops: Option<Figure<Flop>>,
    /// As published, including slips of units in the source.
    pub forward_flops_per_token: Option<Figure<Flop>>,
    /// What a dense model of the same total size would need per token, as published.
    pub dense_forward_flops_per_token: Option<Figure<Flop>>,
    pub hardware: Option<String>,
    /// The GPU preset that matches `hardware`, which `llmcalc train` uses for the claimed run.
    pub gpu: Option<String>,
    pub gpus: Option<Figure<Count>>,
    pub gpu_hours: Option<Figure<Count>>,
    pub days: Option<Figure<Days>>,
    pub mfu: Option<Figure<Fraction>>,
    pub cost: Option<Figure<Usd>>,
    pub price: Option<Figure<UsdPerHour>>,
}

/// A published figure set against what llmcalc computes.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ClaimCheck {
    /// The claim's field name in `[claims]`.
    pub claim: &'static str,
    pub published_low: f64,
    pub published_high: f64,
    pub computed: f64,
    /// Computed over published (the middle of a published range).
    pub ratio: f64,
}

impl ClaimCheck {
    /// Compares `computed` with the claim `claim`, if the preset records it.
    pub fn new<M>(claim: &'static str, figure: Option<&Figure<M>>, computed: f64) -> Option<Self> {
        let figure = figure?;
        Some(ClaimCheck {
            claim,
            published_low: figure.low,
            published_high: figure.high,
            computed,
            ratio: computed / figure.mid(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_numbers_strings_and_ranges() {
        let claims: Claims = toml::from_str(
            r#"
            total_params = "1.8T"
            gpus = 25000
            days = "90..100"
            mfu = "0.32..0.36"
            cost = "$63M"
            price = "$1/h"
            training_flops = 2.15e25
            "#,
        )
        .unwrap();
        assert_eq!(claims.total_params.unwrap().low, 1.8e12);
        assert_eq!(claims.gpus.unwrap().low, 25_000.0);
        let days = claims.days.unwrap();
        let one_day = Days::bare();
        assert_eq!((days.low, days.high), (90.0 * one_day, 100.0 * one_day));
        let mfu = claims.mfu.unwrap();
        assert_eq!((mfu.low, mfu.high), (0.32, 0.36));
        assert_eq!(claims.cost.unwrap().low, 63e6);
        assert_eq!(claims.price.unwrap().low, 1.0 / 3600.0);
        assert_eq!(one_day, 86_400.0);
        assert_eq!(claims.training_flops.unwrap().low, 2.15e25);
    }

    #[test]
    fn a_wrong_unit_names_the_field_dimension() {
        let err = toml::from_str::<Claims>("gpus = \"80 GiB\"").unwrap_err();
        assert!(err.message().contains("takes a count"), "{}", err.message());
        for bad in [
            "total_params = 0",
            "mfu = \"250%\"",
            "days = 1e308",
            "gpus = -3",
        ] {
            assert!(toml::from_str::<Claims>(bad).is_err(), "{bad}");
        }
        let err = toml::from_str::<Claims>("total = 1").unwrap_err();
        assert!(err.message().contains("unknown field"), "{}", err.message());
    }
}
