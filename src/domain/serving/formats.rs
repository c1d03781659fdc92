//! Number formats for serving: how weights and the KV cache are stored.

use serde::Serialize;

use crate::domain::hardware::{Gpu, Precision};
use crate::domain::units::Information;
use crate::domain::units::unit::byte;

/// How weights are stored for serving.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum WeightFormat {
    Bf16,
    Fp8,
    Int8,
    Int4,
    Fp4,
}

impl WeightFormat {
    /// Storage per parameter: the precision's width, and half a byte for 4-bit integers (two per
    /// byte, as GPTQ and AWQ pack them; Frantar et al. 2023, Lin et al. 2024).
    pub fn bytes(self) -> Information {
        match self {
            WeightFormat::Bf16 => Precision::Bf16.bytes(),
            WeightFormat::Fp8 => Precision::Fp8.bytes(),
            WeightFormat::Int8 => Precision::Int8.bytes(),
            WeightFormat::Int4 => Information::new::<byte>(0.5),
            // NVFP4: 4-bit E2M1 values with one 8-bit E4M3 scale per block of 16 (NVIDIA, "Introducing
            // NVFP4 for Efficient and Accurate Low-Precision Inference", 2025): 4.5 bits.
            WeightFormat::Fp4 => Information::new::<byte>(4.5 / 8.0),
        }
    }

    /// The peak the matrix products run at: fp8, int8 and fp4 weights at their own peak where the GPU
    /// has one (fp4 where it has none at fp8's, or else 16 bits); int4 weights are dequantised to bf16
    /// (weight-only quantisation).
    pub fn precision(self, gpu: &Gpu) -> Precision {
        let own: &[Precision] = match self {
            WeightFormat::Fp8 => &[Precision::Fp8],
            WeightFormat::Int8 => &[Precision::Int8],
            WeightFormat::Fp4 => &[Precision::Fp4, Precision::Fp8],
            WeightFormat::Bf16 | WeightFormat::Int4 => &[],
        };
        own.iter()
            .copied()
            .find(|p| gpu.peak(*p).is_some())
            .unwrap_or_else(|| gpu.training_precision())
    }
}

/// How the KV cache is stored: 16 bits, or quantised to fp8 (vLLM `--kv-cache-dtype fp8`,
/// TensorRT-LLM `kv_cache_config.dtype`), int8 (TensorRT-LLM's INT8 KV cache; LMDeploy
/// `quant_policy=8`) or int4 (LMDeploy `quant_policy=4`, "INT4/INT8 KV Cache", lmdeploy.readthedocs.io;
/// KIVI, Liu et al. 2024).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum KvFormat {
    Bf16,
    Fp8,
    Int8,
    Int4,
}

impl KvFormat {
    /// Storage per cached element: int4 packs two to a byte. The scales of the quantised formats
    /// (one per tensor for fp8 and int8; LMDeploy keeps a 16-bit scale and zero point per head and
    /// token, 4 bytes per 128 elements, 3% of int4's) are not counted.
    pub fn bytes(self) -> Information {
        match self {
            KvFormat::Bf16 => Precision::Bf16.bytes(),
            KvFormat::Fp8 => Precision::Fp8.bytes(),
            KvFormat::Int8 => Precision::Int8.bytes(),
            KvFormat::Int4 => Information::new::<byte>(0.5),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nvfp4_stores_four_and_a_half_bits() {
        // 16 E2M1 values of 4 bits share one 8-bit scale: (16 × 4 + 8) / 16 = 4.5 bits.
        assert_eq!(WeightFormat::Fp4.bytes().get::<byte>(), 0.5625);
    }
}
