//! `llmcalc train`: what a training run costs, on how many GPUs, for how long, at what MFU — solving
//! whichever of them was not given — with the training compute broken down and the energy it takes.

use serde::Serialize;

use super::params::ModelInfo;
use crate::catalog::presets;
use crate::domain::hardware::{Gpu, Precision};
use crate::domain::model::Model;
use crate::domain::model::flops::{self, FlopsOptions, Masking, Recompute};
use crate::domain::model::params;
use crate::domain::training::{self, Known, Run, Term};
use crate::domain::units::format;
use crate::domain::units::unit::{dollar_per_hour, dollar_per_second, hour, joule, second};
use crate::domain::units::{Bounds, Compute, ComputeRate, Energy, Money, MoneyRate, Power, Time};
use crate::error::{Error, Result};
use crate::render::range;

/// What `llmcalc train` was asked. Every run figure may be a range.
#[derive(Clone, Debug, Default)]
pub struct TrainRequest {
    /// The model, unless the compute is given directly.
    pub model: Option<Model>,
    /// Total training compute, in place of a model and tokens.
    pub flops: Option<Bounds<Compute>>,
    pub tokens: Option<Bounds<f64>>,
    /// A GPU preset name or file; the model's claimed GPU when absent.
    pub gpu: Option<String>,
    pub precision: Option<Precision>,
    pub gpus: Option<Bounds<f64>>,
    pub mfu: Option<Bounds<f64>>,
    pub duration: Option<Bounds<Time>>,
    pub gpu_hours: Option<Bounds<f64>>,
    pub budget: Option<Bounds<Money>>,
    pub price: Option<Bounds<MoneyRate>>,
    /// Power usage effectiveness of the data centre; 1 counts the GPUs' board power alone.
    pub pue: f64,
    pub seq_len: Option<u64>,
    pub masking: Option<Masking>,
    pub recompute: Option<Recompute>,
}

/// One part of the training compute.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ComputePart {
    pub part: &'static str,
    pub flops: Bounds<Compute>,
}

/// Which GPU, and the peak the run is measured against.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct GpuInfo {
    pub id: String,
    pub name: String,
    pub precision: Precision,
    /// Dense peak per GPU at `precision`.
    pub peak_flops_per_second: ComputeRate,
}

/// The result of `llmcalc train`: numbers in base units, each a `{low, high}` range (equal ends for a
/// single value).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TrainResult {
    pub model: Option<ModelInfo>,
    pub gpu: GpuInfo,
    pub tokens: Option<Bounds<f64>>,
    /// Model FLOPs per token (forward and backward), when a model is given.
    pub training_flops_per_token: Option<Compute>,
    pub total_flops: Bounds<Compute>,
    /// Training compute by part; with recompute, the extra hardware FLOPs as a separate part.
    pub compute_parts: Vec<ComputePart>,
    /// Model FLOPs plus recompute.
    pub hardware_flops: Option<Bounds<Compute>>,
    pub gpus: Option<Bounds<f64>>,
    pub mfu: Bounds<f64>,
    /// A solved MFU counting only the weights' FLOPs (the 6N rule), as many reports do; PaLM's
    /// definition, `mfu`, also counts attention over the context.
    pub mfu_without_attention: Option<Bounds<f64>>,
    /// Hardware FLOPs utilisation: MFU × hardware FLOPs / model FLOPs.
    pub hfu: Option<Bounds<f64>>,
    pub wall_clock_seconds: Option<Bounds<Time>>,
    pub gpu_hours: Bounds<f64>,
    pub price_usd_per_gpu_hour: Option<Bounds<f64>>,
    pub cost_usd: Option<Bounds<Money>>,
    pub pue: f64,
    /// Board power per GPU, from the GPU preset.
    pub power_watts: Option<Power>,
    pub energy_joules: Option<Bounds<Energy>>,
    pub tokens_per_second: Option<Bounds<f64>>,
    pub tokens_per_second_per_gpu: Option<Bounds<f64>>,
    pub achieved_flops_per_second_per_gpu: Bounds<ComputeRate>,
    /// The run terms given on the command line or taken from the preset's claims.
    pub given: Vec<Term>,
    /// The run terms solved from the others.
    pub solved: Vec<Term>,
    /// Inputs taken from the model preset's claims, by claim name.
    pub from_claims: Vec<&'static str>,
    /// Where the price came from.
    pub price_source: Option<String>,
    /// Solved values that cannot be, with the reason.
    pub impossible: Vec<String>,
    /// The run terms those reasons are about.
    pub impossible_terms: Vec<Term>,
    /// Solved terms that differ from what the preset's claims record for the same run.
    pub differs_from_claims: Vec<String>,
}

