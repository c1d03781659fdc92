//! GPU presets through the binary: the parts added for today's price lists (H20, L4, A10G, T4, MI350X)
//! read back with their datasheet figures, every command running on them, and the scale-out network per
//! GPU that each preset states (or the 400 Gb/s default where no system datasheet gives one).

use crate::{json, stdout};

const GIB: f64 = 1024.0 * 1024.0 * 1024.0;
const TERA: f64 = 1e12;
const GIGA: f64 = 1e9;

/// One part's published figures, in base units: dense peak FLOP/s, bytes, bytes per second, watts.
struct Datasheet {
    id: &'static str,
    /// The training precision the part has (`bf16`, or `fp16` where there is no bf16) and its dense peak.
    precision: &'static str,
    dense: f64,
    fp8: Option<f64>,
    memory: f64,
    bandwidth: f64,
    /// Scale-up link per GPU, both directions.
    scale_up: f64,
    gpus_per_node: u64,
    power: f64,
}

const NEW_PARTS: [Datasheet; 5] = [
    // NVIDIA HGX H20 table (SemiAnalysis, 2023-11-09): 148 TFLOP/s bf16 and 296 fp8 dense, 96 GB HBM3 at
    // 4.0 TB/s, NVLink 900 GB/s, 8 GPUs per HGX board, 400 W.
    Datasheet {
        id: "h20",
        precision: "bf16",
        dense: 148.0 * TERA,
        fp8: Some(296.0 * TERA),
        memory: 96.0 * GIB,
        bandwidth: 4.0 * TERA,
        scale_up: 900.0 * GIGA,
        gpus_per_node: 8,
        power: 400.0,
    },
    // NVIDIA L4 datasheet (2023): 242 TFLOP/s bf16 and 485 fp8 with sparsity, so 121 and 242.5 dense;
    // 24 GB GDDR6 at 300 GB/s; PCIe Gen4 x16 (64 GB/s both ways); 72 W; 8 cards in a g6.48xlarge.
    Datasheet {
        id: "l4",
        precision: "bf16",
        dense: 121.0 * TERA,
        fp8: Some(242.5 * TERA),
        memory: 24.0 * GIB,
        bandwidth: 300.0 * GIGA,
        scale_up: 64.0 * GIGA,
        gpus_per_node: 8,
        power: 72.0,
    },
    // A10G (AWS G5): 70 TFLOP/s bf16 tensor (A10G specification sheet as copied by Baseten, 2023), no fp8;
    // 24 GiB GDDR6 at 600 GB/s; PCIe Gen4 x16; 8 GPUs in a g5.48xlarge (AWS); 300 W from nvidia-smi.
    Datasheet {
        id: "a10g",
        precision: "bf16",
        dense: 70.0 * TERA,
        fp8: None,
        memory: 24.0 * GIB,
        bandwidth: 600.0 * GIGA,
        scale_up: 64.0 * GIGA,
        gpus_per_node: 8,
        power: 300.0,
    },
    // NVIDIA T4 datasheet: 65 TFLOP/s mixed precision (fp16 with fp32 accumulate), no bf16, no fp8;
    // 16 GB GDDR6 at 320 GB/s; PCIe Gen3 x16 (32 GB/s both ways); 70 W; 4 GPUs in a g4dn.12xlarge.
    Datasheet {
        id: "t4",
        precision: "fp16",
        dense: 65.0 * TERA,
        fp8: None,
        memory: 16.0 * GIB,
        bandwidth: 320.0 * GIGA,
        scale_up: 32.0 * GIGA,
        gpus_per_node: 4,
        power: 70.0,
    },
    // AMD MI350X: 256 CUs (ROCm table) at 2.2 GHz (Hot Chips 2025) x 4,096 bf16 FLOP per CU and clock =
    // 2,306.87 TFLOP/s, written to one decimal as AMD prints the MI355X's 2,516.6 (AMD rounds to '2.3 PF');
    // fp8 twice that, 4,613.7 ('4.6 PF'); 288 GiB HBM3E at 8 TB/s; 7 Infinity Fabric links, 1,075 GB/s;
    // 8-GPU UBB platform; 1,000 W.
    Datasheet {
        id: "mi350x",
        precision: "bf16",
        dense: 2306.9 * TERA,
        fp8: Some(4613.7 * TERA),
        memory: 288.0 * GIB,
        bandwidth: 8.0 * TERA,
        scale_up: 1075.0 * GIGA,
        gpus_per_node: 8,
        power: 1000.0,
    },
];

