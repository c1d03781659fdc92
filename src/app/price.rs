//! Which price per GPU-hour a command uses, and where it comes from: a price given for the run, the
//! model preset's claims (for the claimed run), or one of the GPU preset's prices — the first it lists,
//! or the first of the kind asked for (the price basis), so that GPUs compared like for like are
//! priced on one basis.

use serde::Serialize;

use crate::domain::hardware::{Gpu, Price, PriceKind};
use crate::domain::training::PriceSource;
use crate::domain::units::MoneyRate;

/// Where a price per GPU-hour comes from, as every command reports it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PriceOrigin {
    /// `given`, `claims` or `preset`.
    pub source: PriceSource,
    /// The preset it is read from: the GPU's, or the model's for its claims; none when given.
    pub preset: Option<String>,
    /// The price's kind: the GPU preset's (none where the file states none), `claim` for a model's
    /// claims, none for a given price.
    pub kind: Option<PriceKind>,
    /// When the preset's price was read.
    pub date: Option<String>,
    /// Where the preset's price was read.
    pub reference: Option<String>,
    /// The GPU preset marks its price uncertain.
    pub uncertain: bool,
}

impl PriceOrigin {
    /// A price given for the run.
    pub fn given() -> PriceOrigin {
        PriceOrigin {
            source: PriceSource::Given,
            preset: None,
            kind: None,
            date: None,
            reference: None,
            uncertain: false,
        }
    }

    /// The price the claims of `model` record for its claimed run.
    pub fn claims(model: &str) -> PriceOrigin {
        PriceOrigin {
            source: PriceSource::Claims,
            preset: Some(model.to_string()),
            kind: Some(PriceKind::Claim),
            ..PriceOrigin::given()
        }
    }

    /// One of `gpu`'s preset prices.
    pub fn preset(gpu: &Gpu, price: &Price) -> PriceOrigin {
        PriceOrigin {
            source: PriceSource::Preset,
            preset: Some(gpu.id.clone()),
            kind: price.kind,
            date: Some(price.date.clone()),
            reference: Some(price.source.clone()),
            uncertain: price.uncertain,
        }
    }

    /// Where the price comes from, for people: `--price`, `the gpt-4 preset's claims (claim)`, `the
    /// h100 preset: hyperscaler-on-demand, 2026`, with `, uncertain` where the preset says so.
    pub fn describe(&self) -> String {
        let preset = self.preset.as_deref().unwrap_or_default();
        match self.source {
            PriceSource::Given => "--price".to_string(),
            PriceSource::Claims => format!("the {preset} preset's claims (claim)"),
            PriceSource::Preset => format!(
                "the {preset} preset: {}, {}{}",
                self.kind.map_or("kind not stated", PriceKind::name),
                self.date.as_deref().unwrap_or_default(),
                if self.uncertain { ", uncertain" } else { "" }
            ),
        }
    }
}

/// The GPU preset's price on `basis` (the first it lists when none is asked for), with its origin.
pub fn preset_price(gpu: &Gpu, basis: Option<PriceKind>) -> Option<(MoneyRate, PriceOrigin)> {
    let price = match basis {
        Some(kind) => gpu.price_of(kind),
        None => gpu.price(),
    }?;
    Some((price.per_gpu_hour, PriceOrigin::preset(gpu, price)))
}

/// The price given, else the GPU preset's on `basis`: the price of a run with no claims to apply
/// (`plan`, `serve`).
pub fn price(
    given: Option<MoneyRate>,
    gpu: &Gpu,
    basis: Option<PriceKind>,
) -> Option<(MoneyRate, PriceOrigin)> {
    match given {
        Some(price) => Some((price, PriceOrigin::given())),
        None => preset_price(gpu, basis),
    }
}

/// The origin of a solved run's price, from the source the solver reports: the claims of `model`,
/// or the GPU preset's price that was offered (`preset`).
pub fn solved_origin(
    source: PriceSource,
    model: &str,
    preset: Option<&PriceOrigin>,
) -> PriceOrigin {
    match (source, preset) {
        (PriceSource::Given, _) => PriceOrigin::given(),
        (PriceSource::Preset, Some(origin)) => origin.clone(),
        (PriceSource::Claims | PriceSource::Preset, _) => PriceOrigin::claims(model),
    }
}

