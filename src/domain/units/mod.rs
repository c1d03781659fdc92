//! Quantities with units.
//!
//! llmcalc works with five base quantities — time (second), information (byte), compute (FLOP), money
//! (US dollar) and energy (joule) — and the rates built from them. `uom::si` has no FLOP and no currency,
//! and uom's orphan rules forbid adding units to its SI system from outside, so this module defines a
//! small custom uom system with exactly these dimensions. Mixing them up is then a compile error: a
//! `Compute` divided by a `ComputeRate` is a `Time`, a `MoneyRate` times a `Time` is `Money`, and a
//! `Power` times a `Time` is `Energy`.
//!
//! Counts (parameters, tokens, GPUs) are dimensionless and stay plain numbers.
//!
//! Where the typed boundary sits: a quantity is a uom type wherever it crosses a module boundary —
//! function parameters and return values, and the public fields of option and input structs such as
//! `StepOptions`, `MemoryOptions` or the serving `Hardware`. Bare `f64` is used only inside one
//! function's arithmetic and in the serialised result structs (`Memory`, `StepTime`, `DecodeStep` and
//! the `*Result` types), whose JSON keys name the base unit (`*_bytes`, `*_seconds`) and stay as they
//! are. Hours and days come from uom conversions (`Time::get::<hour>()`), not from 3600 and 86,400.
//!
//! Everything uom-specific stays inside this module: [`parse`] turns what people type into quantities,
//! [`format`] prints them with a unit and three significant digits.

pub mod format;
pub mod parse;

/// A value or a range of values (`low == high` for a single value), as given or as solved.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct Bounds<T> {
    pub low: T,
    pub high: T,
}

impl<T: Copy> Bounds<T> {
    /// A range from `low` to `high`.
    pub fn new(low: T, high: T) -> Self {
        Bounds { low, high }
    }

    /// A single value.
    pub fn exact(value: T) -> Self {
        Bounds {
            low: value,
            high: value,
        }
    }

    /// Applies `f` to both ends.
    pub fn map<U>(self, f: impl Fn(T) -> U) -> Bounds<U> {
        Bounds {
            low: f(self.low),
            high: f(self.high),
        }
    }
}

impl<T: PartialEq> Bounds<T> {
    /// Whether this is a single value.
    pub fn is_exact(&self) -> bool {
        self.low == self.high
    }
}

/// SI prefixes, case-sensitive, from none to yotta.
const SI_PREFIXES: [(&str, f64); 9] = [
    ("", 1.0),
    ("k", 1e3),
    ("M", 1e6),
    ("G", 1e9),
    ("T", 1e12),
    ("P", 1e15),
    ("E", 1e18),
    ("Z", 1e21),
    ("Y", 1e24),
];

/// Binary (IEC) prefixes for bytes, from none to exbi.
const BINARY_PREFIXES: [(&str, f64); 7] = [
    ("", 1.0),
    ("Ki", 1024.0),
    ("Mi", 1048576.0),
    ("Gi", 1073741824.0),
    ("Ti", 1099511627776.0),
    ("Pi", 1125899906842624.0),
    ("Ei", 1152921504606846976.0),
];

#[macro_use]
mod time {
    quantity! {
        /// Time (base unit second, s).
        quantity: Time; "time";
        /// Time dimension.
        dimension: Q<P1, Z0, Z0, Z0, Z0>;
        units {
            @second: 1.0; "s", "second", "seconds";
            @hour: 3600.0; "h", "hour", "hours";
            @day: 86_400.0; "d", "day", "days";
        }
    }
}

#[macro_use]
mod information {
    quantity! {
        /// Information (base unit byte, B).
        quantity: Information; "information";
        /// Information dimension.
        dimension: Q<Z0, P1, Z0, Z0, Z0>;
        units {
            @byte: 1.0; "B", "byte", "bytes";
        }
    }
}

#[macro_use]
mod compute {
    quantity! {
        /// Compute: floating-point operations (base unit FLOP). A multiply-add counts as two.
        quantity: Compute; "compute";
        /// Compute dimension.
        dimension: Q<Z0, Z0, P1, Z0, Z0>;
        units {
            @flop: 1.0; "FLOP", "floating-point operation", "floating-point operations";
        }
    }
}

#[macro_use]
mod money {
    quantity! {
        /// Money (base unit US dollar, USD).
        quantity: Money; "money";
        /// Money dimension.
        dimension: Q<Z0, Z0, Z0, P1, Z0>;
        units {
            @dollar: 1.0; "USD", "US dollar", "US dollars";
        }
    }
}

