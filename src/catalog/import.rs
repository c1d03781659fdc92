//! Hugging Face `config.json` import: the common families' field names mapped to the preset format, so
//! a model downloaded from the Hub can be counted as it is, or written out as a preset to keep and edit.
//!
//! Every field the mapping does not read is listed as ignored, and anything the preset format cannot
//! express is a named warning (or, where the count would be wrong by more than a rounding, an error):
//! never a silently wrong count. Defaults follow the `transformers` configuration classes: GPT-2, BERT
//! and T5 tie the output head to the embedding unless `tie_word_embeddings` says otherwise; Llama-style
//! models do not.

use serde_json::{Map, Value};

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
fn mlp(activation: &str, gated: bool) -> Result<&'static str, ImportError> {
    let kind = match (activation, gated) {
        ("silu" | "swish", true) => "swiglu",
        ("gelu" | "gelu_new" | "gelu_pytorch_tanh" | "gelu_fast", true) => "geglu",
        ("relu", true) => "reglu",
        ("gelu" | "gelu_new" | "gelu_pytorch_tanh" | "gelu_fast", false) => "gelu",
        ("relu", false) => "relu",
        ("silu" | "swish", false) => "silu",
        (other, _) => {
            return Err(ImportError(format!(
                "activation `{other}` is not one llmcalc knows"
            )));
        }
    };
    Ok(kind)
}

fn table(entries: &[(&str, toml::Value)]) -> toml::Table {
    entries
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect()
}

fn int(v: u64) -> toml::Value {
    toml::Value::Integer(v as i64)
}