/// Asserts that `actual` is `expected` to within floating-point rounding.
fn assert_figure(id: &str, what: &str, actual: f64, expected: f64) {
    assert!(
        (actual - expected).abs() <= 1e-6 * expected,
        "{id} {what}: {actual} is not {expected}"
    );
}

/// The preset `id` in the `gpus` JSON.
fn listed<'a>(all: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    let gpus = all["gpus"].as_array().unwrap();
    gpus.iter()
        .find(|g| g["id"] == id)
        .unwrap_or_else(|| panic!("no preset {id}"))
}

/// A GPU's dense peak for `precision` from the `gpus` JSON, if the part has that precision.
fn peak(gpu: &serde_json::Value, precision: &str) -> Option<f64> {
    gpu["peak_flops_per_second"]
        .as_array()
        .unwrap()
        .iter()
        .find(|pair| pair[0] == precision)
        .map(|pair| pair[1].as_f64().unwrap())
}

#[test]
fn new_presets_read_back_their_datasheet_figures() {
    let all = json(&["gpus"]);
    for sheet in &NEW_PARTS {
        let id = sheet.id;
        let gpu = listed(&all, id);
        let number = |key: &str| gpu[key].as_f64().unwrap();
        assert_figure(
            id,
            sheet.precision,
            peak(gpu, sheet.precision).unwrap(),
            sheet.dense,
        );
        match sheet.fp8 {
            Some(fp8) => assert_figure(id, "fp8", peak(gpu, "fp8").unwrap(), fp8),
            None => assert_eq!(peak(gpu, "fp8"), None, "{id} has no fp8"),
        }
        assert_figure(id, "memory", number("memory_bytes"), sheet.memory);
        assert_figure(
            id,
            "bandwidth",
            number("memory_bandwidth_bytes_per_second"),
            sheet.bandwidth,
        );
        assert_figure(
            id,
            "scale-up",
            number("interconnect_bytes_per_second"),
            sheet.scale_up,
        );
        assert_eq!(gpu["gpus_per_node"], sheet.gpus_per_node, "{id}");
        assert_figure(id, "power", number("power_watts"), sheet.power);
    }
}

#[test]
fn turing_has_no_bf16_and_a10g_has_a_dated_price() {
    let all = json(&["gpus"]);
    assert_eq!(peak(listed(&all, "t4"), "bf16"), None);
    // g5.xlarge (one A10G) on demand in us-east-1: $1.006 per hour (AWS price list, June 2026).
    let a10g = listed(&all, "a10g");
    assert_figure(
        "a10g",
        "price",
        a10g["price_usd_per_gpu_hour"].as_f64().unwrap(),
        1.006,
    );
    assert_eq!(a10g["price_date"], "2026-06");
}

#[test]
fn every_command_runs_on_the_new_presets() {
    for sheet in &NEW_PARTS {
        let gpu = sheet.id;
        let on = ["--gpu", gpu];
        stdout(
            &[
                &["train", "llama-2-7b", "--gpus", "8", "--tokens", "10B"][..],
                &on,
            ]
            .concat(),
        );
        stdout(&[&["plan", "llama-2-7b", "--gpus", "8"][..], &on].concat());
        // Four GPUs: one T4 node, and a split of every other part's node.
        stdout(
            &[
                &["serve", "llama-2-7b", "--gpus", "4", "--batch", "8"][..],
                &["--prompt-tokens", "2000", "--output-tokens", "500"],
                &on,
            ]
            .concat(),
        );
        let pair = format!("{gpu},h100");
        stdout(&["compare", "llama-2-7b", "--gpu", &pair, "--gpus", "8"]);
    }
}

