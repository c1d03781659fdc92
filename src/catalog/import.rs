//! Hugging Face `config.json` import: the common families' field names mapped to the preset format, so
//! a model downloaded from the Hub can be counted as it is, or written out as a preset to keep and edit.
//!
//! Every field the mapping does not read is listed as ignored, and anything the preset format cannot
//! express is a named warning (or, where the count would be wrong by more than a rounding, an error):
//! never a silently wrong count. Defaults follow the `transformers` configuration classes: GPT-2, BERT
//! and T5 tie the output head to the embedding unless `tie_word_embeddings` says otherwise; Llama-style
//! models do not.

use serde_json::{Map, Value};

use crate::domain::model::spec::{
    ArchitectureSpec, MlaSpec, Mlp, ModelSpec, MoeSpec, Norm, Positional, QkNorm, StackSpec,
    WindowKind, WindowSpec,
};

/// A `config.json` turned into a preset.
#[derive(Clone, Debug, PartialEq)]
pub struct Imported {
    /// The preset, as TOML.
    pub toml: String,
    /// Fields of the config that the mapping did not read.
    pub ignored: Vec<String>,
    /// Things the preset cannot express, with their effect.
    pub warnings: Vec<String>,
}

/// Why a config cannot be imported.
#[derive(Clone, Debug, PartialEq)]
pub struct ImportError(pub String);

/// Reads fields of the config, remembering which were read.
struct Reader<'a> {
    config: &'a Map<String, Value>,
    read: Vec<&'static str>,
}

impl Reader<'_> {
    fn get(&mut self, key: &'static str) -> Option<&Value> {
        self.read.push(key);
        self.config.get(key).filter(|v| !v.is_null())
    }

    /// A whole number (`32000` or `32000.0`), at most 2^63 − 1 so that it fits a TOML integer.
    fn uint(&mut self, key: &'static str) -> Result<Option<u64>, ImportError> {
        let Some(v) = self.get(key) else {
            return Ok(None);
        };
        let whole = v.as_u64().or_else(|| {
            v.as_f64()
                .filter(|f| f.fract() == 0.0 && *f >= 0.0 && *f < 9.2e18)
                .map(|f| f as u64)
        });
        match whole {
            Some(n) if i64::try_from(n).is_ok() => Ok(Some(n)),
            _ => Err(ImportError(format!(
                "`{key}` = {v} is not a whole number llmcalc can hold"
            ))),
        }
    }

    fn need(&mut self, key: &'static str) -> Result<u64, ImportError> {
        self.uint(key)?
            .ok_or_else(|| ImportError(format!("`{key}` is missing")))
    }

    /// A whole number the family's configuration class supplies when the file leaves it out.
    fn need_or(&mut self, key: &'static str, default: Option<u64>) -> Result<u64, ImportError> {
        match default {
            Some(d) => Ok(self.uint(key)?.unwrap_or(d)),
            None => self.need(key),
        }
    }

    fn boolean(&mut self, key: &'static str, default: bool) -> Result<bool, ImportError> {
        match self.get(key) {
            None => Ok(default),
            Some(v) => v
                .as_bool()
                .ok_or_else(|| ImportError(format!("`{key}` = {v} is not true or false"))),
        }
    }

    fn text(&mut self, key: &'static str) -> Result<Option<String>, ImportError> {
        match self.get(key) {
            None => Ok(None),
            Some(v) => v
                .as_str()
                .map(|s| Some(s.to_string()))
                .ok_or_else(|| ImportError(format!("`{key}` = {v} is not a string"))),
        }
    }
}

/// The MLP kind of an activation name.
fn mlp(activation: &str, gated: bool) -> Result<Mlp, ImportError> {
    let kind = match (activation, gated) {
        ("silu" | "swish", true) => Mlp::SwiGlu,
        ("gelu" | "gelu_new" | "gelu_pytorch_tanh" | "gelu_fast", true) => Mlp::GeGlu,
        ("relu", true) => Mlp::ReGlu,
        ("gelu" | "gelu_new" | "gelu_pytorch_tanh" | "gelu_fast", false) => Mlp::Gelu,
        ("relu", false) => Mlp::Relu,
        ("silu" | "swish", false) => Mlp::Silu,
        (other, _) => {
            return Err(ImportError(format!(
                "activation `{other}` is not one llmcalc knows"
            )));
        }
    };
    Ok(kind)
}

/// What a config maps to: the shared architecture, the stacks, and what the preset cannot express.
struct Mapped {
    architecture: ArchitectureSpec,
    encoder: Option<StackSpec>,
    decoder: Option<StackSpec>,
    warnings: Vec<String>,
}

