//! How long the operations of a training step take on one GPU: matrix products by their shape, fused
//! attention by its FLOPs, and element-wise work by the bytes it moves.
//!
//! - A matrix product C = A·B with A of m × k and B of k × n does 2mnk FLOPs and moves at least
//!   (mk + kn)·e + 2mn bytes (e bytes per input element, 16-bit output). It runs at the slower of its
//!   compute time at a fraction η of the dense peak and its memory time at the HBM bandwidth — the
//!   roofline (Williams et al. 2009, "Roofline", CACM 52(4)) — plus a fixed cost per kernel: launch,
//!   tile quantisation and the tail wave, which small products cannot hide (NVIDIA, "Matrix
//!   Multiplication Background User's Guide", 2023: wave and tile quantisation). Small products thus
//!   run far below the peak, and the efficiency rises with the tokens per micro-batch and falls with
//!   the tensor-parallel split.
//! - Fused attention (FlashAttention, Dao et al. 2022; Dao 2023) never writes the score matrix: its
//!   time is its FLOPs over a fraction of the 16-bit peak that depends on the GPU generation's kernels
//!   (FlashAttention-2 reaches 50–73% of the A100's peak in the forward pass, Dao 2023 §4.1, but only
//!   ~35% of the H100's, which FlashAttention-3 raises to 75%, Shah et al. 2024 §4.1). The backward pass
//!   recomputes the scores and does 2.5× the forward work (Dao 2023, §3.1.2: 5 matrix products against
//!   2).
//! - Norms, activations, residual additions, rotary embeddings and the MoE token permutation are
//!   memory-bound: their time is the bytes they read and write over the HBM bandwidth.
//!
//! The efficiencies and the per-kernel cost are fitted constants ([`KernelConstants::CALIBRATED`]),
//! fitted on measured training runs only (see `tests/llmcalc/calibration.rs`).

use serde::Serialize;

/// The GPU generations whose attention kernels differ.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Generation {
    /// NVIDIA A100 (sm_80) and its kin: FlashAttention-2.
    Ampere,
    /// NVIDIA H100/H200/H800 (sm_90): FlashAttention-2/3 and cuDNN fused attention.
    Hopper,
    /// NVIDIA B200/GB200/B300/GB300 (sm_100): cuDNN fused attention.
    Blackwell,
    /// Anything else: no calibration data; the Hopper figure is used.
    Other,
}

/// Which fused-attention kernel runs: the one tuned for the generation (cuDNN's fused attention, as
/// Transformer Engine runs it in Megatron-LM and NeMo; FlashAttention-3 on Hopper; FlashAttention-2 on
/// Ampere), or FlashAttention-2 on a newer GPU, whose kernels do not use Hopper's asynchronous
/// warpgroup matrix instructions and reach ~35% of an H100's peak where FlashAttention-3 reaches 75%
/// (Shah et al. 2024, §1, §4.1; flash-attn 2.x and PyTorch's `scaled_dot_product_attention` run it).
/// The calibration found MosaicML's Triton FlashAttention no slower than FlashAttention-2 (its
/// relative speed fitted to the bound, 1), so it counts as FlashAttention-2.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum AttentionKernel {
    /// The generation's tuned kernel: cuDNN fused attention (Transformer Engine, as Megatron-LM and
    /// NeMo run it), FlashAttention-3 on Hopper
    Fused,
    /// FlashAttention-2 (flash-attn 2.x, PyTorch's scaled_dot_product_attention), slower on Hopper
    /// and later
    #[value(name = "flash-attention-2")]
    FlashAttention2,
}

/// The fitted constants of the operation model. Each is a physical quantity with a plausible range;
/// their values come from the fit documented in `tests/llmcalc/calibration.rs`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct KernelConstants {
    /// Fraction of the dense peak large matrix products reach.
    pub gemm_efficiency: f64,
    /// Fixed seconds per matrix-product kernel (launch, tile and wave quantisation).
    pub kernel_overhead: f64,
    /// Fraction of the 16-bit peak fused attention reaches, by generation: Ampere, Hopper, Blackwell.
    pub attention_efficiency: [f64; 3],
    /// FlashAttention-2's speed relative to the generation's fused kernel on Hopper and later.
    pub flash_attention_2: f64,
    /// Element-wise bytes per layer, as a multiple of the minimal traffic (see
    /// [`elementwise_bytes`]): unfused kernels read and write the same tensors several times.
    pub elementwise_traffic: f64,
    /// MoE token permutation traffic, as a multiple of the minimal (read and write of each routed
    /// token before and after the experts).
    pub permute_traffic: f64,
}

impl KernelConstants {
    /// The values fitted on the calibration runs.
    pub const CALIBRATED: KernelConstants = KernelConstants {
        gemm_efficiency: 0.8902,
        kernel_overhead: 49.39e-6,
        attention_efficiency: [0.3345, 0.4102, 0.2709],
        flash_attention_2: 0.425,
        elementwise_traffic: 4.313,
        permute_traffic: 1.0,
    };
}

