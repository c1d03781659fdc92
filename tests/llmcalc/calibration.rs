//! The step-time model against measured training runs.
//!
//! `tests/fixtures/calibration.toml` is a copy of 644 published, measured training throughputs with
//! their models and layouts (MosaicML llm-foundry, torchtitan, NVIDIA NeMo and Megatron-Bridge
//! performance summaries, Megatron-LM, NVIDIA dgxc-benchmarking; each row names its source and commit).
//! Every row llmcalc can express is recomputed here: the model from the row's shape, the GPU from its
//! preset, the layout from the row, and the predicted tokens per second per GPU set against the
//! measured one. The fitted constants of `kernels` and `collectives` were fitted on these rows only,
//! by `fit_constants` below (`cargo test --release --test llmcalc calibration::fit_constants --
//! --ignored --nocapture`).

use std::collections::BTreeMap;

use llmcalc::catalog::Catalog;
use llmcalc::domain::collectives::LinkConstants;
use llmcalc::domain::hardware::Precision;
use llmcalc::domain::kernels::{AttentionKernel, KernelConstants};
use llmcalc::domain::memory::{Layout, Optimizer, Reserve};
use llmcalc::domain::model::Model;
use llmcalc::domain::model::flops::Recompute;
use llmcalc::domain::model::spec::ModelSpec;
use llmcalc::domain::parallel::{TrainingOptions, TrainingSetup};
use llmcalc::domain::step::step_time;
use llmcalc::domain::units::Bandwidth;
use llmcalc::domain::units::unit::byte_per_second;
use serde::Deserialize;

#[derive(Deserialize)]
struct File {
    run: Vec<Run>,
}

#[derive(Deserialize)]
struct Run {
    id: String,
    gpu: String,
    gpus: u64,
    precision: String,
    model: Shape,
    layout: RowLayout,
    measured: Measured,
}

#[derive(Deserialize)]
struct Shape {
    arch: Option<String>,
    layers: Option<u64>,
    d_model: Option<u64>,
    heads: Option<u64>,
    kv_heads: Option<u64>,
    head_dim: Option<u64>,
    ffn: Option<u64>,
    moe_ffn: Option<u64>,
    experts: Option<u64>,
    top_k: Option<u64>,
    vocab: Option<u64>,
    seq: Option<u64>,
    mlp: Option<String>,
    tied_embeddings: Option<bool>,
    name: String,
}

#[derive(Deserialize)]
struct RowLayout {
    tp: Option<u64>,
    pp: Option<u64>,
    cp: Option<u64>,
    ep: Option<u64>,
    vp: Option<u64>,
    dp: Option<u64>,
    fsdp: Option<String>,
    micro_batch: Option<u64>,
    local_batch: Option<u64>,
    global_batch: Option<u64>,
    activation_checkpointing: Option<String>,
}

#[derive(Deserialize)]
struct Measured {
    tokens_per_s_per_gpu: Option<f64>,
    tokens_per_s: Option<f64>,
    step_s: Option<f64>,
}

/// A row llmcalc can recompute: its setup and layout, and the measured tokens per second per GPU.
struct Case {
    id: String,
    source: String,
    gpu: String,
    setup: TrainingSetup,
    layout: Layout,
    measured: f64,
}

/// Grok-1's expert count is not in the rows; the released model has 8 experts, top-2 (xAI, grok-1
/// model card, 2024).
const GROK_EXPERTS: u64 = 8;

fn load() -> (Vec<Case>, BTreeMap<&'static str, usize>) {
    let text = include_str!("../fixtures/calibration.toml");
    let file: File = toml::from_str(text).expect("calibration file parses");
    let mut skipped = BTreeMap::new();
    let mut cases = Vec::new();
    for run in file.run {
        match case(&run) {
            Ok(c) => cases.push(c),
            Err(why) => *skipped.entry(why).or_insert(0) += 1,
        }
    }
    (cases, skipped)
}