/// GPT-2 (`transformers`' `GPT2Config`): learned positions, LayerNorm with biases, head tied by default.
fn gpt2(r: &mut Reader) -> Result<Mapped, ImportError> {
    let d = r.need("n_embd")?;
    let ffn = match r.uint("n_inner")? {
        Some(ffn) => ffn,
        // GPT2Config's MLP width when n_inner is absent.
        None => d
            .checked_mul(4)
            .filter(|f| i64::try_from(*f).is_ok())
            .ok_or_else(|| {
                ImportError(format!(
                    "`n_embd` = {d} is too large: the MLP width 4 × n_embd does not fit"
                ))
            })?,
    };
    let act = r
        .text("activation_function")?
        .unwrap_or_else(|| "gelu_new".into());
    let architecture = ArchitectureSpec {
        vocab: Some(r.need("vocab_size")?),
        d_model: Some(d),
        context: Some(r.need("n_positions")?),
        positional: Some(Positional::Learned),
        tied_embeddings: Some(r.boolean("tie_word_embeddings", true)?),
        norm: Some(Norm::LayerNorm),
        bias: Some(true),
        ..ArchitectureSpec::default()
    };
    let decoder = StackSpec {
        layers: Some(r.need("n_layer")?),
        heads: Some(r.need("n_head")?),
        ffn: Some(ffn),
        mlp: Some(mlp(&act, false)?),
        ..StackSpec::default()
    };
    Ok(Mapped {
        architecture,
        encoder: None,
        decoder: Some(decoder),
        warnings: Vec::new(),
    })
}

/// BERT (`BertConfig`): an encoder with token types, an embedding LayerNorm and a pooler.
fn bert(r: &mut Reader) -> Result<Mapped, ImportError> {
    let act = r.text("hidden_act")?.unwrap_or_else(|| "gelu".into());
    let architecture = ArchitectureSpec {
        vocab: Some(r.need("vocab_size")?),
        d_model: Some(r.need("hidden_size")?),
        context: Some(r.need("max_position_embeddings")?),
        positional: Some(Positional::Learned),
        tied_embeddings: Some(r.boolean("tie_word_embeddings", true)?),
        norm: Some(Norm::LayerNorm),
        bias: Some(true),
        final_norm: Some(false),
        token_types: Some(r.uint("type_vocab_size")?.unwrap_or(2)),
        embedding_norm: Some(true),
        pooler: Some(true),
        ..ArchitectureSpec::default()
    };
    let encoder = StackSpec {
        layers: Some(r.need("num_hidden_layers")?),
        heads: Some(r.need("num_attention_heads")?),
        ffn: Some(r.need("intermediate_size")?),
        mlp: Some(mlp(&act, false)?),
        ..StackSpec::default()
    };
    Ok(Mapped {
        architecture,
        encoder: Some(encoder),
        decoder: None,
        warnings: vec![
            "BERT's masked-LM head (a d_model × d_model transform, its LayerNorm and the output bias) is not \
             counted, as in the published 110M; the pooler is, though config.json cannot say whether the \
             checkpoint has one"
                .into(),
        ],
    })
}

/// T5 (`T5Config`): encoder and decoder, bucketed relative positions, RMSNorm without biases.
fn t5(r: &mut Reader) -> Result<Mapped, ImportError> {
    let proj = r
        .text("feed_forward_proj")?
        .unwrap_or_else(|| "relu".into());
    let (gated, act) = match proj.strip_prefix("gated-") {
        Some(act) => (true, act.to_string()),
        None => (false, proj.clone()),
    };
    let layers = r.need("num_layers")?;
    let decoder_layers = r.uint("num_decoder_layers")?.unwrap_or(layers);
    let heads = r.need("num_heads")?;
    let stack = |layers: u64, r: &mut Reader| -> Result<StackSpec, ImportError> {
        Ok(StackSpec {
            layers: Some(layers),
            heads: Some(heads),
            head_dim: Some(r.need("d_kv")?),
            ffn: Some(r.need("d_ff")?),
            mlp: Some(mlp(&act, gated)?),
            ..StackSpec::default()
        })
    };
    let encoder = stack(layers, r)?;
    let decoder = stack(decoder_layers, r)?;
    let architecture = ArchitectureSpec {
        vocab: Some(r.need("vocab_size")?),
        d_model: Some(r.need("d_model")?),
        context: Some(r.uint("n_positions")?.unwrap_or(512)),
        positional: Some(Positional::Relative),
        relative_buckets: Some(r.uint("relative_attention_num_buckets")?.unwrap_or(32)),
        tied_embeddings: Some(r.boolean("tie_word_embeddings", true)?),
        norm: Some(Norm::RmsNorm),
        bias: Some(false),
        ..ArchitectureSpec::default()
    };
    Ok(Mapped {
        architecture,
        encoder: Some(encoder),
        decoder: Some(decoder),
        warnings: Vec::new(),
    })
}

/// What `transformers`' configuration class supplies for a field a family's config.json may leave
/// out: `Gemma3TextConfig` (transformers 4.50) has vocab_size 262,208, max_position_embeddings 131,072
/// and hidden_activation gelu_pytorch_tanh, and the published google/gemma-3-27b-it text_config lists
/// none of them (as quoted in NVIDIA/TensorRT-LLM `tests/unittest/_torch/modeling/test_modeling_gemma3.py`);
/// Gemma 1 and 2 default to gelu_pytorch_tanh too. `Llama4TextConfig` (transformers 4.51,
/// models/llama4/configuration_llama4.py) has vocab_size 202,048 and max_position_embeddings
/// 4,096 × 32 = 131,072.
fn class_default(model_type: &str, key: &str) -> Option<u64> {
    match (model_type, key) {
        ("gemma3" | "gemma3_text", "vocab_size") => Some(262_208),
        ("gemma3" | "gemma3_text", "max_position_embeddings") => Some(131_072),
        ("llama4" | "llama4_text", "vocab_size") => Some(202_048),
        ("llama4" | "llama4_text", "max_position_embeddings") => Some(131_072),
        _ => None,
    }
}