/// Converts a `config.json` (its text) into a preset named `name`.
pub fn import(name: &str, text: &str) -> Result<Imported, ImportError> {
    let value: Value =
        serde_json::from_str(text).map_err(|e| ImportError(format!("not JSON: {e}")))?;
    let config = value
        .as_object()
        .ok_or_else(|| ImportError("the file is not a JSON object".into()))?;
    let mut r = Reader {
        config,
        read: Vec::new(),
    };
    let model_type = r.text("model_type")?.ok_or_else(|| {
        ImportError("`model_type` is missing: llmcalc cannot tell the family".into())
    })?;
    let mut warnings = Vec::new();
    let arch;
    let mut stacks: Vec<(&str, toml::Table)> = Vec::new();
    match model_type.as_str() {
        "gpt2" => {
            let d = r.need("n_embd")?;
            let ffn = r.uint("n_inner")?.unwrap_or(4 * d);
            let act = r
                .text("activation_function")?
                .unwrap_or_else(|| "gelu_new".into());
            arch = table(&[
                ("vocab", int(r.need("vocab_size")?)),
                ("d_model", int(d)),
                ("context", int(r.need("n_positions")?)),
                ("positional", "learned".into()),
                (
                    "tied_embeddings",
                    r.boolean("tie_word_embeddings", true)?.into(),
                ),
                ("norm", "layernorm".into()),
                ("bias", true.into()),
            ]);
            stacks.push((
                "decoder",
                table(&[
                    ("layers", int(r.need("n_layer")?)),
                    ("heads", int(r.need("n_head")?)),
                    ("ffn", int(ffn)),
                    ("mlp", mlp(&act, false)?.into()),
                ]),
            ));
        }
        "bert" => {
            let act = r.text("hidden_act")?.unwrap_or_else(|| "gelu".into());
            arch = table(&[
                ("vocab", int(r.need("vocab_size")?)),
                ("d_model", int(r.need("hidden_size")?)),
                ("context", int(r.need("max_position_embeddings")?)),
                ("positional", "learned".into()),
                (
                    "tied_embeddings",
                    r.boolean("tie_word_embeddings", true)?.into(),
                ),
                ("norm", "layernorm".into()),
                ("bias", true.into()),
                ("final_norm", false.into()),
                ("token_types", int(r.uint("type_vocab_size")?.unwrap_or(2))),
                ("embedding_norm", true.into()),
                ("pooler", true.into()),
            ]);
            stacks.push((
                "encoder",
                table(&[
                    ("layers", int(r.need("num_hidden_layers")?)),
                    ("heads", int(r.need("num_attention_heads")?)),
                    ("ffn", int(r.need("intermediate_size")?)),
                    ("mlp", mlp(&act, false)?.into()),
                ]),
            ));
            warnings.push(
                "BERT's masked-LM head (a d_model × d_model transform, its LayerNorm and the output bias) is not \
                 counted, as in the published 110M; the pooler is, though config.json cannot say whether the \
                 checkpoint has one"
                    .into(),
            );
        }
        "t5" => {
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
            let stack = |layers: u64, r: &mut Reader| -> Result<toml::Table, ImportError> {
                Ok(table(&[
                    ("layers", int(layers)),
                    ("heads", int(heads)),
                    ("head_dim", int(r.need("d_kv")?)),
                    ("ffn", int(r.need("d_ff")?)),
                    ("mlp", mlp(&act, gated)?.into()),
                ]))
            };
            let encoder = stack(layers, &mut r)?;
            let decoder = stack(decoder_layers, &mut r)?;
            arch = table(&[
                ("vocab", int(r.need("vocab_size")?)),
                ("d_model", int(r.need("d_model")?)),
                ("context", int(r.uint("n_positions")?.unwrap_or(512))),
                ("positional", "relative".into()),
                (
                    "relative_buckets",
                    int(r.uint("relative_attention_num_buckets")?.unwrap_or(32)),
                ),
                (
                    "tied_embeddings",
                    r.boolean("tie_word_embeddings", true)?.into(),
                ),
                ("norm", "rmsnorm".into()),
                ("bias", false.into()),
            ]);
            stacks.push(("encoder", encoder));
            stacks.push(("decoder", decoder));
        }
        "llama" | "mistral" | "mixtral" | "qwen2" | "qwen2_moe" | "deepseek" | "gemma" => {
            if r.get("q_lora_rank").is_some() || r.get("kv_lora_rank").is_some() {
                return Err(ImportError(
                    "multi-head latent attention (`kv_lora_rank`, `q_lora_rank`) is not modelled"
                        .into(),
                ));
            }
            let d = r.need("hidden_size")?;
            let heads = r.need("num_attention_heads")?;
            let kv = r.uint("num_key_value_heads")?.unwrap_or(heads);
            let act = match r.text("hidden_act")? {
                Some(act) => act,
                None => r
                    .text("hidden_activation")?
                    .unwrap_or_else(|| "silu".into()),
            };
            let ffn = r.need("intermediate_size")?;
            let tied_default = model_type == "gemma";
            arch = table(&[
                ("vocab", int(r.need("vocab_size")?)),
                ("d_model", int(d)),
                ("context", int(r.need("max_position_embeddings")?)),
                ("positional", "rotary".into()),
                (
                    "tied_embeddings",
                    r.boolean("tie_word_embeddings", tied_default)?.into(),
                ),
                ("norm", "rmsnorm".into()),
                ("bias", false.into()),
            ]);
            let mut decoder = table(&[
                ("layers", int(r.need("num_hidden_layers")?)),
                ("heads", int(heads)),
                ("kv_heads", int(kv)),
                ("ffn", int(ffn)),
                ("mlp", mlp(&act, true)?.into()),
            ]);
            if let Some(head_dim) = r.uint("head_dim")? {
                decoder.insert("head_dim".into(), int(head_dim));
            }
            if r.boolean("mlp_bias", false)? {
                warnings.push("`mlp_bias` is set: the MLP biases are not counted".into());
            }
            let sliding = r.uint("sliding_window")?;
            let uses_sliding = model_type != "qwen2" && model_type != "qwen2_moe"
                || r.boolean("use_sliding_window", false)?;
            if let (Some(window), true) = (sliding, uses_sliding) {
                warnings.push(format!(
                    "`sliding_window` = {window}: attention sees at most {window} tokens, but llmcalc counts \
                     attention FLOPs and the KV cache over the whole context"
                ));
            }
            if r.boolean("attention_bias", false)? {
                warnings.push(
                    "`attention_bias` is set: the Q, K, V and output biases are not counted".into(),
                );
            }
            if model_type == "qwen2" || model_type == "qwen2_moe" {
                warnings.push(
                    "Qwen's query, key and value biases (heads·head_dim + 2·kv_heads·head_dim per layer) are not \
                     counted: the preset format has biases on all linear layers or none"
                        .into(),
                );
            }
            let moe = match model_type.as_str() {
                "mixtral" => Some(table(&[
                    ("experts", int(r.need("num_local_experts")?)),
                    ("top_k", int(r.need("num_experts_per_tok")?)),
                ])),
                "qwen2_moe" => {
                    let expert_ffn = r.need("moe_intermediate_size")?;
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
                    warnings.push(
                        "Qwen-MoE's shared expert is counted as shared_expert_intermediate_size / \
                         moe_intermediate_size experts of the expert width (the same parameters); its \
                         d_model × 1 gate is not counted"
                            .into(),
                    );
                    Some(table(&[
                        ("experts", int(r.need("num_experts")?)),
                        ("top_k", int(r.need("num_experts_per_tok")?)),
                        ("expert_ffn", int(expert_ffn)),
                        ("shared_experts", int(shared / expert_ffn)),
                        ("every", int(r.uint("decoder_sparse_step")?.unwrap_or(1))),
                    ]))
                }
                "deepseek" if r.uint("moe_layer_freq")?.unwrap_or(1) != 1 => {
                    return Err(ImportError(
                        "`moe_layer_freq` above 1 places MoE layers by DeepSeek's own rule, which the preset format \
                         does not express"
                            .into(),
                    ));
                }
                "deepseek" => Some(table(&[
                    ("experts", int(r.need("n_routed_experts")?)),
                    ("top_k", int(r.need("num_experts_per_tok")?)),
                    ("expert_ffn", int(r.need("moe_intermediate_size")?)),
                    (
                        "shared_experts",
                        int(r.uint("n_shared_experts")?.unwrap_or(0)),
                    ),
                    (
                        "first_dense",
                        int(r.uint("first_k_dense_replace")?.unwrap_or(0)),
                    ),
                ])),
                _ => None,
            };
            if let Some(moe) = moe {
                decoder.insert("moe".into(), toml::Value::Table(moe));
            }
            stacks.push(("decoder", decoder));
        }
        other => {
            return Err(ImportError(format!(
                "model_type `{other}` is not one llmcalc maps; it knows gpt2, bert, t5, llama, mistral, gemma, qwen2, \
                 mixtral, qwen2_moe and deepseek — write a preset by hand (presets/README.md)"
            )));
        }
    }
    let mut ignored: Vec<String> = config
        .keys()
        .filter(|k| !r.read.contains(&k.as_str()))
        .cloned()
        .collect();
    ignored.sort();
    let mut preset = toml::Table::new();
    preset.insert("name".into(), name.into());
    preset.insert(
        "source".into(),
        format!("Imported from a Hugging Face config.json (model_type `{model_type}`)").into(),
    );
    let mut notes = format!(
        "Fields not read: {}.",
        if ignored.is_empty() {
            "none".into()
        } else {
            ignored.join(", ")
        }
    );
    for w in &warnings {
        notes.push_str(&format!(" Warning: {w}."));
    }
    preset.insert("notes".into(), notes.into());
    preset.insert("architecture".into(), toml::Value::Table(arch));
    for (name, stack) in stacks {
        preset.insert(name.into(), toml::Value::Table(stack));
    }
    let toml = toml::to_string(&preset)
        .map_err(|e| ImportError(format!("cannot write the preset: {e}")))?;
    Ok(Imported {
        toml,
        ignored,
        warnings,
    })
}