/// The measured tokens per second per GPU: from the step time where the source gives it (the
/// dgxc-benchmarking aggregates are rounded), else as published.
fn measured(run: &Run) -> Option<f64> {
    let m = &run.measured;
    let gpus = run.gpus as f64;
    match (m.step_s, run.layout.global_batch, run.model.seq) {
        (Some(step), Some(batch), Some(seq)) => Some((batch * seq) as f64 / (step * gpus)),
        _ => m.tokens_per_s_per_gpu.or(m.tokens_per_s.map(|t| t / gpus)),
    }
}

/// A preset describing the row's model.
fn model(run: &Run) -> Result<Model, &'static str> {
    let s = &run.model;
    let moe = s.arch.as_deref() == Some("moe");
    let (Some(layers), Some(d), Some(heads), Some(vocab), Some(seq)) =
        (s.layers, s.d_model, s.heads, s.vocab, s.seq)
    else {
        return Err("the source gives no model shape (hybrid Mamba models, unnamed shapes)");
    };
    let mlp = match s.mlp.as_deref() {
        Some("gelu") => "gelu",
        Some("squared-relu") => "relu",
        _ => "swiglu",
    };
    let ffn = s.ffn.unwrap_or(4 * d);
    let mut text = format!(
        "name = \"{}\"\nsource = \"calibration row\"\n[architecture]\nvocab = {vocab}\nd_model = {d}\n\
         context = {seq}\npositional = \"rotary\"\ntied_embeddings = {}\nnorm = \"rmsnorm\"\nbias = false\n\
         [decoder]\nlayers = {layers}\nheads = {heads}\nkv_heads = {}\nhead_dim = {}\nffn = {ffn}\nmlp = \"{mlp}\"\n",
        s.name,
        s.tied_embeddings.unwrap_or(false),
        s.kv_heads.unwrap_or(heads),
        s.head_dim.unwrap_or(d / heads),
    );
    if moe {
        let experts = s.experts.unwrap_or(GROK_EXPERTS);
        let top_k = s.top_k.ok_or("a MoE row without top-k")?;
        text += &format!(
            "[decoder.moe]\nexperts = {experts}\ntop_k = {top_k}\nexpert_ffn = {}\n",
            s.moe_ffn.unwrap_or(ffn)
        );
    }
    let spec: ModelSpec = toml::from_str(&text).map_err(|_| "shape not expressible")?;
    Model::from_spec(s.name.clone(), spec).map_err(|_| "shape not expressible")
}

fn precision(name: &str) -> Precision {
    match name {
        "nvfp4" => Precision::Fp4,
        n if n.starts_with("bf16?") || n == "bf16" => Precision::Bf16,
        _ => Precision::Fp8,
    }
}

/// The llmcalc preset of the row's GPU, with the row's own memory bandwidth where the part differs.
fn gpu(name: &str) -> Result<llmcalc::domain::hardware::Gpu, &'static str> {
    let preset = match name {
        "h100-sxm-80gb" | "h100" | "h100-sxm-hbm2e-96gb-500w" | "h100-sxm-hbm2e-94gb-lowtdp" => {
            "h100"
        }
        "a100-40gb" | "a100-80gb" | "h200" | "b200" | "gb200" | "b300" | "gb300" => name,
        _ => return Err("a GPU without a preset"),
    };
    let mut gpu = Catalog::builtin()
        .gpu(preset)
        .map_err(|_| "a GPU without a preset")?;
    if name.starts_with("h100-sxm-hbm2e") {
        // Meta's Grand Teton H100 carries HBM2e at 2.4 TB/s (torchtitan's benchmark notes).
        gpu.memory_bandwidth = Bandwidth::new::<byte_per_second>(2.4e12);
    }
    Ok(gpu)
}