/// Llama and the families that share its layout (Mistral, Mixtral, Qwen2/3 and their MoE, DeepSeek,
/// Kimi K2, Gemma 1–3, Llama 4, gpt-oss, Phi-3, OLMo 2): rotary positions, RMSNorm, gated MLPs,
/// grouped-query attention; what a family adds is set by [`details`].
fn llama(model_type: &str, r: &mut Reader) -> Result<Mapped, ImportError> {
    let d = r.need("hidden_size")?;
    let heads = r.need("num_attention_heads")?;
    let kv = r.uint("num_key_value_heads")?.unwrap_or(heads);
    let act = match r.text("hidden_act")? {
        Some(act) => act,
        None => r.text("hidden_activation")?.unwrap_or_else(|| {
            let gemma = model_type.starts_with("gemma");
            if gemma { "gelu_pytorch_tanh" } else { "silu" }.into()
        }),
    };
    let ffn = r.need("intermediate_size")?;
    let architecture = ArchitectureSpec {
        vocab: Some(r.need_or("vocab_size", class_default(model_type, "vocab_size"))?),
        d_model: Some(d),
        context: Some(r.need_or(
            "max_position_embeddings",
            class_default(model_type, "max_position_embeddings"),
        )?),
        positional: Some(Positional::Rotary),
        tied_embeddings: Some(r.boolean("tie_word_embeddings", model_type.starts_with("gemma"))?),
        norm: Some(Norm::RmsNorm),
        bias: Some(false),
        ..ArchitectureSpec::default()
    };
    let mut decoder = StackSpec {
        layers: Some(r.need("num_hidden_layers")?),
        heads: Some(heads),
        kv_heads: Some(kv),
        ffn: Some(ffn),
        mlp: Some(mlp(&act, true)?),
        head_dim: r.uint("head_dim")?,
        qkv_bias: model_type.starts_with("qwen2").then_some(true),
        qk_norm: model_type.starts_with("qwen3").then_some(QkNorm::Head),
        ..StackSpec::default()
    };
    if let Some(mla) = mla(r)? {
        decoder.mla = Some(mla);
        decoder.head_dim = None;
        decoder.mtp_modules = r.uint("num_nextn_predict_layers")?.filter(|&n| n > 0);
    }
    let mut warnings = llama_warnings(model_type, r)?;
    decoder.moe = moe(model_type, r, &mut warnings)?;
    let mut architecture = architecture;
    details(model_type, r, &mut architecture, &mut decoder)?;
    Ok(Mapped {
        architecture,
        encoder: None,
        decoder: Some(decoder),
        warnings,
    })
}

/// What a family adds to the Llama layout: norms, QK-norm, windows, sinks, biases and Llama 4's dense
/// layers.
fn details(
    model_type: &str,
    r: &mut Reader,
    architecture: &mut ArchitectureSpec,
    decoder: &mut StackSpec,
) -> Result<(), ImportError> {
    match model_type {
        // Gemma 2 (arXiv:2408.00118, §2): local and global layers alternate, RMSNorm before and after
        // attention and MLP.
        "gemma2" => {
            decoder.norms_per_layer = Some(4);
            decoder.window = window(r, Some(2))?;
        }
        // Gemma 3 (arXiv:2503.19786, §2): five local layers per global one, QK-norm in place of
        // Gemma 2's soft-capping.
        "gemma3" | "gemma3_text" => {
            decoder.norms_per_layer = Some(4);
            decoder.qk_norm = Some(QkNorm::Head);
            decoder.window = window(r, Some(6))?;
        }
        // OLMo 2 (arXiv:2501.00656, §3): RMSNorm over the whole query and key projections.
        "olmo2" => decoder.qk_norm = Some(QkNorm::Full),
        // gpt-oss (arXiv:2508.10925, §2.1): biases on attention and experts, a learned sink per head,
        // windowed layers as `layer_types` lists them.
        "gpt_oss" => {
            architecture.bias = Some(r.boolean("attention_bias", true)?);
            decoder.attention_sinks = Some(true);
            decoder.window = window(r, None)?;
        }
        "llama4" | "llama4_text" => {
            decoder.ffn = Some(r.need("intermediate_size_mlp")?);
            decoder.window = chunks(r)?;
        }
        other if other.starts_with("qwen") => {}
        // Mistral, Mixtral, Phi-3 and the rest: a window, where the config has one, on every layer.
        _ => decoder.window = window(r, None)?,
    }
    Ok(())
}