#[macro_use]
mod bandwidth {
    quantity! {
        /// Bandwidth: information per time (base unit byte per second).
        quantity: Bandwidth; "bandwidth";
        /// Bandwidth dimension.
        dimension: Q<N1, P1, Z0, Z0, Z0>;
        units {
            @byte_per_second: 1.0; "B/s", "byte per second", "bytes per second";
        }
    }
}

#[macro_use]
mod compute_rate {
    quantity! {
        /// Compute rate: FLOP per second.
        quantity: ComputeRate; "compute rate";
        /// Compute-rate dimension.
        dimension: Q<N1, Z0, P1, Z0, Z0>;
        units {
            @flop_per_second: 1.0; "FLOP/s", "FLOP per second", "FLOP per second";
        }
    }
}

#[macro_use]
mod money_rate {
    quantity! {
        /// Money per time (base unit US dollar per second; prices are quoted per hour).
        quantity: MoneyRate; "money rate";
        /// Money-rate dimension.
        dimension: Q<N1, Z0, Z0, P1, Z0>;
        units {
            @dollar_per_second: 1.0; "USD/s", "US dollar per second", "US dollars per second";
            @dollar_per_hour: 1.0 / 3600.0; "USD/h", "US dollar per hour", "US dollars per hour";
        }
    }
}

#[macro_use]
mod energy {
    quantity! {
        /// Energy (base unit joule, J).
        quantity: Energy; "energy";
        /// Energy dimension.
        dimension: Q<Z0, Z0, Z0, Z0, P1>;
        units {
            @joule: 1.0; "J", "joule", "joules";
            @kilowatt_hour: 3.6e6; "kWh", "kilowatt-hour", "kilowatt-hours";
        }
    }
}

#[macro_use]
mod power {
    quantity! {
        /// Power: energy per time (base unit watt, W).
        quantity: Power; "power";
        /// Power dimension.
        dimension: Q<N1, Z0, Z0, Z0, P1>;
        units {
            @watt: 1.0; "W", "watt", "watts";
        }
    }
}

system! {
    quantities: Q {
        time: second, T;
        information: byte, I;
        compute: flop, C;
        money: dollar, M;
        energy: joule, E;
    }
    units: U {
        mod time::Time,
        mod information::Information,
        mod compute::Compute,
        mod money::Money,
        mod bandwidth::Bandwidth,
        mod compute_rate::ComputeRate,
        mod money_rate::MoneyRate,
        mod energy::Energy,
        mod power::Power,
    }
}

/// The quantity types in `f64`, the only storage type llmcalc uses.
pub mod f64 {
    mod units {
        pub use super::super::*;
    }
    Q!(self::units, f64);
}

pub use self::f64::{
    Bandwidth, Compute, ComputeRate, Energy, Information, Money, MoneyRate, Power, Time,
};

/// Unit markers, for building quantities in base units: `Compute::new::<flop>(2.0)`.
pub mod unit {
    pub use super::bandwidth::byte_per_second;
    pub use super::compute::flop;
    pub use super::compute_rate::flop_per_second;
    pub use super::energy::{joule, kilowatt_hour};
    pub use super::information::byte;
    pub use super::money::dollar;
    pub use super::money_rate::{dollar_per_hour, dollar_per_second};
    pub use super::power::watt;
    pub use super::time::{day, hour, second};
}

#[cfg(test)]
mod tests {
    use super::unit::*;
    use super::*;

    #[test]
    fn dimensions_compose() {
        // 2.15e25 FLOP at 25,000 × 312 TFLOP/s × 0.34 takes 7.45e6 s (= 86.3 days).
        let work = Compute::new::<flop>(2.15e25);
        let rate = ComputeRate::new::<flop_per_second>(25_000.0 * 312e12 * 0.34);
        let time: Time = work / rate;
        assert!((time.get::<second>() - 2.15e25 / (25_000.0 * 312e12 * 0.34)).abs() < 1.0);
        // $2 per GPU-hour for 24 hours is $48.
        let price = MoneyRate::new::<dollar_per_hour>(2.0);
        let cost: Money = price * Time::new::<hour>(24.0);
        assert!((cost.get::<dollar>() - 48.0).abs() < 1e-9);
        // 3.35 TB/s moves 80 GB in 23.9 ms.
        let bw = Bandwidth::new::<byte_per_second>(3.35e12);
        let t: Time = Information::new::<byte>(80e9) / bw;
        assert!((t.get::<second>() - 80e9 / 3.35e12).abs() < 1e-12);
        // 700 W for 24 hours is 16.8 kWh.
        let energy: Energy = Power::new::<watt>(700.0) * Time::new::<hour>(24.0);
        assert!((energy.get::<kilowatt_hour>() - 16.8).abs() < 1e-9);
    }
}