fn layout(run: &Run) -> Layout {
    let l = &run.layout;
    let (tp, pp, cp) = (l.tp.unwrap_or(1), l.pp.unwrap_or(1), l.cp.unwrap_or(1));
    let dp = l.dp.unwrap_or(run.gpus / (tp * pp * cp));
    // torchtitan gives the batch per data-parallel rank and, with pipelining, splits it into as many
    // micro-batches as stages.
    let micro_batch = match (l.micro_batch, l.local_batch) {
        (Some(m), _) => m,
        (None, Some(local)) if pp > 1 => (local / pp).max(1),
        (None, Some(local)) => local,
        (None, None) => 1,
    };
    let fsdp = l.fsdp.as_deref().unwrap_or("none");
    let zero = if fsdp.contains("full_shard") || fsdp.starts_with("megatron-fsdp") {
        3
    } else if fsdp == "shard_grad_op" {
        2
    } else {
        // Megatron-LM's distributed optimizer, NeMo's default.
        1
    };
    // torchtitan's selective checkpointing (every "selective" row is torchtitan's) recomputes half
    // the forward matrix products: op-level, every second `mm` of each block (its `_custom_policy`:
    // "saves output of all compute ops, except every second mm"); layer-level, every second block
    // (`selective_ac_option = "2"`). Both are counted as full recompute of half of a stage's layers.
    let stage = run.model.layers.unwrap_or(1).div_ceil(pp);
    let (recompute, recompute_layers) = match l.activation_checkpointing.as_deref() {
        Some("full") => (Recompute::Full, None),
        Some(s) if s.starts_with("selective") => (Recompute::Full, Some((stage / 2).max(1))),
        _ => (Recompute::None, None),
    };
    Layout {
        tp,
        cp,
        pp,
        ep: l.ep.unwrap_or(1),
        dp,
        sp: tp > 1,
        zero,
        recompute,
        micro_batch,
        interleave: l.vp.unwrap_or(1).max(1),
        replicas: shard_group(fsdp).map_or(1, |g| (dp * cp / g).max(1)),
        recompute_layers,
    }
}

/// The ranks a Megatron-FSDP row shards over, where it names them (`megatron-fsdp(group=64)`): fewer
/// than the data-parallel ranks would be hybrid sharding.
fn shard_group(fsdp: &str) -> Option<u64> {
    fsdp.split("group=")
        .nth(1)?
        .trim_end_matches(')')
        .parse()
        .ok()
}

/// The attention kernel a row ran: MosaicML's sweeps ran flash-attn 2 (llm-foundry's `attn_impl:
/// flash`) or its Triton FlashAttention, which counts as FlashAttention-2 ([`AttentionKernel`]);
/// torchtitan calls PyTorch's `scaled_dot_product_attention`, whose flash backend is
/// FlashAttention-2; NVIDIA's recipes (NeMo, Megatron-Bridge, Megatron-LM, dgxc-benchmarking) run
/// Transformer Engine's cuDNN fused attention.
fn attention_kernel(run: &Run) -> AttentionKernel {
    if run.id.starts_with("mosaic") || run.id.starts_with("tt-") {
        AttentionKernel::FlashAttention2
    } else {
        AttentionKernel::Fused
    }
}

fn case(run: &Run) -> Result<Case, &'static str> {
    if !matches!(run.model.arch.as_deref(), Some("dense" | "moe")) {
        return Err("the source gives no model shape (hybrid Mamba models, unnamed shapes)");
    }
    let measured = measured(run).ok_or("measured only as TFLOP/s in the source's convention")?;
    let model = model(run)?;
    let gpu = gpu(&run.gpu)?;
    let batch = run.layout.global_batch.ok_or("no global batch")?;
    let seq = run.model.seq.ok_or("no sequence length")?;
    let options = TrainingOptions {
        seq_len: Some(seq),
        global_batch_tokens: Some((batch * seq) as f64),
        optimizer: Optimizer::Adam,
        precision: Some(precision(&run.precision)),
        reserve: Reserve::Fraction(0.0),
        kernel_efficiency: None,
        network: None,
        dp_overlap: 0.0,
        tp_overlap: 0.0,
        attention_kernel: attention_kernel(run),
    };
    let setup = TrainingSetup::new(&model, &gpu, &options).map_err(|_| "setup refused")?;
    Ok(Case {
        source: run.id.split('-').next().unwrap_or("").to_string(),
        gpu: run.gpu.clone(),
        id: run.id.clone(),
        layout: layout(run),
        setup,
        measured,
    })
}