/// The sliding window of a config: `sliding_window` tokens on the layers `layer_types` names
/// `sliding_attention` (or, without it, all but every `sliding_window_pattern`-th layer, or the
/// family's `global_every`), as long as the global layers fall every k-th layer.
fn window(r: &mut Reader, global_every: Option<u64>) -> Result<Option<WindowSpec>, ImportError> {
    let Some(size) = r.uint("sliding_window")? else {
        return Ok(None);
    };
    let global_every = match r.get("layer_types").cloned() {
        Some(types) => {
            let types = types.as_array().cloned().unwrap_or_default();
            let full: Vec<bool> = types
                .iter()
                .map(|t| t.as_str() == Some("full_attention"))
                .collect();
            match periodic(&full) {
                Periodic::All => return Ok(None),
                Periodic::None => None,
                Periodic::Every(k) => Some(k),
                Periodic::Irregular => {
                    return Err(ImportError(
                        "`layer_types` places the full-attention layers other than every k-th layer, \
                         which the preset's window (global_every) does not express"
                            .into(),
                    ));
                }
            }
        }
        None => r.uint("sliding_window_pattern")?.or(global_every),
    };
    Ok(Some(WindowSpec {
        kind: None,
        size: Some(size),
        global_every,
    }))
}

/// Where the marked layers of a list fall.
#[derive(Debug, PartialEq)]
enum Periodic {
    /// Every layer is marked.
    All,
    /// No layer is.
    None,
    /// Layers k−1, 2k−1, … (from 0) are, and only they.
    Every(u64),
    /// Any other placement.
    Irregular,
}

fn periodic(marked: &[bool]) -> Periodic {
    let Some(first) = marked.iter().position(|&m| m) else {
        return Periodic::None;
    };
    let k = first + 1;
    if k == 1 {
        return if marked.iter().all(|&m| m) {
            Periodic::All
        } else {
            Periodic::Irregular
        };
    }
    let regular = marked
        .iter()
        .enumerate()
        .all(|(i, &m)| m == (i + 1).is_multiple_of(k));
    if regular {
        Periodic::Every(k as u64)
    } else {
        Periodic::Irregular
    }
}

/// Llama 4's chunked attention (`attention_chunk_size`) on the layers with rotary positions, every
/// k-th layer global without them (`no_rope_layers` 0; Llama 4 model card, "iRoPE"): a window of
/// kind `chunked`. In transformers' `Llama4TextDecoderLayer` (4.51, models/llama4/modeling_llama4.py)
/// the layers with rotary positions, `(layer_idx + 1) % 4 != 0`, take the chunked causal mask and the
/// others the full causal one, and Meta's reference (meta-llama/llama-models, models/llama4/model.py) masks its local layers with
/// `create_chunked_attention_mask`: tokens of [0, c), [c, 2c), … attend only to each other. The
/// published Scout and Maverick configs leave `no_rope_layers` empty: `Llama4TextConfig`
/// (transformers 4.51) then makes every `no_rope_layer_interval`-th layer (4 by default) global.
fn chunks(r: &mut Reader) -> Result<Option<WindowSpec>, ImportError> {
    let Some(size) = r.uint("attention_chunk_size")? else {
        return Ok(None);
    };
    let global: Vec<bool> = r
        .get("no_rope_layers")
        .and_then(Value::as_array)
        .map(|a| a.iter().map(|v| v.as_u64() == Some(0)).collect())
        .unwrap_or_default();
    let global_every = if global.is_empty() {
        match r.uint("no_rope_layer_interval")?.unwrap_or(4) {
            0 => {
                return Err(ImportError(
                    "`no_rope_layer_interval` = 0: the global layers fall every k-th layer, k at \
                     least 1"
                        .into(),
                ));
            }
            1 => return Ok(None),
            k => Some(k),
        }
    } else {
        match periodic(&global) {
            Periodic::All => return Ok(None),
            Periodic::None => None,
            Periodic::Every(k) => Some(k),
            Periodic::Irregular => {
                return Err(ImportError(
                    "`no_rope_layers` places the global layers other than every k-th layer, which \
                     the preset's window (global_every) does not express"
                        .into(),
                ));
            }
        }
    };
    Ok(Some(WindowSpec {
        kind: Some(WindowKind::Chunked),
        size: Some(size),
        global_every,
    }))
}

/// Llama 4's experts (`Llama4TextMoe`): routed experts of `intermediate_size` with one shared expert
/// of the same width on every `interleave_moe_layer_step`-th layer (layers k−1, 2k−1, …, as the
/// preset's `every`); an explicit `moe_layers` list must agree.
fn llama4_moe(r: &mut Reader) -> Result<MoeSpec, ImportError> {
    let every = r.uint("interleave_moe_layer_step")?.unwrap_or(1).max(1);
    let layers = r.need("num_hidden_layers")?;
    if let Some(list) = r.get("moe_layers").and_then(Value::as_array) {
        let listed: Vec<u64> = list.iter().filter_map(Value::as_u64).collect();
        let expected: Vec<u64> = (0..layers).filter(|i| (i + 1) % every == 0).collect();
        if listed != expected {
            return Err(ImportError(format!(
                "`moe_layers` does not list every {every}-th layer (`interleave_moe_layer_step`), \
                 which the preset format (every) expresses"
            )));
        }
    }
    Ok(MoeSpec {
        experts: Some(r.need("num_local_experts")?),
        top_k: Some(r.need("num_experts_per_tok")?),
        shared_experts: Some(1),
        expert_ffn: Some(r.need("intermediate_size")?),
        every: Some(every),
        ..MoeSpec::default()
    })
}

