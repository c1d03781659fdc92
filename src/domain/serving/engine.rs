//! How serving engines size their KV-cache pool, by each engine's documented rule and default.
//!
//! - vLLM reserves `gpu_memory_utilization` (default 0.9; `vllm.config.CacheConfig`, docs.vllm.ai
//!   v0.10) of the GPU's memory for itself; after loading the weights it profiles a forward pass of its
//!   token budget and gives the rest to the KV cache, in blocks of `block_size` = 16 tokens
//!   (`CacheConfig.DEFAULT_BLOCK_SIZE`).
//! - SGLang's `mem_fraction_static` covers the weights and the KV pool together; its default falls with
//!   the tensor-parallel size, 0.88 on one GPU, 0.87 on 2, 0.85 on 4, 0.81 on 8 and 0.79 on 16 or
//!   more (`ServerArgs.__post_init__`, sglang/srt/server_args.py, v0.4); the pool is paged one token
//!   at a time.
//! - TensorRT-LLM gives the KV cache `free_gpu_memory_fraction` (`kv_cache_free_gpu_mem_fraction`,
//!   default 0.9; `tensorrt_llm.llmapi.KvCacheConfig`) of the memory still free once the weights and
//!   the activation buffers are allocated ("Memory Usage of TensorRT-LLM", nvidia.github.io), in
//!   blocks of `tokens_per_block` = 64 tokens (the attention plugin's default).
//!
//! The activation workspace is that of a forward pass of the engine's token budget, 8192 tokens for
//! all three (vLLM `max_num_batched_tokens` with chunked prefill, SGLang `chunked_prefill_size`,
//! TensorRT-LLM `max_num_tokens`), see [`super::Served::workspace_per_gpu`]. CUDA graphs and the
//! framework's own allocations are not counted.

use serde::Serialize;

/// A serving engine.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Engine {
    Vllm,
    Sglang,
    Trtllm,
}

/// Tokens a forward pass of every engine takes at most: its chunked-prefill token budget.
pub const TOKEN_BUDGET: u64 = 8192;

impl Engine {
    /// Tokens per KV-cache block: a sequence holds whole blocks.
    pub fn block_tokens(self) -> u64 {
        match self {
            Engine::Vllm => 16,
            Engine::Sglang => 1,
            Engine::Trtllm => 64,
        }
    }

    /// The engine's default memory fraction on `tp` tensor-parallel ranks.
    pub fn default_fraction(self, tp: u64) -> f64 {
        match (self, tp) {
            (Engine::Sglang, 16..) => 0.79,
            (Engine::Sglang, 8..) => 0.81,
            (Engine::Sglang, 4..) => 0.85,
            (Engine::Sglang, 2..) => 0.87,
            (Engine::Sglang, _) => 0.88,
            (Engine::Vllm | Engine::Trtllm, _) => 0.9,
        }
    }

    /// Bytes per GPU the weights and the KV pool may take together, of `capacity`, with `weights` and
    /// an activation `workspace`: the pool is this less the weights.
    pub fn usable(self, fraction: f64, capacity: f64, weights: f64, workspace: f64) -> f64 {
        match self {
            Engine::Vllm => fraction * capacity - workspace,
            Engine::Sglang => fraction * capacity,
            Engine::Trtllm => weights + fraction * (capacity - weights - workspace),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_engine_sizes_its_pool_by_its_rule() {
        // 80 GB, 16 GB of weights, 2 GB of workspace.
        let (c, w, a) = (80.0, 16.0, 2.0);
        // vLLM: 0.9 × 80 − 2 = 70, pool 54.
        assert_eq!(Engine::Vllm.usable(0.9, c, w, a) - w, 54.0);
        // SGLang on one GPU: 0.88 × 80 = 70.4, pool 54.4.
        let f = Engine::Sglang.default_fraction(1);
        assert!((Engine::Sglang.usable(f, c, w, a) - w - 54.4).abs() < 1e-12);
        assert_eq!(Engine::Sglang.default_fraction(8), 0.81);
        // TensorRT-LLM: 0.9 × (80 − 16 − 2) = 55.8.
        assert!((Engine::Trtllm.usable(0.9, c, w, a) - w - 55.8).abs() < 1e-12);
    }
}