fn argument(argument: &str, message: impl Into<String>) -> Error {
    Error::Argument {
        argument: argument.into(),
        message: message.into(),
    }
}

/// Solves a training run.
pub fn train(request: &TrainRequest) -> Result<TrainResult> {
    let model = request.model.as_ref();
    let claims = model.map(|m| &m.claims);
    let claimed_gpu = claims.and_then(|c| c.gpu.clone());
    let (gpu_name, use_claims) = match (&request.gpu, claimed_gpu) {
        (Some(name), Some(claimed)) => {
            // Naming the claimed GPU (by name or alias) keeps the claimed run.
            let same = presets::load_gpu(name, &[])
                .is_ok_and(|g| presets::load_gpu(&claimed, &[]).is_ok_and(|c| c.id == g.id));
            (name.clone(), same)
        }
        (Some(name), None) => (name.clone(), false),
        (None, Some(name)) => (name, true),
        (None, None) => {
            return Err(argument(
                "--gpu",
                "give the GPU to train on (`llmcalc gpus` lists them); the model's claims name none",
            ));
        }
    };
    let gpu: Gpu = presets::load_gpu(&gpu_name, &[])?;
    let (precision, peak) = gpu.peak_for(request.precision)?;

    let mut from_claims: Vec<&'static str> = Vec::new();

    // Compute: given, or tokens × training FLOPs per token of the model.
    let mut tokens = request.tokens;
    let mut per_token = None;
    let mut parts = Vec::new();
    let mut hardware_flops = None;
    let total_flops = match (request.flops, model) {
        (Some(flops), _) => {
            parts.push(ComputePart {
                part: "given (--flops)",
                flops,
            });
            flops
        }
        (None, Some(model)) => {
            if tokens.is_none() {
                tokens = claims
                    .and_then(|c| c.training_tokens)
                    .map(|f| Bounds::new(f.low, f.high));
                if tokens.is_some() {
                    from_claims.push("training_tokens");
                }
            }
            let tokens = tokens.ok_or_else(|| {
                argument(
                    "--tokens",
                    format!(
                        "give the training tokens: {}'s claims record none",
                        model.id
                    ),
                )
            })?;
            let arch = model.architecture("training compute")?;
            let p = params::count(&model.id, arch)?;
            let options = FlopsOptions::new(
                arch,
                request.seq_len,
                None,
                request.masking.unwrap_or(Masking::Full),
                request.recompute.unwrap_or(Recompute::None),
            )?;
            let f = flops::count(arch, &p, &options);
            let times = |c: Compute| tokens.map(|t| c * t);
            let attention = f.attention_flops_per_token * 3.0;
            parts.push(ComputePart {
                part: "weights (6 × matmul weights per token)",
                flops: times(f.training_flops_per_token - attention),
            });
            parts.push(ComputePart {
                part: "attention over the context",
                flops: times(attention),
            });
            let recomputed = f.hardware_flops_per_token - f.training_flops_per_token;
            if recomputed > Compute::default() {
                parts.push(ComputePart {
                    part: "recompute (hardware FLOPs only)",
                    flops: times(recomputed),
                });
                hardware_flops = Some(times(f.hardware_flops_per_token));
            }
            per_token = Some((f.training_flops_per_token, f.hardware_flops_per_token));
            times(f.training_flops_per_token)
        }
        (None, None) => {
            return Err(argument(
                "MODEL",
                "give a model, or the compute with --flops",
            ));
        }
    };

    // Price: given, the claimed one for the claimed GPU, or the GPU preset's.
    let (price, price_source) = match (
        request.price,
        use_claims.then(|| claims.and_then(|c| c.price)).flatten(),
    ) {
        (Some(price), _) => (Some(price), Some("--price".to_string())),
        (None, Some(claimed)) => {
            from_claims.push("price");
            let per_second = MoneyRate::new::<dollar_per_second>;
            (
                Some(Bounds::new(
                    per_second(claimed.low),
                    per_second(claimed.high),
                )),
                Some("the model preset's claims".to_string()),
            )
        }
        (None, None) => match &gpu.price {
            Some(p) => (
                Some(Bounds::exact(p.per_gpu_hour)),
                Some(format!("the {} preset ({})", gpu.id, p.date)),
            ),
            None => (None, None),
        },
    };

    let mut known = Known {
        compute: Some(total_flops),
        gpus: request.gpus,
        mfu: request.mfu,
        duration: request.duration,
        gpu_time: request.gpu_hours.map(|b| b.map(Time::new::<hour>)),
        budget: request.budget,
        price,
        peak,
    };
    if use_claims && let Some(c) = claims {
        fill_from_claims(&mut known, c, &mut from_claims);
    }
    let run = training::solve(&known).map_err(|e| argument("run", e.to_string()))?;
    let differs_from_claims = match (use_claims, claims, run.compute) {
        (true, Some(c), Some(compute)) => claim_differences(c, &run, compute),
        _ => Vec::new(),
    };
    Ok(result(
        request,
        model,
        &gpu,
        precision,
        tokens,
        per_token,
        parts,
        hardware_flops,
        run,
        (from_claims, differs_from_claims),
        price_source,
    ))
}