/// Multi-head Latent Attention of a DeepSeek-V2/V3 or Kimi K2 config (`configuration_deepseek.py`), if
/// it has a `kv_lora_rank`; `q_lora_rank` null means queries are projected directly.
fn mla(r: &mut Reader) -> Result<Option<MlaSpec>, ImportError> {
    let Some(kv_lora_rank) = r.uint("kv_lora_rank")? else {
        return Ok(None);
    };
    Ok(Some(MlaSpec {
        q_lora_rank: r.uint("q_lora_rank")?,
        kv_lora_rank: Some(kv_lora_rank),
        qk_nope_head_dim: Some(r.need("qk_nope_head_dim")?),
        qk_rope_head_dim: Some(r.need("qk_rope_head_dim")?),
        v_head_dim: Some(r.need("v_head_dim")?),
    }))
}

/// What a Llama-style config sets that the preset format does not count.
fn llama_warnings(model_type: &str, r: &mut Reader) -> Result<Vec<String>, ImportError> {
    let mut warnings = Vec::new();
    if r.boolean("mlp_bias", false)? {
        warnings.push("`mlp_bias` is set: the MLP biases are not counted".into());
    }
    // Qwen's window applies only to the layers from `max_window_layers` on, which the preset's
    // window (every layer, or one global layer in k) does not express; other families map it.
    let qwen_window = model_type.starts_with("qwen") && r.boolean("use_sliding_window", false)?;
    if let (true, Some(window)) = (qwen_window, r.uint("sliding_window")?) {
        warnings.push(format!(
            "`sliding_window` = {window} with `use_sliding_window`: attention sees at most {window} \
             tokens on some layers, but llmcalc counts attention FLOPs and the KV cache over the \
             whole context"
        ));
    }
    if model_type != "gpt_oss" && r.boolean("attention_bias", false)? {
        warnings
            .push("`attention_bias` is set: the Q, K, V and output biases are not counted".into());
    }
    Ok(warnings)
}

/// The Mixture of Experts of a Llama-style config, if it has one.
fn moe(
    model_type: &str,
    r: &mut Reader,
    warnings: &mut Vec<String>,
) -> Result<Option<MoeSpec>, ImportError> {
    let moe = match model_type {
        "mixtral" => MoeSpec {
            experts: Some(r.need("num_local_experts")?),
            top_k: Some(r.need("num_experts_per_tok")?),
            ..MoeSpec::default()
        },
        // gpt-oss (`GptOssConfig`): every layer routes among experts of `intermediate_size`, the router
        // with a bias (model card, arXiv:2508.10925, §2.1).
        "gpt_oss" => MoeSpec {
            experts: Some(r.need("num_local_experts")?),
            top_k: Some(r.need("num_experts_per_tok")?),
            router_bias: Some(true),
            ..MoeSpec::default()
        },
        "llama4" | "llama4_text" => llama4_moe(r)?,
        "qwen2_moe" | "qwen3_moe" => qwen_moe(r, warnings)?,
        "deepseek" | "deepseek_v2" | "deepseek_v3" | "kimi_k2" => deepseek_moe(model_type, r)?,
        _ => return Ok(None),
    };
    Ok(Some(moe))
}

/// DeepSeek's experts (`modeling_deepseek.py`): layer i is MoE when i ≥ first_k_dense_replace and
/// i % moe_layer_freq == 0, which the preset's rule (from `first_dense`, every `every`-th layer)
/// expresses with every = freq and first_dense = m − freq + 1, m the first MoE layer. V3 and Kimi K2
/// route with a bias per expert (`topk_method` "noaux_tc": e_score_correction_bias).
fn deepseek_moe(model_type: &str, r: &mut Reader) -> Result<MoeSpec, ImportError> {
    let freq = r.uint("moe_layer_freq")?.unwrap_or(1).max(1);
    let first = r.uint("first_k_dense_replace")?.unwrap_or(0);
    let first_moe = first.div_ceil(freq) * freq;
    let Some(first_dense) = (first_moe + 1).checked_sub(freq) else {
        return Err(ImportError(format!(
            "`moe_layer_freq` = {freq} with `first_k_dense_replace` = {first} makes layer 0 a MoE layer \
             and layer 1 dense, which the preset format (first_dense, every) does not express"
        )));
    };
    let noaux = r.text("topk_method")?.as_deref() == Some("noaux_tc");
    Ok(MoeSpec {
        experts: Some(r.need("n_routed_experts")?),
        top_k: Some(r.need("num_experts_per_tok")?),
        expert_ffn: Some(r.need("moe_intermediate_size")?),
        shared_experts: Some(r.uint("n_shared_experts")?.unwrap_or(0)),
        first_dense: Some(first_dense),
        every: Some(freq),
        router_bias: Some(noaux || model_type == "deepseek_v3" || model_type == "kimi_k2"),
        ..MoeSpec::default()
    })
}

