//! Layout-search throughput: the whole space for the GPT-4 preset on 25,000 A100s, and one layout's
//! evaluation. `cargo bench --bench plan`; criterion reports layouts per second as elements per second.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;

use llmcalc::catalog::Catalog;
use llmcalc::domain::kernels::AttentionKernel;
use llmcalc::domain::memory::{Layout, Optimizer, Reserve};
use llmcalc::domain::model::flops::Recompute;
use llmcalc::domain::parallel::{self, Pins, TrainingOptions, TrainingSetup};

fn gpt4_on_a100s() -> TrainingSetup {
    let model = Catalog::builtin().model("gpt-4", &[]).unwrap();
    let gpu = Catalog::builtin().gpu("a100-40gb").unwrap();
    let options = TrainingOptions {
        seq_len: Some(8192),
        global_batch_tokens: Some(60e6),
        optimizer: Optimizer::Adam,
        precision: None,
        reserve: Reserve::Fraction(0.1),
        kernel_efficiency: None,
        network: None,
        dp_overlap: 0.0,
        tp_overlap: 0.0,
        attention_kernel: AttentionKernel::Fused,
    };
    TrainingSetup::new(&model, &gpu, &options).unwrap()
}

fn bench(c: &mut Criterion) {
    let s = gpt4_on_a100s();
    let search = |s: &TrainingSetup| parallel::search(s, 25_000, &Pins::default(), 10);
    let evaluated = search(&s).evaluated;
    let mut group = c.benchmark_group("plan");
    group.throughput(Throughput::Elements(evaluated));
    group.bench_function("gpt-4 on 25,000 A100s, whole space", |b| {
        b.iter(|| black_box(search(black_box(&s))))
    });
    let layout = Layout {
        tp: 8,
        pp: 5,
        cp: 1,
        ep: 4,
        dp: 625,
        sp: true,
        zero: 3,
        recompute: Recompute::Full,
        micro_batch: 1,
        interleave: 1,
        replicas: 1,
        recompute_layers: None,
    };
    group.throughput(Throughput::Elements(1));
    group.bench_function("one layout", |b| {
        b.iter(|| {
            black_box(parallel::evaluate(
                &s.shape,
                black_box(&layout),
                &s.workload,
                &s.memory,
                &s.step,
            ))
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