/// How many of the run's degrees of freedom are fixed: compute, GPUs, MFU and duration count one each;
/// GPU-hours or a budget (with a price) fix GPUs × duration.
fn fixed(k: &Known) -> usize {
    let time = usize::from(k.gpu_time.is_some() || (k.budget.is_some() && k.price.is_some()));
    [
        k.compute.is_some(),
        k.gpus.is_some(),
        k.mfu.is_some(),
        k.duration.is_some(),
    ]
    .into_iter()
    .filter(|&b| b)
    .count()
        + time
}

/// Fills what the command line left open from the model's claimed run — GPUs, then MFU, then days,
/// then GPU-hours — until the run can be solved.
fn fill_from_claims(
    known: &mut Known,
    c: &crate::domain::claims::Claims,
    from: &mut Vec<&'static str>,
) {
    if fixed(known) < 3
        && known.gpus.is_none()
        && known.gpu_time.is_none()
        && let Some(g) = c.gpus
    {
        known.gpus = Some(Bounds::new(g.low, g.high));
        from.push("gpus");
    }
    if fixed(known) < 3
        && known.mfu.is_none()
        && let Some(m) = c.mfu
    {
        known.mfu = Some(Bounds::new(m.low, m.high));
        from.push("mfu");
    }
    if fixed(known) < 3
        && known.duration.is_none()
        && known.gpu_time.is_none()
        && let Some(d) = c.days
    {
        let days = |s: f64| Time::new::<second>(s);
        known.duration = Some(Bounds::new(days(d.low), days(d.high)));
        from.push("days");
    }
    if fixed(known) < 3
        && known.gpu_time.is_none()
        && (known.gpus.is_none() || known.duration.is_none())
        && let Some(h) = c.gpu_hours
    {
        let hours = |h: f64| Time::new::<hour>(h);
        known.gpu_time = Some(Bounds::new(hours(h.low), hours(h.high)));
        from.push("gpu_hours");
    }
}

/// Solved terms that land more than 10% from the preset's claim for the same run, with the compute
/// each side rests on, so that a reader sees where the difference comes from.
fn claim_differences(
    c: &crate::domain::claims::Claims,
    run: &Run,
    compute: Bounds<Compute>,
) -> Vec<String> {
    let mid = |low: f64, high: f64| (low + high) / 2.0;
    let mut out = Vec::new();
    let mut check = |name: &str,
                     solved: Option<Bounds<f64>>,
                     claim: Option<(f64, f64)>,
                     show: &dyn Fn(f64) -> String| {
        if let (Some(s), Some((low, high))) = (solved, claim) {
            let ratio = mid(s.low, s.high) / mid(low, high);
            if !(0.9..=1.1).contains(&ratio) {
                let claimed = if low == high {
                    show(low)
                } else {
                    format!("{} .. {}", show(low), show(high))
                };
                out.push(format!(
                    "solved {name} {} differ from the claimed {claimed} ({}×)",
                    range(s, show),
                    format::sig3(ratio)
                ));
            }
        }
    };
    let days = |d: f64| format!("{} days", format::sig3(d / 86_400.0));
    if run.solved.contains(&Term::Duration) {
        check(
            "days",
            run.duration.map(|d| d.map(|t| t.get::<second>())),
            c.days.map(|d| (d.low, d.high)),
            &days,
        );
    }
    if run.solved.contains(&Term::GpuTime) {
        check(
            "GPU-hours",
            run.gpu_time.map(|t| t.map(|t| t.get::<hour>())),
            c.gpu_hours.map(|h| (h.low, h.high)),
            &format::count,
        );
    }
    if run.solved.contains(&Term::Mfu) {
        check(
            "MFU",
            run.mfu,
            c.mfu.map(|m| (m.low, m.high)),
            &format::percent,
        );
    }
    if run.solved.contains(&Term::Gpus) {
        check(
            "GPUs",
            run.gpus,
            c.gpus.map(|g| (g.low, g.high)),
            &format::count,
        );
    }
    if !out.is_empty()
        && let Some(claimed) = c.training_flops
    {
        out.push(format!(
            "the run rests on llmcalc's compute of {} (weights and attention over the context); the claims give {}",
            range(compute, format::compute),
            format::compute(Compute::new::<crate::domain::units::unit::flop>(claimed.mid()))
        ));
    }
    out
}