/// Whether the model's claimed price applies on the claimed GPU: on the `claim` basis, and with no
/// basis where the command reproduces the claimed run (`train`; `compare` prices every GPU from its
/// preset instead, so that one GPU is not priced at a claim and the others at list prices).
pub fn claimed_price_applies(basis: Option<PriceKind>, by_default: bool) -> bool {
    match basis {
        Some(kind) => kind == PriceKind::Claim,
        None => by_default,
    }
}

/// Why a GPU has no price on `basis`, for people.
pub fn no_price(gpu: &Gpu, basis: Option<PriceKind>) -> String {
    match basis {
        Some(kind) => format!("the {} preset lists no {} price", gpu.id, kind.name()),
        None => format!("the {} preset lists no price", gpu.id),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::hardware::GpuSpec;
    use crate::domain::units::unit::dollar_per_hour;

    /// A GPU listing an AWS on-demand price, then a neocloud one, the second marked uncertain by the
    /// preset-wide `uncertain` list (which marks every price).
    fn gpu(uncertain: &str) -> Gpu {
        let spec: GpuSpec = toml::from_str(&format!(
            "name = \"X\"\nvendor = \"V\"\nsource = \"s\"\nuncertain = [{uncertain}]\n\
             [peak]\nbf16 = \"100 TFLOP/s\"\n[memory]\ncapacity = \"32 GiB\"\nbandwidth = \"1 TB/s\"\n\
             [[price]]\nper_gpu_hour = \"$6.88/h\"\nkind = \"hyperscaler-on-demand\"\nsource = \"a\"\ndate = \"2026\"\n\
             [[price]]\nper_gpu_hour = \"$3.78/h\"\nkind = \"neocloud-on-demand\"\nsource = \"b\"\ndate = \"2026-05\"\n"
        ))
        .unwrap();
        Gpu::from_spec("x".into(), spec).unwrap()
    }

    #[test]
    fn the_basis_picks_the_first_price_of_its_kind() {
        let g = gpu("");
        let dollars = |p: Option<(MoneyRate, PriceOrigin)>| {
            p.map(|(rate, origin)| (rate.get::<dollar_per_hour>(), origin.kind))
        };
        let close = |a: Option<(f64, Option<PriceKind>)>, b: f64, kind: PriceKind| {
            let (rate, k) = a.unwrap();
            assert!((rate - b).abs() < 1e-12 && k == Some(kind), "{rate} {k:?}");
        };
        close(
            dollars(preset_price(&g, None)),
            6.88,
            PriceKind::HyperscalerOnDemand,
        );
        close(
            dollars(preset_price(&g, Some(PriceKind::NeocloudOnDemand))),
            3.78,
            PriceKind::NeocloudOnDemand,
        );
        assert_eq!(preset_price(&g, Some(PriceKind::Reserved)), None);
        assert_eq!(
            no_price(&g, Some(PriceKind::Reserved)),
            "the x preset lists no reserved price"
        );
        let given = MoneyRate::new::<dollar_per_hour>(2.0);
        assert_eq!(
            price(Some(given), &g, Some(PriceKind::Reserved)),
            Some((given, PriceOrigin::given()))
        );
    }

    #[test]
    fn each_origin_says_where_the_price_comes_from() {
        let (_, origin) = preset_price(&gpu(""), None).unwrap();
        assert_eq!(
            origin.describe(),
            "the x preset: hyperscaler-on-demand, 2026"
        );
        let (_, origin) = preset_price(&gpu("\"price.per_gpu_hour\""), None).unwrap();
        assert_eq!(
            origin.describe(),
            "the x preset: hyperscaler-on-demand, 2026, uncertain"
        );
        assert_eq!(
            PriceOrigin::claims("gpt-4").describe(),
            "the gpt-4 preset's claims (claim)"
        );
        assert_eq!(PriceOrigin::given().describe(), "--price");
        assert!(claimed_price_applies(None, true));
        assert!(!claimed_price_applies(None, false));
        assert!(claimed_price_applies(Some(PriceKind::Claim), false));
        assert!(!claimed_price_applies(
            Some(PriceKind::HyperscalerOnDemand),
            true
        ));
    }
}