/// Predicted over measured tokens per second per GPU, minus one, with the given constants.
fn error(case: &Case, kernels: &KernelConstants, links: &LinkConstants) -> f64 {
    let mut model = case.setup.step.model;
    model.device.constants = *kernels;
    model.fabric.constants = *links;
    let step = step_time(
        &case.setup.shape,
        &case.layout,
        &case.setup.workload,
        &model,
    );
    let tokens = (case.setup.workload.global_batch * case.setup.workload.seq_len) as f64;
    let gpus = (case.layout.tp * case.layout.cp * case.layout.pp * case.layout.dp) as f64;
    tokens / (step.total * gpus) / case.measured - 1.0
}

fn mean_abs(errors: &[f64]) -> f64 {
    errors.iter().map(|e| e.abs()).sum::<f64>() / errors.len() as f64
}

#[test]
fn the_step_time_model_reproduces_measured_runs() {
    let (cases, skipped) = load();
    let errors: Vec<f64> = cases
        .iter()
        .map(|c| error(c, &KernelConstants::CALIBRATED, &LinkConstants::CALIBRATED))
        .collect();
    assert!(errors.iter().all(|e| e.is_finite()));
    let mut groups: BTreeMap<(String, String), Vec<f64>> = BTreeMap::new();
    for (c, e) in cases.iter().zip(&errors) {
        groups
            .entry((c.source.clone(), c.gpu.clone()))
            .or_default()
            .push(*e);
    }
    println!("| source | GPU | runs | mean error | mean bias |");
    println!("|---|---|---:|---:|---:|");
    for ((source, gpu), e) in &groups {
        let bias = e.iter().sum::<f64>() / e.len() as f64;
        println!(
            "| {source} | {gpu} | {} | {:.1}% | {:+.1}% |",
            e.len(),
            100.0 * mean_abs(e),
            100.0 * bias
        );
    }
    let mut worst: Vec<(f64, &str)> = errors
        .iter()
        .zip(&cases)
        .map(|(e, c)| (*e, c.id.as_str()))
        .collect();
    worst.sort_by(|a, b| b.0.abs().total_cmp(&a.0.abs()));
    for (e, id) in worst.iter().take(10) {
        println!("worst: {:+.1}% {id}", 100.0 * e);
    }
    for (why, n) in &skipped {
        println!("skipped {n}: {why}");
    }
    let mean = mean_abs(&errors);
    let max = worst[0].0.abs();
    let mut sorted: Vec<f64> = errors.iter().map(|e| e.abs()).collect();
    sorted.sort_by(f64::total_cmp);
    let median = sorted[sorted.len() / 2];
    println!(
        "{} runs: mean error {:.1}%, median {:.1}%, worst {:.1}%",
        cases.len(),
        100.0 * mean,
        100.0 * median,
        100.0 * max
    );
    assert!(cases.len() >= 500, "only {} rows recomputed", cases.len());
    // The figures reached with the calibrated constants (README, "How well plan predicts").
    assert!(mean < 0.078, "mean error {:.1}%", 100.0 * mean);
    assert!(median < 0.047, "median error {:.1}%", 100.0 * median);
    assert!(max < 1.28, "worst error {:.1}%", 100.0 * max);
}