/// Qwen-MoE's experts: its shared expert, one of its own width, becomes that many experts of the
/// routed width.
fn qwen_moe(r: &mut Reader, warnings: &mut Vec<String>) -> Result<MoeSpec, ImportError> {
    let expert_ffn = r.need("moe_intermediate_size")?;
    if expert_ffn == 0 {
        return Err(ImportError(
            "`moe_intermediate_size` = 0: an expert must be at least 1 wide".into(),
        ));
    }
    let shared = r.uint("shared_expert_intermediate_size")?.unwrap_or(0);
    if shared % expert_ffn != 0 {
        return Err(ImportError(format!(
            "`shared_expert_intermediate_size` = {shared} is not a whole number of experts of \
             `moe_intermediate_size` = {expert_ffn}"
        )));
    }
    if r.get("mlp_only_layers")
        .and_then(Value::as_array)
        .is_some_and(|a| !a.is_empty())
    {
        return Err(ImportError(
            "`mlp_only_layers` lists dense layers, which the preset format \
                                expresses only as the first layers (first_dense)"
                .into(),
        ));
    }
    if shared > 0 {
        warnings.push(
            "Qwen-MoE's shared expert is counted as shared_expert_intermediate_size / \
             moe_intermediate_size experts of the expert width (the same parameters), with its \
             d_model × 1 gate"
                .into(),
        );
    }
    Ok(MoeSpec {
        experts: Some(r.need("num_experts")?),
        top_k: Some(r.need("num_experts_per_tok")?),
        expert_ffn: Some(expert_ffn),
        shared_experts: Some(shared / expert_ffn),
        every: Some(r.uint("decoder_sparse_step")?.unwrap_or(1)),
        shared_gate: Some(shared > 0),
        ..MoeSpec::default()
    })
}

/// The config's fields llmcalc did not read, sorted, and the notes naming them and the warnings.
fn notes(config: &Map<String, Value>, read: &[&str], warnings: &[String]) -> (Vec<String>, String) {
    let mut ignored: Vec<String> = config
        .keys()
        .filter(|k| !read.contains(&k.as_str()))
        .cloned()
        .collect();
    ignored.sort();
    /// Field names listed in full; beyond them, only how many more.
    const LISTED: usize = 40;
    let listed = match ignored.len() {
        0 => "none".into(),
        n if n <= LISTED => ignored.join(", "),
        n => format!(
            "{n}, among them {} and {} more",
            ignored[..LISTED].join(", "),
            n - LISTED
        ),
    };
    let mut notes = format!("Fields not read: {listed}.");
    for w in warnings {
        notes.push_str(&format!(" Warning: {w}."));
    }
    (ignored, notes)
}

/// A multimodal config (Gemma 3, Llama 4) nests its language model in `text_config`: its fields, with
/// the outer ones it lacks (such as `tie_word_embeddings`) and the outer `model_type`, are what the
/// mapping reads. `None` when the config has no `text_config`.
fn text_model(outer: &Map<String, Value>) -> Result<Option<Map<String, Value>>, ImportError> {
    let Some(text) = outer.get("text_config") else {
        return Ok(None);
    };
    let text = text
        .as_object()
        .ok_or_else(|| ImportError("`text_config` is not a JSON object".into()))?;
    let mut merged = text.clone();
    for (key, value) in outer {
        if key != "text_config" && (key == "model_type" || !merged.contains_key(key)) {
            merged.insert(key.clone(), value.clone());
        }
    }
    Ok(Some(merged))
}