/// One GPU as the operation model sees it, all in base units (FLOP/s, bytes/s, bytes).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Device {
    /// Dense peak of the training precision, for matrix products.
    pub gemm_peak: f64,
    /// Dense 16-bit peak, for attention (which runs in 16 bits under FP8 training too).
    pub attention_peak: f64,
    /// HBM bandwidth.
    pub memory_bandwidth: f64,
    /// Bytes per element of a matrix-product input (2 for bf16, 1 for fp8, 0.5 for fp4).
    pub input_bytes: f64,
    pub generation: Generation,
    pub attention_kernel: AttentionKernel,
    pub constants: KernelConstants,
}

impl Device {
    /// Seconds of an m × k by k × n matrix product: the roofline plus the per-kernel cost.
    pub fn gemm(&self, m: f64, n: f64, k: f64) -> f64 {
        let compute = 2.0 * m * n * k / (self.gemm_peak * self.constants.gemm_efficiency);
        let memory = ((m * k + k * n) * self.input_bytes + 2.0 * m * n) / self.memory_bandwidth;
        compute.max(memory) + self.constants.kernel_overhead
    }

    /// Seconds of `flops` of fused attention in the forward pass.
    pub fn attention(&self, flops: f64) -> f64 {
        let [ampere, hopper, blackwell] = self.constants.attention_efficiency;
        let efficiency = match self.generation {
            Generation::Ampere => ampere,
            Generation::Hopper | Generation::Other => hopper,
            Generation::Blackwell => blackwell,
        };
        // FlashAttention-2 is the tuned kernel on Ampere only.
        let kernel = match (self.attention_kernel, self.generation) {
            (AttentionKernel::Fused, _) | (_, Generation::Ampere) => 1.0,
            (AttentionKernel::FlashAttention2, _) => self.constants.flash_attention_2,
        };
        flops / (self.attention_peak * efficiency * kernel)
    }

    /// Seconds to move `bytes` through HBM.
    pub fn memory_bound(&self, bytes: f64) -> f64 {
        bytes / self.memory_bandwidth
    }
}

/// Minimal element-wise bytes of one layer's forward pass for `tokens` tokens of width `d`, of which
/// `sequence_split` share the d-wide work (sequence parallelism splits it over the TP ranks), with an
/// MLP of `mlp_width` hidden units per rank: two norms and two residual additions read and write the
/// 16-bit hidden state (8 passes of 2·d bytes), and the activation function reads two and writes one
/// 16-bit element per hidden unit (3 passes of 2 bytes).
pub fn elementwise_bytes(tokens: f64, d: f64, sequence_split: f64, mlp_width: f64) -> f64 {
    tokens * (8.0 * 2.0 * d / sequence_split + 3.0 * 2.0 * mlp_width)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h100() -> Device {
        Device {
            gemm_peak: 989.4e12,
            attention_peak: 989.4e12,
            memory_bandwidth: 3.35e12,
            input_bytes: 2.0,
            generation: Generation::Hopper,
            attention_kernel: AttentionKernel::Fused,
            constants: KernelConstants {
                gemm_efficiency: 0.8,
                kernel_overhead: 10e-6,
                attention_efficiency: [0.5, 0.4, 0.3],
                flash_attention_2: 0.5,
                elementwise_traffic: 1.0,
                permute_traffic: 1.0,
            },
        }
    }

    #[test]
    fn a_large_product_runs_at_the_efficient_peak() {
        // 8192³: 2·8192³ = 1.0995e12 FLOP at 0.8 × 989.4 TFLOP/s = 1.389 ms, plus 10 µs; its bytes,
        // 3 × 8192² × 2 = 403 MB, take 0.12 ms at 3.35 TB/s, under the compute time.
        let t = h100().gemm(8192.0, 8192.0, 8192.0);
        let expected = 2.0 * 8192f64.powi(3) / (0.8 * 989.4e12) + 10e-6;
        assert!((t - expected).abs() < 1e-12, "{t} vs {expected}");
    }

    #[test]
    fn a_thin_product_is_memory_bound() {
        // 16 tokens through a 8192 × 8192 weight: the weight's 134 MB dominate; 2·16·8192² = 2.1 GFLOP
        // would take 2.7 µs at the peak, the bytes (16·8192 + 8192² + ...)·2 take 40 µs.
        let d = h100();
        let t = d.gemm(16.0, 8192.0, 8192.0);
        let bytes = (16.0 * 8192.0 + 8192.0 * 8192.0) * 2.0 + 2.0 * 16.0 * 8192.0;
        assert!((t - (bytes / 3.35e12 + 10e-6)).abs() < 1e-12);
    }

    #[test]
    fn attention_uses_the_generation_figure() {
        let mut d = h100();
        let close = |a: f64, b: f64| (a - b).abs() < 1e-12;
        assert!(close(d.attention(989.4e12), 1.0 / 0.4));
        d.generation = Generation::Ampere;
        assert!(close(d.attention(989.4e12), 1.0 / 0.5));
        d.generation = Generation::Other;
        assert!(close(d.attention(989.4e12), 1.0 / 0.4));
        // FlashAttention-2 is Ampere's own kernel, and half as fast as Hopper's here.
        d.attention_kernel = AttentionKernel::FlashAttention2;
        d.generation = Generation::Ampere;
        assert!(close(d.attention(989.4e12), 1.0 / 0.5));
        d.generation = Generation::Hopper;
        assert!(close(d.attention(989.4e12), 1.0 / (0.4 * 0.5)));
    }
}