#[allow(clippy::too_many_arguments)]
fn result(
    request: &TrainRequest,
    model: Option<&Model>,
    gpu: &Gpu,
    precision: Precision,
    tokens: Option<Bounds<f64>>,
    per_token: Option<(Compute, Compute)>,
    compute_parts: Vec<ComputePart>,
    hardware_flops: Option<Bounds<Compute>>,
    run: Run,
    (from_claims, differs_from_claims): (Vec<&'static str>, Vec<String>),
    price_source: Option<String>,
) -> TrainResult {
    let gpu_time = run
        .gpu_time
        .expect("solve succeeds only with the GPU-time known");
    let mfu = run.mfu.expect("solve succeeds only with the MFU known");
    let total = run
        .compute
        .expect("solve succeeds only with the compute known");
    let energy = gpu.power.map(|power| {
        gpu_time.map(|t| {
            let joules = (power * t).get::<joule>() * request.pue;
            Energy::new::<joule>(joules)
        })
    });
    // Tokens per second follow from the FLOP/s the GPUs deliver over the FLOP each token costs; the
    // ends of the token range and of the duration range move together, so their ratio would mislead.
    let per_token_flops = per_token.map(|(model, _)| model);
    let tokens_per_second = run
        .aggregate_rate
        .zip(per_token_flops)
        .map(|(rate, f)| rate.map(|r| (r / f).value));
    let per_gpu = per_token_flops.map(|f| mfu.map(|m| (run.peak * m / f).value));
    let weights_share = compute_parts
        .iter()
        .find(|p| p.part.starts_with("weights"))
        .map(|p| (p.flops.low / total.low).value);
    // Only a solved MFU is split: a given one is taken as the user's own convention.
    let mfu_without_attention = weights_share
        .filter(|_| run.solved.contains(&Term::Mfu))
        .map(|share| mfu.map(|m| m * share));
    let hfu = per_token
        .filter(|(model, hardware)| hardware > model)
        .map(|(model, hardware)| mfu.map(|m| m * (hardware / model).value));
    TrainResult {
        model: model.and_then(|m| Some(ModelInfo::new(m, m.try_architecture()?))),
        gpu: GpuInfo {
            id: gpu.id.clone(),
            name: gpu.name.clone(),
            precision,
            peak_flops_per_second: run.peak,
        },
        tokens,
        training_flops_per_token: per_token.map(|(model, _)| model),
        total_flops: total,
        compute_parts,
        hardware_flops,
        gpus: run.gpus,
        mfu,
        mfu_without_attention,
        hfu,
        wall_clock_seconds: run.duration,
        gpu_hours: gpu_time.map(|t| t.get::<hour>()),
        price_usd_per_gpu_hour: run.price.map(|p| p.map(|r| r.get::<dollar_per_hour>())),
        cost_usd: run.cost,
        pue: request.pue,
        power_watts: gpu.power,
        energy_joules: energy,
        tokens_per_second,
        tokens_per_second_per_gpu: per_gpu,
        achieved_flops_per_second_per_gpu: mfu.map(|m| run.peak * m),
        given: run.given,
        solved: run.solved,
        from_claims,
        price_source,
        impossible: run.impossible,
        impossible_terms: run.impossible_terms,
        differs_from_claims,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_print_both_ends() {
        assert_eq!(
            range(Bounds::new(0.32, 0.36), format::percent),
            "32.0% .. 36.0%"
        );
        assert_eq!(range(Bounds::exact(0.34), format::percent), "34.0%");
    }
}