/// Converts a `config.json` (its text) into a preset named `name`.
pub fn import(name: &str, text: &str) -> Result<Imported, ImportError> {
    let value: Value =
        serde_json::from_str(text).map_err(|e| ImportError(format!("not JSON: {e}")))?;
    let outer = value
        .as_object()
        .ok_or_else(|| ImportError("the file is not a JSON object".into()))?;
    let merged = text_model(outer)?;
    let config = merged.as_ref().unwrap_or(outer);
    let mut r = Reader {
        config,
        read: Vec::new(),
    };
    let model_type = r.text("model_type")?.ok_or_else(|| {
        ImportError("`model_type` is missing: llmcalc cannot tell the family".into())
    })?;
    let mapped = match model_type.as_str() {
        "gpt2" => gpt2(&mut r)?,
        "bert" => bert(&mut r)?,
        "t5" => t5(&mut r)?,
        "llama" | "mistral" | "mixtral" | "qwen2" | "qwen2_moe" | "qwen3" | "qwen3_moe"
        | "deepseek" | "deepseek_v2" | "deepseek_v3" | "kimi_k2" | "gemma" | "gemma2"
        | "gemma3" | "gemma3_text" | "llama4" | "llama4_text" | "gpt_oss" | "phi3" | "olmo2" => {
            llama(&model_type, &mut r)?
        }
        other => {
            return Err(ImportError(format!(
                "model_type `{other}` is not one llmcalc maps; it knows gpt2, bert, t5, llama, llama4, mistral, \
                 mixtral, gemma, gemma2, gemma3, qwen2, qwen2_moe, qwen3, qwen3_moe, deepseek, deepseek_v2, \
                 deepseek_v3, kimi_k2, gpt_oss, phi3 and olmo2 — write a preset by hand (presets/README.md)"
            )));
        }
    };
    let (ignored, notes) = notes(config, &r.read, &mapped.warnings);
    let preset = ModelSpec {
        name: name.to_string(),
        source: format!("Imported from a Hugging Face config.json (model_type `{model_type}`)"),
        notes: Some(notes),
        architecture: Some(mapped.architecture),
        encoder: mapped.encoder,
        decoder: mapped.decoder,
        ..ModelSpec::default()
    };
    // Through a table, whose keys are sorted, so that the text is in a stable order.
    let toml = toml::Table::try_from(&preset)
        .and_then(|table| toml::to_string(&table))
        .map_err(|e| ImportError(format!("cannot write the preset: {e}")))?;
    Ok(Imported {
        toml,
        ignored,
        warnings: mapped.warnings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::model::Model;

    /// The published configs of `tests/fixtures/hf`.
    const FIXTURES: [(&str, &str); 14] = [
        ("gpt2", include_str!("../../tests/fixtures/hf/gpt2.json")),
        (
            "bert-base-uncased",
            include_str!("../../tests/fixtures/hf/bert-base-uncased.json"),
        ),
        (
            "t5-base",
            include_str!("../../tests/fixtures/hf/t5-base.json"),
        ),
        (
            "llama-2-7b",
            include_str!("../../tests/fixtures/hf/llama-2-7b.json"),
        ),
        (
            "mixtral-8x7b",
            include_str!("../../tests/fixtures/hf/mixtral-8x7b.json"),
        ),
        (
            "deepseek-moe-16b",
            include_str!("../../tests/fixtures/hf/deepseek-moe-16b.json"),
        ),
        (
            "deepseek-r1",
            include_str!("../../tests/fixtures/hf/deepseek-r1.json"),
        ),
        (
            "deepseek-v2.5",
            include_str!("../../tests/fixtures/hf/deepseek-v2.5.json"),
        ),
        (
            "qwen3-8b",
            include_str!("../../tests/fixtures/hf/qwen3-8b.json"),
        ),
        (
            "qwen3-30b-a3b",
            include_str!("../../tests/fixtures/hf/qwen3-30b-a3b.json"),
        ),
        (
            "gpt-oss-20b",
            include_str!("../../tests/fixtures/hf/gpt-oss-20b.json"),
        ),
        (
            "gemma-2-9b-it",
            include_str!("../../tests/fixtures/hf/gemma-2-9b-it.json"),
        ),
        (
            "phi-3-mini-4k-instruct",
            include_str!("../../tests/fixtures/hf/phi-3-mini-4k-instruct.json"),
        ),
        (
            "qwen2-57b-a14b",
            include_str!("../../tests/fixtures/hf/qwen2-57b-a14b.json"),
        ),
    ];

    /// The decoder a config maps to.
    fn decoder(config: &str) -> StackSpec {
        let spec: ModelSpec = toml::from_str(&import("m", config).unwrap().toml).unwrap();
        spec.decoder.unwrap()
    }

    /// Shapes every Llama-style config below shares.
    const BASE: &str = r#""hidden_size": 64, "num_attention_heads": 4, "num_key_value_heads": 2,
        "intermediate_size": 128, "vocab_size": 100, "max_position_embeddings": 64,
        "num_hidden_layers": 6"#;

    #[test]
    fn families_map_their_windows_norms_and_experts() {
        // Gemma 2: alternating windows (arXiv:2408.00118, §2), four norms per block.
        let g2 = decoder(&format!(
            r#"{{"model_type": "gemma2", "sliding_window": 4096, {BASE}}}"#
        ));
        let w = g2.window.unwrap();
        assert_eq!(
            (w.kind, w.size, w.global_every, g2.norms_per_layer),
            (None, Some(4096), Some(2), Some(4))
        );
        // Gemma 3 nests its language model in text_config; sliding_window_pattern 6 is one global
        // layer in six.
        let g3 = decoder(&format!(
            r#"{{"model_type": "gemma3", "text_config": {{"model_type": "gemma3_text",
            "sliding_window": 1024, "sliding_window_pattern": 6, {BASE}}}, "vision_config": {{}}}}"#
        ));
        assert_eq!(g3.window.unwrap().global_every, Some(6));
        assert_eq!(g3.qk_norm, Some(QkNorm::Head));
        // Llama 4: experts of intermediate_size on every second layer, dense layers of
        // intermediate_size_mlp, chunks on the layers with rotary positions.
        let l4 = decoder(&format!(
            r#"{{"model_type": "llama4", "text_config": {{"intermediate_size_mlp": 256,
            "num_local_experts": 8, "num_experts_per_tok": 1, "interleave_moe_layer_step": 2,
            "moe_layers": [1, 3, 5], "attention_chunk_size": 32, "no_rope_layers": [1, 1, 1, 0, 1, 1],
            {BASE}}}}}"#
        ));
        let moe = l4.moe.unwrap();
        assert_eq!(
            (moe.expert_ffn, moe.every, moe.shared_experts),
            (Some(128), Some(2), Some(1))
        );
        assert_eq!(l4.ffn, Some(256));
        let chunks = l4.window.unwrap();
        assert_eq!(
            (chunks.kind, chunks.global_every),
            (Some(WindowKind::Chunked), Some(4))
        );
        // OLMo 2: QK-norm over the whole projections; Phi-3: a window on every layer.
        let olmo = decoder(&format!(r#"{{"model_type": "olmo2", {BASE}}}"#));
        assert_eq!(olmo.qk_norm, Some(QkNorm::Full));
        let phi = decoder(&format!(
            r#"{{"model_type": "phi3", "sliding_window": 2047, {BASE}}}"#
        ));
        assert_eq!(phi.window.unwrap().global_every, None);
    }

    #[test]
    fn gemma3_takes_its_class_defaults() {
        // google/gemma-3-27b-it's text_config as NVIDIA/TensorRT-LLM's Gemma 3 test quotes it
        // (`GEMMA3_27B_CONFIG`; that test cuts the layers to 6 and the window to 4): no vocab_size,
        // max_position_embeddings or hidden_activation, which Gemma3TextConfig supplies.
        let g3 = r#"{"architectures": ["Gemma3ForConditionalGeneration"], "model_type": "gemma3",
            "text_config": {"head_dim": 128, "hidden_size": 5376, "intermediate_size": 21504,
            "model_type": "gemma3_text", "num_attention_heads": 32, "num_hidden_layers": 6,
            "num_key_value_heads": 16, "query_pre_attn_scalar": 168,
            "rope_scaling": {"factor": 8.0, "rope_type": "linear"}, "sliding_window": 4,
            "sliding_window_pattern": 6}, "vision_config": {"hidden_size": 1152}}"#;
        let spec: ModelSpec = toml::from_str(&import("g3", g3).unwrap().toml).unwrap();
        let arch = spec.architecture.unwrap();
        assert_eq!((arch.vocab, arch.context), (Some(262_208), Some(131_072)));
        assert_eq!(arch.tied_embeddings, Some(true));
        let dec = spec.decoder.unwrap();
        assert_eq!(dec.mlp, Some(Mlp::GeGlu));
        assert_eq!(dec.window.unwrap().global_every, Some(6));
    }

    #[test]
    fn llama4_takes_its_class_defaults() {
        // Without vocab_size or max_position_embeddings, Llama4TextConfig supplies 202,048 and
        // 131,072 (transformers 4.51); the config is read, not refused.
        let l4 = r#"{"model_type": "llama4", "text_config": {"model_type": "llama4_text",
            "hidden_size": 64, "num_attention_heads": 4, "intermediate_size": 32,
            "intermediate_size_mlp": 128, "num_hidden_layers": 2, "num_local_experts": 4,
            "num_experts_per_tok": 1}}"#;
        let spec: ModelSpec = toml::from_str(&import("l4", l4).unwrap().toml).unwrap();
        let arch = spec.architecture.unwrap();
        assert_eq!((arch.vocab, arch.context), (Some(202_048), Some(131_072)));
        assert_eq!(arch.tied_embeddings, Some(false));
    }

    #[test]
    fn an_empty_nope_list_takes_the_default_interval() {
        // The published Scout config's `"no_rope_layers": []` (quoted in AMD-AGI/Primus pull request
        // #165): Llama4TextConfig makes every 4th layer global.
        let text = |extra: &str| {
            format!(
                r#"{{"model_type": "llama4_text", "intermediate_size_mlp": 256, "num_local_experts": 4,
                "num_experts_per_tok": 1, "attention_chunk_size": 32, "no_rope_layers": [], {extra}
                {BASE}}}"#
            )
        };
        let l4 = decoder(&text(""));
        assert_eq!(l4.window.unwrap().global_every, Some(4));
        assert!(
            decoder(&text(r#""no_rope_layer_interval": 1,"#))
                .window
                .is_none()
        );
        let err = import("m", &text(r#""no_rope_layer_interval": 0,"#)).unwrap_err();
        assert!(err.0.contains("`no_rope_layer_interval` = 0"), "{}", err.0);
    }

    #[test]
    fn irregular_layer_lists_are_refused() {
        let types = r#""layer_types": ["sliding_attention", "full_attention", "full_attention",
            "sliding_attention", "sliding_attention", "full_attention"]"#;
        let err = import(
            "m",
            &format!(
                r#"{{"model_type": "gpt_oss", "sliding_window": 8, {types}, "num_local_experts": 4,
                "num_experts_per_tok": 2, {BASE}}}"#
            ),
        )
        .unwrap_err();
        assert!(err.0.contains("`layer_types`"), "{}", err.0);
        assert_eq!(
            periodic(&[false, false, true, false, false, true]),
            Periodic::Every(3)
        );
        assert_eq!(periodic(&[true, true]), Periodic::All);
    }

    #[test]
    fn written_presets_read_back_as_presets() {
        for (name, config) in FIXTURES {
            let imported = import(name, config).unwrap();
            let spec: ModelSpec = toml::from_str(&imported.toml)
                .unwrap_or_else(|e| panic!("{name}: {e}\n{}", imported.toml));
            assert_eq!(spec.name, name);
            assert!(!imported.toml.contains("claims"), "{}", imported.toml);
            Model::from_spec(name.into(), spec).unwrap_or_else(|e| panic!("{name}: {e:?}"));
        }
    }
}