/// Nelder–Mead over the logarithms of the constants, minimising the mean absolute log error; prints
/// the constants to paste into `KernelConstants::CALIBRATED` and `LinkConstants::CALIBRATED`.
#[test]
#[ignore = "fits the constants; run by hand when the model changes"]
fn fit_constants() {
    let (cases, _) = load();
    let start = KernelConstants::CALIBRATED;
    let links = LinkConstants::CALIBRATED;
    let x0 = vec![
        start.gemm_efficiency,
        start.kernel_overhead,
        start.attention_efficiency[0],
        start.attention_efficiency[1],
        start.attention_efficiency[2],
        start.elementwise_traffic,
        start.permute_traffic.max(1.0),
        links.efficiency,
        links.latency,
        links.all_to_all_exposed,
        start.flash_attention_2,
    ];
    let unpack = |x: &[f64]| {
        let v: Vec<f64> = x.iter().map(|l| l.exp()).collect();
        (
            KernelConstants {
                gemm_efficiency: v[0].min(1.0),
                kernel_overhead: v[1],
                attention_efficiency: [v[2].min(1.0), v[3].min(1.0), v[4].min(1.0)],
                elementwise_traffic: v[5].max(1.0),
                permute_traffic: v[6].max(1.0),
                flash_attention_2: v[10].min(1.0),
            },
            LinkConstants {
                efficiency: v[7].min(1.0),
                latency: v[8],
                all_to_all_exposed: v[9].min(1.0),
            },
        )
    };
    let cost = |x: &[f64]| {
        let (k, l) = unpack(x);
        cases
            .iter()
            .map(|c| (1.0 + error(c, &k, &l)).ln().abs())
            .sum::<f64>()
            / cases.len() as f64
    };
    // Nelder–Mead stalls on a simplex grown flat; restarting from the best point with a fresh simplex
    // until the cost stops falling finds the minimum the first run misses.
    let mut best: Vec<f64> = x0.iter().map(|v| v.ln()).collect();
    for _ in 0..10 {
        let next = nelder_mead(&cost, &best, 4000);
        let gain = cost(&best) - cost(&next);
        best = next;
        if gain < 1e-6 {
            break;
        }
    }
    let (k, l) = unpack(&best);
    println!("{k:#?}\n{l:#?}\ncost {}", cost(&best));
}

/// A plain Nelder–Mead simplex search (Nelder and Mead 1965) with the usual coefficients.
fn nelder_mead(f: &dyn Fn(&[f64]) -> f64, x0: &[f64], iterations: usize) -> Vec<f64> {
    let n = x0.len();
    let mut simplex: Vec<(Vec<f64>, f64)> = (0..=n)
        .map(|i| {
            let mut x = x0.to_vec();
            if i > 0 {
                x[i - 1] += 0.3;
            }
            let fx = f(&x);
            (x, fx)
        })
        .collect();
    for _ in 0..iterations {
        simplex.sort_by(|a, b| a.1.total_cmp(&b.1));
        let centroid: Vec<f64> = (0..n)
            .map(|j| simplex[..n].iter().map(|(x, _)| x[j]).sum::<f64>() / n as f64)
            .collect();
        let towards = |t: f64| -> Vec<f64> {
            centroid
                .iter()
                .zip(&simplex[n].0)
                .map(|(c, w)| c + t * (w - c))
                .collect()
        };
        let reflected = towards(-1.0);
        let fr = f(&reflected);
        if fr < simplex[0].1 {
            let expanded = towards(-2.0);
            let fe = f(&expanded);
            simplex[n] = if fe < fr {
                (expanded, fe)
            } else {
                (reflected, fr)
            };
        } else if fr < simplex[n - 1].1 {
            simplex[n] = (reflected, fr);
        } else {
            let contracted = towards(0.5);
            let fc = f(&contracted);
            if fc < simplex[n].1 {
                simplex[n] = (contracted, fc);
            } else {
                let best = simplex[0].0.clone();
                for (x, fx) in simplex.iter_mut().skip(1) {
                    *x = best
                        .iter()
                        .zip(x.iter())
                        .map(|(b, v)| b + 0.5 * (v - b))
                        .collect();
                    *fx = f(x);
                }
            }
        }
    }
    simplex.sort_by(|a, b| a.1.total_cmp(&b.1));
    simplex.swap_remove(0).0
}