/// Scale-out network per GPU, one direction, in Gb/s, with where each figure comes from.
const SCALE_OUT_GBPS: [(&str, f64); 19] = [
    // ROCm MoRI distributed-inference guides: 8 NICs of 400 Gb/s per 8-GPU node, 1:1.
    ("mi300x", 400.0),
    ("mi325x", 400.0),
    ("mi350x", 400.0),
    ("mi355x", 400.0),
    // Frontier node (OLCF user guide): four 200 Gb/s Slingshot NICs for four MI250X packages.
    ("mi250x", 200.0),
    // Google TPU pages: v5e 2 x 100 Gb/s per 8-chip host; v5p 50 Gb/s DCN per chip; v6e 4 x 200 Gb/s
    // per 8-chip host.
    ("tpu-v5e", 25.0),
    ("tpu-v5p", 50.0),
    ("tpu-v6e", 100.0),
    // trn2.48xlarge: 3.2 Tb/s EFAv3 for 16 chips.
    ("trainium2", 200.0),
    // Intel Gaudi network configuration: 3 x 200 GbE scale-out ports per Gaudi 3.
    ("gaudi-3", 600.0),
    // AWS instance tables: g6e.48xlarge 400 Gb/s for 8 L40S; g6.48xlarge and g5.48xlarge 100 Gb/s for 8;
    // g4dn.12xlarge 50 Gb/s for 4.
    ("l40s", 50.0),
    ("l4", 12.5),
    ("a10g", 12.5),
    ("t4", 12.5),
    // DGX-1 datasheet: four 100 Gb/s EDR ports for 8 V100s.
    ("v100", 50.0),
    // No public system datasheet: the 400 Gb/s default.
    ("h20", 400.0),
    ("h100-pcie", 400.0),
    ("rtx-4090", 400.0),
    ("tpu-v4", 400.0),
];

#[test]
fn plans_use_the_scale_out_network_each_preset_states() {
    for (gpu, gbps) in SCALE_OUT_GBPS {
        let plan = json(&["plan", "llama-2-7b", "--gpu", gpu, "--gpus", "8"]);
        let network = plan["network_bytes_per_second"].as_f64().unwrap();
        assert_figure(gpu, "scale-out", network, gbps * GIGA / 8.0);
    }
}

/// Every built-in price states its kind, source and date; the H100's three are the cited figures per
/// GPU: AWS p5.48xlarge on demand ($55.04/h for 8), Lambda's 1x H100 SXM on demand ($3.78/h) and
/// Lambda's reserved 8x H100 ($14.80/h for 8); the H800's only price is DeepSeek-V3's assumed $2/h.
#[test]
fn every_price_states_its_kind_source_and_date() {
    let list = crate::json(&["gpus"]);
    let gpus = list["gpus"].as_array().unwrap();
    for gpu in gpus {
        for price in gpu["prices"].as_array().unwrap() {
            assert!(price["kind"].is_string(), "{}: {price}", gpu["id"]);
            assert!(
                !price["source"].as_str().unwrap().is_empty(),
                "{}",
                gpu["id"]
            );
            assert!(!price["date"].as_str().unwrap().is_empty(), "{}", gpu["id"]);
        }
    }
    let prices = |id: &str| -> Vec<(f64, String)> {
        let gpu = gpus.iter().find(|g| g["id"] == id).unwrap();
        gpu["prices"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                let usd = p["usd_per_gpu_hour"].as_f64().unwrap();
                (usd, p["kind"].as_str().unwrap().to_string())
            })
            .collect()
    };
    let h100 = prices("h100");
    let cited = [
        (55.04 / 8.0, "hyperscaler-on-demand"),
        (3.78, "neocloud-on-demand"),
        (14.80 / 8.0, "reserved"),
    ];
    assert_eq!(h100.len(), cited.len());
    for ((usd, kind), (want, want_kind)) in h100.iter().zip(cited) {
        assert!((usd - want).abs() < 1e-9, "{usd} vs {want}");
        assert_eq!(kind, want_kind);
    }
    assert_eq!(prices("h800"), vec![(2.0, "claim".to_string())]);
}
